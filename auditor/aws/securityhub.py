"""``--securityhub-import``: send the ASFF findings to AWS Security Hub (BatchImportFindings).

A write, and opt-in: it needs ``securityhub:BatchImportFindings`` from
policy/iam-policy-securityhub.json, which the read-only scan policy does not
grant. Imports are idempotent: a finding's ASFF id is stable across scans
(auditor.report.asff), so importing the same scan twice updates the same
findings instead of adding copies.

Security Hub takes a finding of the ``default`` (custom-integration) product
only from the account the finding names (its ``AwsAccountId``). So each finding's
``ProductArn`` is rewritten for the importing account and region; findings of
other accounts are not sent and are counted as skipped (import them from
those accounts, or aggregate in Security Hub); a finding with no known
account (log files read without a scan) is imported as the caller's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditor.model.errors import AuditorError

#: BatchImportFindings takes at most 100 findings and 6 MB a call.
BATCH_SIZE = 100
MAX_BATCH_BYTES = 5 * 1024 * 1024
UNKNOWN_ACCOUNT = "000000000000"


@dataclass(frozen=True)
class ImportReport:
    """What an import did."""

    region: str
    account_id: str
    sent: int = 0
    imported: int = 0
    #: (finding id, error code, message) for each finding Security Hub refused.
    failed: tuple[tuple[str, str, str], ...] = ()
    #: Findings of other accounts, not sent (see module docstring).
    skipped_other_accounts: int = 0
    batches: int = 0
    #: Set when a call itself failed; the findings of that batch and after it were not sent.
    error: str | None = None
    accounts_skipped: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """True when every finding sent was imported."""
        return self.error is None and not self.failed


def batches(
    findings: Sequence[dict[str, Any]], size: int = BATCH_SIZE, max_bytes: int = MAX_BATCH_BYTES
) -> Iterator[list[dict[str, Any]]]:
    """``findings`` in calls of at most ``size`` findings and about ``max_bytes`` of JSON."""
    batch: list[dict[str, Any]] = []
    weight = 0
    for finding in findings:
        cost = len(json.dumps(finding, ensure_ascii=False).encode("utf-8"))
        if batch and (len(batch) >= size or weight + cost > max_bytes):
            yield batch
            batch, weight = [], 0
        batch.append(finding)
        weight += cost
    if batch:
        yield batch


def for_account(
    findings: Sequence[dict[str, Any]], account_id: str, region: str
) -> tuple[list[dict[str, Any]], list[str]]:
    """The findings the caller may import, rewritten for its product ARN; and the other accounts."""
    mine: list[dict[str, Any]] = []
    others: list[str] = []
    for finding in findings:
        owner = str(finding.get("AwsAccountId", ""))
        if owner not in (account_id, UNKNOWN_ACCOUNT):
            others.append(owner)
            continue
        partition = str(finding.get("ProductArn", "arn:aws:")).split(":")[1] or "aws"
        mine.append(
            {
                **finding,
                "AwsAccountId": account_id,
                "ProductArn": f"arn:{partition}:securityhub:{region}:{account_id}:product/{account_id}/default",
            }
        )
    return mine, others


def securityhub_session(
    profile: str | None = None, region: str | None = None, endpoint_url: str | None = None
) -> tuple[Any, Any, str]:
    """(Security Hub client, STS client, region) for the import."""
    import boto3

    session = boto3.Session(profile_name=profile) if profile else boto3.Session()
    chosen = region or session.region_name
    if not chosen:
        raise AuditorError("--securityhub-import: no region; give --securityhub-region or set AWS_REGION")
    return (
        session.client("securityhub", region_name=chosen, endpoint_url=endpoint_url),
        session.client("sts", region_name=chosen, endpoint_url=endpoint_url),
        chosen,
    )


def import_findings(findings: Sequence[dict[str, Any]], *, securityhub: Any, sts: Any, region: str) -> ImportReport:
    """Send the caller's findings in batches; never raises for AWS errors (they are in the report)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from auditor.model.redact import redact

    try:
        account = str(sts.get_caller_identity()["Account"])
    except (BotoCoreError, ClientError) as exc:
        return ImportReport(
            region=region, account_id="", error=f"cannot tell the importing account: {redact(str(exc))}"
        )
    mine, others = for_account(findings, account, region)
    sent = imported = calls = 0
    failed: list[tuple[str, str, str]] = []
    error: str | None = None
    for batch in batches(mine):
        try:
            answer = securityhub.batch_import_findings(Findings=batch)
        except (BotoCoreError, ClientError) as exc:
            error = f"{type(exc).__name__}: {redact(str(exc))}"
            break
        calls += 1
        sent += len(batch)
        imported += int(answer.get("SuccessCount", 0))
        failed.extend(
            (str(f.get("Id", "")), str(f.get("ErrorCode", "")), redact(str(f.get("ErrorMessage", ""))))
            for f in answer.get("FailedFindings", [])
        )
    return ImportReport(
        region=region,
        account_id=account,
        sent=sent,
        imported=imported,
        failed=tuple(failed),
        skipped_other_accounts=len(others),
        batches=calls,
        error=error,
        accounts_skipped=tuple(sorted(set(others))),
    )

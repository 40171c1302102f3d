"""logs-digest-integrity: the digest chain proves the log files are complete and unchanged.

Judges the digest validation report (``Snapshot.integrity``, written by
:mod:`auditor.integrity`), one result per validated chain (account, region,
trail). The check never reads S3 itself, so it re-evaluates offline.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from auditor.engine import logjudge
from auditor.engine.checkapi import (
    Check,
    CheckContext,
    CheckMeta,
    CheckResult,
    Remediation,
    Severity,
    Status,
)
from auditor.engine.logchecks import LOG_PERMISSIONS
from auditor.model.integrity_report import FileKind, FileStatus, IntegrityChain, IntegrityDocument

from ._snippets import trail_resource

MAX_LISTED_FAILURES = 50

META = CheckMeta(
    id="logs-digest-integrity",
    title="CloudTrail digest chain and log files validate",
    severity=Severity.CRITICAL,
    section="logs",
    resource_type="AwsCloudTrailTrail",
    rationale=(
        "CloudTrail signs an hourly digest that chains the SHA-256 of every log file it delivered. "
        "A digest whose signature fails, a broken chain, or a log file that is missing or whose "
        "hash differs means the audit trail was altered or deleted after delivery: the logs can "
        "no longer be trusted as evidence. Equivalent to `aws cloudtrail validate-logs`, plus a "
        "check of each link (previousDigestSignature) that the CLI does not make."
    ),
    remediation=Remediation(
        summary=(
            "Investigate who modified or deleted the files (S3 server access logs, CloudTrail data "
            "events on the bucket), restore them from versioning or a replica, and protect the "
            "bucket with Object Lock and MFA delete. Keep log file validation on."
        ),
        cli=(
            "aws cloudtrail validate-logs --trail-arn <trail-arn> "
            "--start-time <YYYY-MM-DDTHH:MM:SSZ> --end-time <YYYY-MM-DDTHH:MM:SSZ> --verbose"
        ),
        terraform=trail_resource("enable_log_file_validation = true"),
        url="https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-cli.html",
    ),
    references=("PCI DSS 10.3.4", "HIPAA 164.312(c)(1)", "GDPR Art. 32", "NIST SP 800-53 SI-7"),
    permissions=(*LOG_PERMISSIONS, "cloudtrail:ListPublicKeys"),
    notes=(
        "Judged per validated chain (account, region, trail). A chain with no digest file at all "
        "in the range FAILs (nothing proves the logs), unless the trail has validation off, which "
        "trail-log-file-validation judges (NOT_APPLICABLE here). Periods without digests are "
        "listed as evidence; logs-delivery-continuity judges them."
    ),
)


def _validation_off(ctx: CheckContext, account_id: str, trail_arn: str) -> bool:
    """The snapshot says this chain's trail (or every trail of the account) has validation off."""
    if trail_arn:
        trail = ctx.snapshot.trail(trail_arn)
        return trail is not None and not trail.log_file_validation_enabled
    account = ctx.snapshot.account(account_id)
    return (
        account is not None and bool(account.trails) and not any(t.log_file_validation_enabled for t in account.trails)
    )


def _judge(ctx: CheckContext, report: IntegrityDocument, scope: IntegrityChain) -> CheckResult:
    account_id, region, trail_arn = chain = scope.chain
    resource_id = trail_arn or f"{account_id}/{region}"
    arn = trail_arn or None
    trail = ctx.snapshot.trail(trail_arn) if trail_arn else None
    if trail is not None and not trail.is_multi_region and region != trail.home_region:
        return ctx.result(
            account_id,
            region,
            Status.NOT_APPLICABLE,
            f"the trail is single-region ({trail.home_region}) and delivers no digests here",
            resource_id=resource_id,
            resource_arn=arn,
        )
    if _validation_off(ctx, account_id, trail_arn):
        return ctx.result(
            account_id,
            region,
            Status.NOT_APPLICABLE,
            "log file validation is off for this trail (judged by trail-log-file-validation)",
            resource_id=resource_id,
            resource_arn=arn,
        )
    mine = [f for f in report.files if f.chain == chain]
    errors = [e for e in report.errors if e.chain == chain]
    gaps = [g for g in report.digest_gaps if g.chain == chain]
    failures = [f for f in mine if f.status not in (FileStatus.VALID, FileStatus.ERROR)]
    unreadable = [f for f in mine if f.status is FileStatus.ERROR]
    digests = [f for f in mine if f.kind is FileKind.DIGEST]
    logs = [f for f in mine if f.kind is FileKind.LOG]
    counts = Counter(str(f.failure_kind.value if f.failure_kind else None) for f in failures)
    evidence: dict[str, Any] = {
        "range": report.scope.range.to_dict(),
        "digests_total": len(digests),
        "digests_valid": sum(1 for f in digests if f.status is FileStatus.VALID),
        "log_files_total": len(logs),
        "log_files_valid": sum(1 for f in logs if f.status is FileStatus.VALID),
        "failure_counts": dict(sorted(counts.items())),
        "failures": [
            {
                "failure_kind": f.failure_kind.value if f.failure_kind else None,
                "kind": f.kind.value,
                "path": f.path,
                "detail": f.detail,
            }
            for f in failures[:MAX_LISTED_FAILURES]
        ],
        "failures_listed": min(len(failures), MAX_LISTED_FAILURES),
        "failures_total": len(failures),
        "digest_gaps": len(gaps),
        "errors": [e.to_dict() for e in errors[:MAX_LISTED_FAILURES]],
    }
    if failures:
        summary = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in sorted(counts.items()))
        return ctx.result(
            account_id,
            region,
            Status.FAIL,
            f"digest validation failed: {summary}",
            resource_id=resource_id,
            resource_arn=arn,
            evidence=evidence,
        )
    if errors or unreadable:
        code, why = (errors[0].error_code, errors[0].message) if errors else ("unreadable", unreadable[0].detail)
        return ctx.result(
            account_id,
            region,
            Status.ERROR,
            f"digest or log files could not be read: {code}: {why}",
            resource_id=resource_id,
            resource_arn=arn,
            evidence=evidence,
        )
    if not digests:
        return ctx.result(
            account_id,
            region,
            Status.FAIL,
            "no digest file found in the range: nothing proves the log files are intact",
            resource_id=resource_id,
            resource_arn=arn,
            evidence=evidence,
        )
    return ctx.result(
        account_id,
        region,
        Status.PASS,
        f"{evidence['digests_valid']} digest files and {evidence['log_files_valid']} "
        "log files validate; the chain is unbroken",
        resource_id=resource_id,
        resource_arn=arn,
        evidence=evidence,
    )


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per validated chain; NOT_APPLICABLE where validation was not run."""
    report = ctx.snapshot.integrity
    accounts = [a.account_id for a in ctx.accounts()]
    if report is None:
        yield from logjudge.not_applicable(ctx, "digest validation was not run")
        return
    seen: set[tuple[str, str, str]] = set()
    for scope in report.validated:
        if scope.chain in seen:
            continue
        seen.add(scope.chain)
        yield _judge(ctx, report, scope)
    covered = {k[0] for k in seen}
    for account_id in accounts:
        if account_id not in covered:
            yield ctx.result(
                account_id,
                "global",
                Status.NOT_APPLICABLE,
                "digest validation did not cover this account",
                resource_id=account_id,
                resource_type="AwsAccount",
            )
    if not seen and not accounts:
        yield ctx.result(
            ctx.snapshot.caller_account_id or "unknown",
            "global",
            Status.ERROR,
            "the digest validation report names no validated chain: nothing can be concluded",
            resource_id="integrity",
            resource_type="AwsAccount",
        )


CHECK = Check(META, evaluate)

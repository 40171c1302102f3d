"""Denied API calls stay below the threshold per principal.

AccessDenied/UnauthorizedOperation errors (CIS 4.1 intent: excluding
delivery.logs.amazonaws.com and HeadBucket) counted per principal and hour in
the evidence; FAIL at or above the threshold (default 20 in one hour, setting
``logs_unauthorized_threshold``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditor.engine import logjudge as judge
from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Remediation, Severity
from auditor.engine.logchecks import LOG_PERMISSIONS, with_evidence
from auditor.model.arn import GLOBAL
from auditor.model.log_evidence import LogEvidence

META = CheckMeta(
    id="logs-unauthorized-api-calls",
    title="Denied API calls stay below the threshold per principal",
    severity=Severity.MEDIUM,
    section="logs",
    resource_type="AwsAccount",
    rationale=(
        "Many denied calls from one principal suggest enumeration with stolen credentials or a "
        "misbehaving workload (CIS 4.1)."
    ),
    remediation=Remediation(
        summary="Identify the principal and its caller; revoke credentials if compromised, fix "
        "the permissions if the workload is legitimate.",
    ),
    references=("CIS AWS 4.1", "PCI DSS 10.2.1.4"),
    permissions=LOG_PERMISSIONS,
    notes="Counted per clock hour.",
)


def evaluate(ctx: CheckContext, doc: LogEvidence) -> Iterator[CheckResult]:
    """One result per account: FAIL listing principals over the hourly threshold."""
    threshold = int(judge.setting(ctx, "logs_unauthorized_threshold", 20))
    entries = doc.access_denied
    for account in judge.accounts_in_scope(ctx, doc):
        over: list[dict[str, Any]] = []
        offenders = []
        counts = []
        for e in entries:
            if e.account_id != account:
                continue
            hour, n = max(e.hours.items(), key=lambda kv: kv[1]) if e.hours else ("", 0)
            counts.append(
                {
                    "principal": e.principal,
                    "total": e.total,
                    "peak_hour": hour,
                    "peak_count": n,
                }
            )
            if n >= threshold:
                offenders.append(e)
                over.append(
                    {
                        "principal": e.principal,
                        "peak_hour": hour + ":00:00Z",
                        "peak_count": n,
                        "total": e.total,
                        "events": [x.to_dict() for x in e.events],
                    }
                )
        ev = {
            "threshold": threshold,
            "per_principal": counts,
            "offenders": over,
            "total": sum(o["total"] for o in over),
            "events": judge.merge_events(offenders),
        }
        msg = (
            f"{len(over)} principal(s) reached {threshold} denied calls in one hour in account {account}"
            if over
            else f"no principal reached {threshold} denied calls in one hour in account {account}"
        )
        yield judge.verdict(ctx, doc, account, GLOBAL, bool(over), msg, ev)


CHECK = Check(META, with_evidence(evaluate))

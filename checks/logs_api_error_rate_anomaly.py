"""API error rates stay within their baseline.

The idea of CloudTrail Insights ApiErrorRateInsight, computed locally: per account, region and
error code, the hourly count is compared with its own baseline over the window
(mean + k standard deviations of the other hours, zeros included, with a
minimum volume); the evidence document holds the hours that stood out.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.checkapi import Check, CheckContext, CheckMeta, CheckResult, Remediation, Severity
from auditor.logs import judge

META = CheckMeta(
    id="logs-api-error-rate-anomaly",
    title="API error rates stay within their baseline",
    severity=Severity.MEDIUM,
    section="logs",
    resource_type="AwsAccount",
    rationale=(
        "A sudden burst of one error code far above its usual hourly rate often marks automation "
        "gone wrong or an attacker at work (CloudTrail Insights ApiErrorRateInsight)."
    ),
    remediation=Remediation(
        summary="Find the principal behind the burst in the listed hour and confirm it was "
        "expected; enable CloudTrail Insights for continuous detection.",
    ),
    references=("CloudTrail Insights ApiErrorRateInsight",),
    permissions=("s3:GetObject", "s3:ListBucket"),
    notes="Baseline: hours from the scope's first to last active hour; parameters k, minimum "
    "count and minimum baseline hours are recorded in evidence.parameters.",
)


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per account and region: FAIL listing the anomalous hours."""
    doc = judge.evidence(ctx)
    if doc is None:
        yield from judge.not_applicable(ctx)
        return
    found = [a for a in doc.get("rate_anomalies", []) if a.get("kind") == "api_error"]
    for account in judge.accounts_in_scope(ctx, doc):
        regions = judge.regions_of(doc, account) or [judge.GLOBAL]
        for region in regions:
            mine = [a for a in found if a["account_id"] == account and a["region"] == region]
            ev = {"anomalies": mine, "total": len(mine), "parameters": doc.get("parameters", {})}
            msg = (
                f"{len(mine)} error code(s) rose far above their hourly baseline in account "
                f"{account} ({region}): "
                + ", ".join(f"{a['name']} x{a['count']} at {a['hour']}" for a in mine[:5])
                if mine
                else f"no error code rose above its hourly baseline in account {account} ({region})"
            )
            yield judge.verdict(ctx, doc, account, region, bool(mine), msg, ev)


CHECK = Check(META, evaluate)

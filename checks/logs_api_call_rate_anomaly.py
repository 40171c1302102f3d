"""Write API call rates stay within their baseline.

The idea of CloudTrail Insights ApiCallRateInsight, computed locally: per account, region and
write API, the hourly count is compared with its own baseline over the window
(mean + k standard deviations of the other hours, zeros included, with a
minimum volume); the evidence document holds the hours that stood out.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Remediation, Severity
from auditor.engine.logchecks import rate_anomaly_results
from auditor.model.log_evidence import AnomalyKind

META = CheckMeta(
    id="logs-api-call-rate-anomaly",
    title="Write API call rates stay within their baseline",
    severity=Severity.MEDIUM,
    section="logs",
    resource_type="AwsAccount",
    rationale=(
        "A sudden burst of one write API far above its usual hourly rate often marks automation "
        "gone wrong or an attacker at work (CloudTrail Insights ApiCallRateInsight)."
    ),
    remediation=Remediation(
        summary="Find the principal behind the burst in the listed hour and confirm it was "
        "expected; enable CloudTrail Insights for continuous detection.",
    ),
    references=("CloudTrail Insights ApiCallRateInsight",),
    permissions=("cloudtrail:DescribeTrails", "s3:GetObject", "s3:ListBucket"),
    notes="Baseline: hours from the scope's first to last active hour; parameters k, minimum "
    "count and minimum baseline hours are recorded in evidence.parameters.",
)


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per account and region: FAIL listing the anomalous hours."""
    yield from rate_anomaly_results(ctx, AnomalyKind.API_CALL, "write API")


CHECK = Check(META, evaluate)

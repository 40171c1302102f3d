"""API error rates stay within their baseline.

The idea of CloudTrail Insights ApiErrorRateInsight, computed locally: per account, region and
error code, the hourly count is compared with its own baseline over the window
(mean + k standard deviations of the other hours, zeros included, with a
minimum volume); the evidence document holds the hours that stood out.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Remediation, Severity
from auditor.engine.logchecks import rate_anomaly_results
from auditor.model.log_evidence import AnomalyKind

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
    permissions=("cloudtrail:DescribeTrails", "s3:GetObject", "s3:ListBucket"),
    notes="Baseline: hours from the scope's first to last active hour; parameters k, minimum "
    "count and minimum baseline hours are recorded in evidence.parameters.",
)


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per account and region: FAIL listing the anomalous hours."""
    yield from rate_anomaly_results(ctx, AnomalyKind.API_ERROR, "error code")


CHECK = Check(META, evaluate)

"""Write API call rates stay within their baseline.

The idea of CloudTrail Insights ApiCallRateInsight, computed locally: per account, region and
write API, the hourly count is compared with its own baseline over the window
(mean + k standard deviations of the other hours, zeros included, with a
minimum volume); the evidence document holds the hours that stood out.
"""

from __future__ import annotations

from auditor.engine.checkapi import CheckMeta, Remediation, Severity
from auditor.engine.logchecks import LOG_PERMISSIONS, rate_check
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
    permissions=LOG_PERMISSIONS,
    notes="Baseline: hours from the scope's first to last active hour; parameters k, minimum "
    "count and minimum baseline hours are recorded in evidence.parameters.",
)


CHECK = rate_check(META, AnomalyKind.API_CALL, "write API")

"""The two rate-anomaly checks (CloudTrail Insights' ApiCallRateInsight and ApiErrorRateInsight, computed locally).

Per account, region and write API (or error code), the hourly count is compared with its
own baseline over the window (mean + k standard deviations of the other hours, zeros
included, with a minimum volume); the evidence document holds the hours that stood out.

Not a check itself (the registry skips ``_`` modules). Both checks judge the same way
(:func:`auditor.engine.logchecks.rate_check`) and differ only in what rose: a write
API's call count or an error code's count; one definition keeps their metadata alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.engine.checkapi import Check, CheckMeta, Remediation, Severity
from auditor.engine.logchecks import LOG_PERMISSIONS, rate_check
from auditor.model.log_evidence import AnomalyKind


@dataclass(frozen=True)
class _Rate:
    title: str
    noun: str  # what rose, in messages: "write API"
    insight: str  # the CloudTrail Insights type it mirrors


_RATES = {
    AnomalyKind.API_CALL: _Rate("Write API call rates stay within their baseline", "write API", "ApiCallRateInsight"),
    AnomalyKind.API_ERROR: _Rate("API error rates stay within their baseline", "error code", "ApiErrorRateInsight"),
}


def rate_anomaly_check(kind: AnomalyKind) -> Check:
    """The check listing the hours in which a ``kind`` count rose far above its own baseline."""
    r = _RATES[kind]
    meta = CheckMeta(
        id=f"logs-{kind.value.replace('_', '-')}-rate-anomaly",
        title=r.title,
        severity=Severity.MEDIUM,
        section="logs",
        resource_type="AwsAccount",
        rationale=(
            f"A sudden burst of one {r.noun} far above its usual hourly rate often marks automation "
            f"gone wrong or an attacker at work (CloudTrail Insights {r.insight})."
        ),
        remediation=Remediation(
            summary="Find the principal behind the burst in the listed hour and confirm it was "
            "expected; enable CloudTrail Insights for continuous detection.",
        ),
        references=(f"CloudTrail Insights {r.insight}",),
        permissions=LOG_PERMISSIONS,
        notes="Baseline: hours from the scope's first to last active hour; parameters k, minimum "
        "count and minimum baseline hours are recorded in evidence.parameters.",
    )
    return rate_check(meta, kind, r.noun)

"""logs-api-call-rate-anomaly: write API call rates stay within their baseline (Insights ApiCallRateInsight)."""

from __future__ import annotations

from auditor.model.log_evidence import AnomalyKind

from ._rate_anomalies import rate_anomaly_check

CHECK = rate_anomaly_check(AnomalyKind.API_CALL)
META = CHECK.meta

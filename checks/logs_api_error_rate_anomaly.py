"""logs-api-error-rate-anomaly: API error rates stay within their baseline (Insights ApiErrorRateInsight)."""

from __future__ import annotations

from auditor.model.log_evidence import AnomalyKind

from ._rate_anomalies import rate_anomaly_check

CHECK = rate_anomaly_check(AnomalyKind.API_ERROR)
META = CHECK.meta

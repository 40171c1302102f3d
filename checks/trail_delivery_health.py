"""trail-delivery-health: the trail is logging and delivering log files without errors."""

from __future__ import annotations

from typing import Any

from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity
from auditor.engine.judgement import Judgement
from auditor.engine.trails import collected, delivery_age_problem, trail_check
from auditor.model.snapshot import CollectionError, Trail

from ._snippets import trail_resource

META = CheckMeta(
    id="trail-delivery-health",
    title="Trails are logging and delivering log files without errors",
    severity=Severity.HIGH,
    section="trail",
    resource_type="AwsCloudTrailTrail",
    rationale=(
        "A trail that exists but is stopped, or cannot write to its bucket (a changed bucket "
        "policy, a disabled key), records nothing while looking configured. PCI DSS 10.7 "
        "requires failures of logging to be detected and acted on promptly."
    ),
    remediation=Remediation(
        summary=(
            "Start logging, and fix the cause of LatestDeliveryError / LatestDigestDeliveryError "
            "(usually the bucket policy or the KMS key policy)."
        ),
        cli=("aws cloudtrail start-logging --name <trail>\naws cloudtrail get-trail-status --name <trail>"),
        terraform=trail_resource("enable_logging = true"),
        url="https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetTrailStatus.html",
    ),
    references=("PCI DSS 10.7.2", "GDPR Art. 33"),
    permissions=("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus"),
    notes=(
        "No Security Hub control or Config rule checks delivery; the logic follows "
        "GetTrailStatus. The digest delivery error only counts when log file validation is on. "
        "The freshness limit is Settings.delivery_max_age_hours (default 24) relative to the "
        "snapshot's collection time. A logging trail with no LatestDeliveryTime at all FAILs "
        "('no delivery recorded'): nothing proves that delivery works."
    ),
)


def _judge(ctx: CheckContext, trail: Trail) -> Judgement | CollectionError:
    st = collected(trail.status, "trail status was")
    if isinstance(st, Judgement | CollectionError):
        return st
    ev: dict[str, Any] = {
        "is_logging": st.is_logging,
        "latest_delivery_time": st.latest_delivery_time,
        "latest_delivery_error": st.latest_delivery_error,
        "latest_digest_delivery_time": st.latest_digest_delivery_time,
        "latest_digest_delivery_error": st.latest_digest_delivery_error,
        "log_file_validation_enabled": trail.log_file_validation_enabled,
        "max_age_hours": ctx.settings.delivery_max_age_hours,
    }
    problems: list[str] = []
    if not st.is_logging:
        stopped = f" since {st.stop_logging_time}" if st.stop_logging_time else ""
        problems.append(f"not logging{stopped}")
    if st.latest_delivery_error:
        problems.append(f"last log delivery failed: {st.latest_delivery_error}")
    if trail.log_file_validation_enabled and st.latest_digest_delivery_error:
        problems.append(f"last digest delivery failed: {st.latest_digest_delivery_error}")
    stale = delivery_age_problem(ctx, st.latest_delivery_time, "delivery", ev)
    if isinstance(stale, Judgement):
        return stale
    if stale:
        problems.append(stale)
    return Judgement.either(
        not problems, f"logging; last delivery {st.latest_delivery_time} without error", "; ".join(problems), ev
    )


CHECK = trail_check(META, _judge)

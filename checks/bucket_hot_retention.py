"""bucket-hot-retention: logs stay immediately available for the first months."""

from __future__ import annotations

from typing import Any

from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity, Status
from auditor.engine.judgement import Judgement
from auditor.engine.lifecycle import before_days_pass, rule_violations
from auditor.engine.policies import LogBucketTarget, bucket_check
from auditor.model.snapshot import Bucket, CollectionError, LifecycleRule

from ._snippets import bucket_lifecycle, transition

#: Classes whose objects must be restored before they can be read.
COLD_CLASSES = frozenset({"GLACIER", "DEEP_ARCHIVE"})

META = CheckMeta(
    id="bucket-hot-retention",
    title="Trail logs stay immediately available for the required period",
    severity=Severity.MEDIUM,
    section="bucket",
    resource_type="AwsS3Bucket",
    rationale=(
        "PCI DSS 10.5.1 requires the most recent three months of audit logs to be immediately "
        "available for analysis. Objects in S3 Glacier Flexible Retrieval or Deep Archive must "
        "be restored first, which takes hours, so moving logs there early breaks the "
        "requirement and slows incident response."
    ),
    remediation=Remediation(
        summary="Delay transitions to GLACIER or DEEP_ARCHIVE until at least the required days "
        "(90 by default), or use GLACIER_IR / STANDARD_IA, which stay readable at once.",
        cli="aws s3api put-bucket-lifecycle-configuration --bucket <bucket> "
        "--lifecycle-configuration file://lifecycle.json  # Transitions: GLACIER_IR at 30, "
        "GLACIER at >= 90 days",
        terraform=bucket_lifecycle("archive", transition(30, "GLACIER_IR"), transition(120, "GLACIER")),
        url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html",
    ),
    references=("PCI DSS 10.5.1",),
    permissions=(
        "cloudtrail:DescribeTrails",
        "s3:ListAllMyBuckets",
        "s3:GetLifecycleConfiguration",
    ),
    notes=(
        "Only GLACIER (Flexible Retrieval) and DEEP_ARCHIVE count as not immediately available; "
        "GLACIER_IR, STANDARD_IA, ONEZONE_IA and INTELLIGENT_TIERING are readable at once "
        "(Intelligent-Tiering's opt-in archive tiers are not visible in the lifecycle and are "
        "not judged). Noncurrent-version transitions are not judged: current logs are what must "
        "stay available. Rule applicability as in bucket-retention."
    ),
)


def _early(ctx: CheckContext, rule: LifecycleRule) -> list[str]:
    need = ctx.settings.hot_retention_days
    out: list[str] = []
    for tr in rule.transitions:
        if tr.storage_class.upper() not in COLD_CLASSES:
            continue
        if tr.days is not None and tr.days < need:
            out.append(f"moves logs to {tr.storage_class} after {tr.days} days")
        if tr.date is not None and before_days_pass(ctx, tr.date, need):
            out.append(f"moves logs to {tr.storage_class} on {tr.date}")
    return out


def _judge(ctx: CheckContext, target: LogBucketTarget, bucket: Bucket) -> Judgement | CollectionError:
    need = ctx.settings.hot_retention_days
    if isinstance(bucket.lifecycle, CollectionError):
        return bucket.lifecycle
    evidence: dict[str, Any] = {"required_days": need}
    bad = rule_violations(target, bucket.lifecycle, lambda rule: _early(ctx, rule))
    evidence["violations"] = bad
    if bad:
        return Judgement(
            Status.FAIL,
            f"bucket {bucket.name}: " + "; ".join(bad) + f", before the "
            f"{need} days logs must stay immediately available",
            evidence,
        )
    return Judgement(
        Status.PASS, f"bucket {bucket.name} keeps logs immediately available for at least {need} days", evidence
    )


CHECK = bucket_check(META, _judge)

"""bucket-retention: no lifecycle rule deletes logs before the profile's retention period."""

from __future__ import annotations

from typing import Any

from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity, Status
from auditor.engine.judgement import Judgement
from auditor.engine.lifecycle import before_days_pass, rule_violations
from auditor.engine.policies import LogBucketTarget, bucket_check
from auditor.model.snapshot import Bucket, CollectionError, LifecycleRule

from ._snippets import block, bucket_lifecycle

META = CheckMeta(
    id="bucket-retention",
    title="Lifecycle rules keep trail logs for the required retention period",
    severity=Severity.HIGH,
    section="bucket",
    resource_type="AwsS3Bucket",
    rationale=(
        "Frameworks set a minimum life for audit logs: PCI DSS 10.5.1 one year, HIPAA "
        "164.316(b)(2) six years for the documentation logs support. A lifecycle expiration "
        "shorter than that silently destroys the evidence an investigation or assessment will "
        "ask for, and the loss is only noticed when it is too late."
    ),
    remediation=Remediation(
        summary="Lengthen (or remove) the expiration of every enabled lifecycle rule that "
        "reaches the AWSLogs/ prefix, for current and noncurrent versions, to at least "
        "the profile's retention.",
        cli="aws s3api put-bucket-lifecycle-configuration --bucket <bucket> "
        "--lifecycle-configuration file://lifecycle.json  # Expiration.Days >= 365 (PCI) "
        "or 2190 (HIPAA)",
        terraform=bucket_lifecycle(
            "retain-logs",
            block("expiration", "days = 2555", indent="    "),
            block("noncurrent_version_expiration", "noncurrent_days = 2555", indent="    "),
        ),
        url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lifecycle-mgmt.html",
    ),
    references=(
        "PCI DSS 10.5.1",
        "HIPAA 164.316(b)(2)(i)",
        "NIST SP 800-53 AU-11",
        "AWS Config s3-lifecycle-policy-check",
    ),
    permissions=(
        "cloudtrail:DescribeTrails",
        "s3:ListAllMyBuckets",
        "s3:GetLifecycleConfiguration",
    ),
    notes=(
        "Required days come from the selected profile (settings.retention_days: pci 365, hipaa "
        "2190). A rule applies when it is enabled, has no tag filter (CloudTrail writes untagged "
        "objects) and its prefix is a prefix of <trail prefix>/AWSLogs/ or lies inside it. "
        "Noncurrent-version expiration counts too: it decides how long a deleted log survives. "
        "A date-based expiration fails when it falls before now + the required days. No "
        "lifecycle configuration passes: nothing expires."
    ),
)


def _shortfalls(ctx: CheckContext, rule: LifecycleRule) -> list[str]:
    need = ctx.settings.retention_days
    out: list[str] = []
    if rule.expiration_days is not None and rule.expiration_days < need:
        out.append(f"expires log objects after {rule.expiration_days} days")
    if rule.noncurrent_expiration_days is not None and rule.noncurrent_expiration_days < need:
        out.append(f"expires noncurrent versions after {rule.noncurrent_expiration_days} days")
    if rule.expiration_date is not None and before_days_pass(ctx, rule.expiration_date, need):
        out.append(f"expires log objects on {rule.expiration_date}")
    return out


def _judge(ctx: CheckContext, target: LogBucketTarget, bucket: Bucket) -> Judgement | CollectionError:
    need, profile = ctx.settings.retention_days, ctx.settings.profile
    if isinstance(bucket.lifecycle, CollectionError):
        return bucket.lifecycle
    evidence: dict[str, Any] = {"required_days": need, "profile": profile, "log_prefixes": list(target.log_prefixes())}
    if not bucket.lifecycle:
        return Judgement(
            Status.PASS,
            f"bucket {bucket.name} has no lifecycle rule, so nothing expires (profile {profile} requires {need} days)",
            evidence,
        )
    bad = rule_violations(target, bucket.lifecycle, lambda rule: _shortfalls(ctx, rule))
    evidence["violations"] = bad
    if bad:
        return Judgement(
            Status.FAIL,
            f"bucket {bucket.name}: " + "; ".join(bad) + f", sooner than the {need} days profile {profile} requires",
            evidence,
        )
    return Judgement(Status.PASS, f"bucket {bucket.name} keeps logs at least {need} days (profile {profile})", evidence)


CHECK = bucket_check(META, _judge)

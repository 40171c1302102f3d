"""bucket-object-lock: log objects are write-once for a default retention period."""

from __future__ import annotations

from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity, Status
from auditor.engine.judgement import Judgement
from auditor.engine.policies import LogBucketTarget, bucket_check
from auditor.model.snapshot import Bucket, CollectionError

META = CheckMeta(
    id="bucket-object-lock",
    title="Object Lock with a default retention protects the trail's S3 bucket",
    severity=Severity.MEDIUM,
    section="bucket",
    resource_type="AwsS3Bucket",
    rationale=(
        "Object Lock makes each log version immutable (WORM) for its retention period, which "
        "is the strongest evidence that logs were not altered or deleted (PCI DSS 10.3.4 and "
        "10.5.1, HIPAA 164.316(b)(2)). Without a default retention rule, new log files are not "
        "locked at all even when Object Lock is enabled."
    ),
    remediation=Remediation(
        summary="Enable Object Lock (possible on existing versioned buckets) and set a default "
        "retention in compliance mode at least as long as the required retention.",
        cli="aws s3api put-object-lock-configuration --bucket <bucket> "
        '--object-lock-configuration \'{"ObjectLockEnabled":"Enabled","Rule":'
        '{"DefaultRetention":{"Mode":"COMPLIANCE","Days":365}}}\'',
        terraform=(
            'resource "aws_s3_bucket_object_lock_configuration" "cloudtrail" {\n'
            "  bucket = aws_s3_bucket.cloudtrail.id\n"
            "  rule {\n"
            "    default_retention {\n"
            '      mode = "COMPLIANCE"\n'
            "      days = 365\n"
            "    }\n"
            "  }\n"
            "}"
        ),
        url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html",
    ),
    references=(
        "Security Hub S3.15",
        "AWS Config s3-bucket-default-lock-enabled",
        "PCI DSS 10.3.4",
        "PCI DSS 10.5.1",
        "HIPAA 164.316(b)(2)(i)",
    ),
    permissions=(
        "cloudtrail:DescribeTrails",
        "s3:ListAllMyBuckets",
        "s3:GetBucketObjectLockConfiguration",
    ),
    notes="Compliance mode passes; governance mode passes with a note (privileged principals "
    "can bypass it). Object Lock enabled without a default retention fails.",
)


def _judge(ctx: CheckContext, target: LogBucketTarget, bucket: Bucket) -> Judgement | CollectionError:
    lock = bucket.object_lock
    if isinstance(lock, CollectionError):
        return lock
    if lock is None or not lock.enabled:
        return Judgement(
            Status.FAIL,
            f"bucket {bucket.name} does not have Object Lock enabled: log objects can be deleted or overwritten",
            {"object_lock_enabled": False},
        )
    period = f"{lock.days} days" if lock.days else f"{lock.years} years" if lock.years else None
    evidence = {"object_lock_enabled": True, "mode": lock.mode, "days": lock.days, "years": lock.years}
    if lock.mode is None or period is None:
        return Judgement(
            Status.FAIL,
            f"bucket {bucket.name} has Object Lock enabled but no default retention: new log files are not locked",
            evidence,
        )
    if lock.mode == "COMPLIANCE":
        return Judgement(
            Status.PASS, f"bucket {bucket.name} locks log objects in compliance mode for {period}", evidence
        )
    return Judgement(
        Status.PASS,
        f"bucket {bucket.name} locks log objects in {lock.mode.lower()} "
        f"mode for {period}; note: principals with s3:BypassGovernanceRetention can "
        "still delete them (compliance mode is preferred)",
        {**evidence, "note": "governance mode can be bypassed"},
    )


CHECK = bucket_check(META, _judge)

"""bucket-access-logging: S3 server access logging records who reads the audit logs."""

from __future__ import annotations

from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity, Status
from auditor.engine.judgement import Judgement
from auditor.engine.policies import LogBucketTarget, bucket_check
from auditor.model.snapshot import Bucket, CollectionError

META = CheckMeta(
    id="bucket-access-logging",
    title="Server access logging is enabled on the trail's S3 bucket",
    severity=Severity.LOW,
    section="bucket",
    resource_type="AwsS3Bucket",
    rationale=(
        "CloudTrail data events are rarely enabled for the log bucket itself, so server access "
        "logs are often the only record of who read, listed or deleted the audit logs. "
        "Investigators need that record to know whether evidence was exfiltrated or tampered "
        "with (CIS AWS 3.4)."
    ),
    remediation=Remediation(
        summary="Enable server access logging to a separate bucket that the log bucket's readers cannot change.",
        cli=(
            "aws s3api put-bucket-logging --bucket <bucket> --bucket-logging-status "
            '\'{"LoggingEnabled":{"TargetBucket":"<access-log-bucket>",'
            '"TargetPrefix":"cloudtrail/"}}\''
        ),
        terraform=(
            'resource "aws_s3_bucket_logging" "cloudtrail" {\n'
            "  bucket        = aws_s3_bucket.cloudtrail.id\n"
            "  target_bucket = aws_s3_bucket.access_logs.id\n"
            '  target_prefix = "cloudtrail/"\n'
            "}"
        ),
        url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html",
    ),
    references=(
        "CIS AWS Foundations 3.4",
        "Security Hub CloudTrail.7",
        "Security Hub S3.9",
        "AWS Config s3-bucket-logging-enabled",
        "AWS Config cloudtrail-s3-bucket-access-logging",
    ),
    permissions=(
        "cloudtrail:DescribeTrails",
        "s3:ListAllMyBuckets",
        "s3:GetBucketLogging",
    ),
    notes="Logging into the log bucket itself passes but is flagged in the message: it makes "
    "the bucket log its own log writes.",
)


def _judge(ctx: CheckContext, target: LogBucketTarget, bucket: Bucket) -> Judgement | CollectionError:
    if isinstance(bucket.logging, CollectionError):
        return bucket.logging
    if bucket.logging is None:
        return Judgement(
            Status.FAIL,
            f"bucket {bucket.name} has server access logging off: reads "
            "and deletions of the audit logs leave no record",
        )
    evidence = {"target_bucket": bucket.logging.target_bucket, "target_prefix": bucket.logging.target_prefix}
    note = " (into itself: prefer a separate bucket)" if bucket.logging.target_bucket == bucket.name else ""
    return Judgement(
        Status.PASS, f"bucket {bucket.name} logs server access to {bucket.logging.target_bucket}{note}", evidence
    )


CHECK = bucket_check(META, _judge)

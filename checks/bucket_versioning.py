"""bucket-versioning: overwritten or deleted log objects stay recoverable."""

from __future__ import annotations

from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity, Status
from auditor.engine.judgement import Judgement
from auditor.engine.policies import LogBucketTarget, bucket_check
from auditor.model.snapshot import Bucket, CollectionError

META = CheckMeta(
    id="bucket-versioning",
    title="Versioning is enabled on the trail's S3 bucket",
    severity=Severity.MEDIUM,
    section="bucket",
    resource_type="AwsS3Bucket",
    rationale=(
        "Without versioning, a single DeleteObject or overwrite destroys a log file for good. "
        "Versioning keeps prior versions so that deletions are recoverable and detectable, and "
        "it is a prerequisite of MFA delete and Object Lock (PCI DSS 10.3.4, HIPAA 164.312(c))."
    ),
    remediation=Remediation(
        summary="Enable versioning on the log bucket (it cannot be turned off again, only suspended).",
        cli="aws s3api put-bucket-versioning --bucket <bucket> --versioning-configuration Status=Enabled",
        terraform=(
            'resource "aws_s3_bucket_versioning" "cloudtrail" {\n'
            "  bucket = aws_s3_bucket.cloudtrail.id\n"
            "  versioning_configuration {\n"
            '    status = "Enabled"\n'
            "  }\n"
            "}"
        ),
        url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/manage-versioning-examples.html",
    ),
    references=(
        "Security Hub S3.14",
        "AWS Config s3-bucket-versioning-enabled",
        "PCI DSS 10.3.4",
        "NIST SP 800-53 AU-9",
    ),
    permissions=(
        "cloudtrail:DescribeTrails",
        "s3:ListAllMyBuckets",
        "s3:GetBucketVersioning",
    ),
    notes="Suspended versioning fails like never-enabled: new writes are no longer versioned.",
)


def _judge(ctx: CheckContext, target: LogBucketTarget, bucket: Bucket) -> Judgement | CollectionError:
    if isinstance(bucket.versioning, CollectionError):
        return bucket.versioning
    status = bucket.versioning.status if bucket.versioning is not None else None
    evidence = {"versioning_status": status}
    if status == "Enabled":
        return Judgement(Status.PASS, f"bucket {bucket.name} has versioning enabled", evidence)
    state = "suspended" if status == "Suspended" else "never enabled"
    return Judgement(
        Status.FAIL,
        f"bucket {bucket.name} has versioning {state}: a deleted or overwritten log file cannot be recovered",
        evidence,
    )


CHECK = bucket_check(META, _judge)

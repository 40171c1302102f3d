"""bucket-default-encryption: logs are encrypted at rest by default, with KMS when the trail is."""

from __future__ import annotations

from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity, Status
from auditor.engine.judgement import Judgement
from auditor.engine.policies import LogBucketTarget, bucket_check
from auditor.model.snapshot import Bucket, CollectionError

META = CheckMeta(
    id="bucket-default-encryption",
    title="Default encryption on the trail's S3 bucket matches the trail's encryption",
    severity=Severity.LOW,
    section="bucket",
    resource_type="AwsS3Bucket",
    rationale=(
        "Default encryption protects every object written to the bucket, including digest "
        "files and anything not written by CloudTrail. When the trail encrypts with a KMS key, "
        "a bucket default of SSE-S3 shows the two were configured apart and lets objects "
        "written by other paths escape the key's access control (HIPAA 164.312(a)(2)(iv))."
    ),
    remediation=Remediation(
        summary="Set the bucket's default encryption to SSE-KMS with the trail's key (and "
        "enable the S3 Bucket Key to cut KMS costs).",
        cli="aws s3api put-bucket-encryption --bucket <bucket> "
        '--server-side-encryption-configuration \'{"Rules":[{"ApplyServerSideEncryption'
        'ByDefault":{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"<key-arn>"},'
        '"BucketKeyEnabled":true}]}\'',
        terraform=(
            'resource "aws_s3_bucket_server_side_encryption_configuration" "cloudtrail" {\n'
            "  bucket = aws_s3_bucket.cloudtrail.id\n"
            "  rule {\n"
            "    apply_server_side_encryption_by_default {\n"
            '      sse_algorithm     = "aws:kms"\n'
            "      kms_master_key_id = aws_kms_key.cloudtrail.arn\n"
            "    }\n"
            "    bucket_key_enabled = true\n"
            "  }\n"
            "}"
        ),
        url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-bucket-encryption.html",
    ),
    references=(
        "Security Hub S3.17",
        "AWS Config s3-bucket-server-side-encryption-enabled",
        "AWS Config s3-default-encryption-kms",
        "HIPAA 164.312(a)(2)(iv)",
    ),
    permissions=(
        "cloudtrail:DescribeTrails",
        "s3:ListAllMyBuckets",
        "s3:GetEncryptionConfiguration",
    ),
    notes="Since January 2023 S3 applies SSE-S3 to every bucket, so 'no default encryption' "
    "only appears in old evidence. SSE-S3 passes when no trail delivering to the bucket "
    "uses KMS (trail-kms-encryption judges that).",
)


def _judge(ctx: CheckContext, target: LogBucketTarget, bucket: Bucket) -> Judgement | CollectionError:
    enc = bucket.encryption
    if isinstance(enc, CollectionError):
        return enc
    if enc is None:
        return Judgement(Status.FAIL, f"bucket {bucket.name} has no default encryption", {"sse_algorithm": None})
    evidence = {
        "sse_algorithm": enc.sse_algorithm,
        "kms_master_key_id": enc.kms_master_key_id,
        "trail_uses_kms": target.uses_kms,
    }
    if enc.sse_algorithm.startswith("aws:kms"):
        return Judgement(Status.PASS, f"bucket {bucket.name} encrypts by default with {enc.sse_algorithm}", evidence)
    if target.uses_kms:
        return Judgement(
            Status.FAIL,
            f"bucket {bucket.name} defaults to SSE-S3 ({enc.sse_algorithm}) while its trail encrypts with KMS",
            evidence,
        )
    return Judgement(
        Status.PASS, f"bucket {bucket.name} encrypts by default with SSE-S3, as its trail does not use KMS", evidence
    )


CHECK = bucket_check(META, _judge)

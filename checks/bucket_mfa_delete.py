"""bucket-mfa-delete: deleting log versions needs a second factor (or Object Lock forbids it)."""

from __future__ import annotations

from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity, Status
from auditor.engine.judgement import Judgement
from auditor.engine.policies import LogBucketTarget, bucket_check
from auditor.model.snapshot import Bucket, CollectionError

META = CheckMeta(
    id="bucket-mfa-delete",
    title="MFA delete is enabled on the trail's S3 bucket",
    severity=Severity.LOW,
    section="bucket",
    resource_type="AwsS3Bucket",
    rationale=(
        "With MFA delete, permanently deleting a version or changing the versioning state needs "
        "the root user's MFA device, so stolen credentials alone cannot erase the audit trail. "
        "Object Lock in compliance mode gives a stronger guarantee: nobody can delete a locked "
        "version before its retention ends."
    ),
    remediation=Remediation(
        summary="Enable MFA delete with the root user's MFA device, or protect the bucket with "
        "Object Lock in compliance mode.",
        cli="aws s3api put-bucket-versioning --bucket <bucket> --versioning-configuration "
        'Status=Enabled,MFADelete=Enabled --mfa "arn:aws:iam::<account>:mfa/root-account-'
        'mfa-device <code>"  # must be run with root credentials',
        terraform=(
            'resource "aws_s3_bucket_versioning" "cloudtrail" {\n'
            "  bucket = aws_s3_bucket.cloudtrail.id\n"
            '  mfa    = "arn:aws:iam::111111111111:mfa/root-account-mfa-device 123456"\n'
            "  versioning_configuration {\n"
            '    status     = "Enabled"\n'
            '    mfa_delete = "Enabled"\n'
            "  }\n"
            "}"
        ),
        url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/MultiFactorAuthenticationDelete.html",
    ),
    references=("CIS AWS Foundations 2.1.2 (v3.0: MFA delete on S3 buckets)", "Security Hub S3.20", "PCI DSS 10.3.2"),
    permissions=(
        "cloudtrail:DescribeTrails",
        "s3:ListAllMyBuckets",
        "s3:GetBucketVersioning",
        "s3:GetBucketObjectLockConfiguration",
    ),
    notes="Object Lock in compliance mode with a default retention also passes (noted in the "
    "message): it forbids the deletions MFA delete guards. Governance mode does not, since "
    "s3:BypassGovernanceRetention lets a principal delete.",
)


def _judge(ctx: CheckContext, target: LogBucketTarget, bucket: Bucket) -> Judgement | CollectionError:
    versioning, lock = bucket.versioning, bucket.object_lock
    if not isinstance(versioning, CollectionError) and versioning is not None and versioning.mfa_delete == "Enabled":
        return Judgement(Status.PASS, f"bucket {bucket.name} has MFA delete enabled", {"mfa_delete": "Enabled"})
    if (
        not isinstance(lock, CollectionError)
        and lock is not None
        and lock.enabled
        and lock.mode == "COMPLIANCE"
        and (lock.days or lock.years)
    ):
        return Judgement(
            Status.PASS,
            f"bucket {bucket.name} has MFA delete off, but Object Lock "
            "in compliance mode forbids deleting locked log versions",
            {"mfa_delete": getattr(versioning, "mfa_delete", None), "object_lock_mode": lock.mode},
        )
    if isinstance(versioning, CollectionError):
        return versioning
    if isinstance(lock, CollectionError):
        return lock
    return Judgement(
        Status.FAIL,
        f"bucket {bucket.name} has MFA delete off and no compliance-mode "
        "Object Lock: credentials alone can permanently delete log versions",
        {"mfa_delete": versioning.mfa_delete if versioning else None},
    )


CHECK = bucket_check(META, _judge)

"""trail-kms-encryption: every trail encrypts its log files with a KMS key (SSE-KMS)."""

from __future__ import annotations

from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity
from auditor.engine.judgement import Judgement
from auditor.engine.trails import setting_judgement, trail_check
from auditor.model.snapshot import Trail

from ._snippets import trail_resource

META = CheckMeta(
    id="trail-kms-encryption",
    title="Trails encrypt log files with a KMS key",
    severity=Severity.MEDIUM,
    section="trail",
    resource_type="AwsCloudTrailTrail",
    rationale=(
        "By default log files are only SSE-S3 encrypted, so anyone with s3:GetObject on the "
        "bucket can read them. SSE-KMS adds a second, separately audited permission (kms:Decrypt) "
        "and lets the key policy restrict who can read the audit trail."
    ),
    remediation=Remediation(
        summary=("Set a customer-managed KMS key on the trail (its key policy must allow CloudTrail)."),
        cli="aws cloudtrail update-trail --name <trail> --kms-key-id <key-arn>",
        terraform=trail_resource("kms_key_id = aws_kms_key.trail.arn"),
        url="https://docs.aws.amazon.com/awscloudtrail/latest/userguide/encrypting-cloudtrail-log-files-with-aws-kms.html",
    ),
    references=(
        "CIS AWS 3.5",
        "Security Hub CloudTrail.2",
        "AWS Config cloud-trail-encryption-enabled",
    ),
    permissions=("cloudtrail:DescribeTrails",),
    notes=(
        "Only the presence of KmsKeyId is judged here; whether the key is usable, rotated and "
        "tightly scoped is judged by trail-kms-key-health, -rotation and -policy."
    ),
)


def _judge(ctx: CheckContext, trail: Trail) -> Judgement:
    return setting_judgement(
        "kms_key_id",
        trail.kms_key_id,
        "log files are encrypted with KMS key {}",
        "no KmsKeyId: log files are only SSE-S3 encrypted",
    )


CHECK = trail_check(META, _judge)

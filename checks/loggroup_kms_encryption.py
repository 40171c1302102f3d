"""loggroup-kms-encryption: the trail's CloudWatch Logs log group is encrypted with a KMS key."""

from __future__ import annotations

from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity
from auditor.engine.judgement import Judgement
from auditor.engine.trailconfig import TrailLogGroup, log_group_check
from auditor.engine.trails import setting_judgement

META = CheckMeta(
    id="loggroup-kms-encryption",
    title="The trail's CloudWatch Logs log group is encrypted with a KMS key",
    severity=Severity.MEDIUM,
    section="monitoring",
    resource_type="AwsLogsLogGroup",
    rationale=(
        "The log group holds a copy of every event the trail records. Encrypting it with a "
        "customer-managed KMS key makes reading it need kms:Decrypt as well as logs:GetLogEvents, "
        "and lets the key policy and CloudTrail's own logs show who read it; the trail's S3 copy "
        "is already held to that by trail-kms-encryption."
    ),
    remediation=Remediation(
        summary=("Associate a KMS key whose policy lets logs.<region>.amazonaws.com use it with the log group."),
        cli="aws logs associate-kms-key --log-group-name <group> --kms-key-id <key-arn>",
        terraform=(
            'resource "aws_cloudwatch_log_group" "trail" {\n'
            '  name              = "cloudtrail-logs"\n'
            "  retention_in_days = 365\n"
            "  kms_key_id        = aws_kms_key.logs.arn\n"
            "}"
        ),
        url="https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html",
    ),
    references=("AWS Config cloudwatch-log-group-encrypted", "Prowler cloudwatch_log_group_kms_encryption_enabled"),
    permissions=("cloudtrail:DescribeTrails", "logs:DescribeLogGroups"),
    notes=(
        "Judged for each trail's own log group (not every log group of the account). CloudWatch "
        "Logs always encrypts at rest with a service key; only a kmsKeyId in DescribeLogGroups "
        "passes. A trail without a log group is NOT_APPLICABLE (trail-cloudwatch-logs judges "
        "that); a log group the trail names that does not exist FAILs."
    ),
)


def _judge(ctx: CheckContext, tlg: TrailLogGroup) -> Judgement:
    return setting_judgement(
        "kms_key_id",
        tlg.group.kms_key_id,
        "encrypted with KMS key {}",
        "not encrypted with a KMS key (service-managed encryption only)",
    )


CHECK = log_group_check(META, _judge)

"""trail-kms-key-health: the key a trail encrypts with exists and is usable."""

from __future__ import annotations

from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity, Status
from auditor.engine.judgement import Judgement
from auditor.engine.trailconfig import KeyUse, key_check
from auditor.model.snapshot import CollectionError, KmsKey

META = CheckMeta(
    id="trail-kms-key-health",
    title="The trail's KMS key is enabled and not pending deletion",
    severity=Severity.HIGH,
    section="trail",
    resource_type="AwsKmsKey",
    rationale=(
        "CloudTrail cannot deliver log files when its key is disabled or deleted: logging "
        "silently stops. A key pending deletion will make every log file encrypted under it "
        "unreadable forever once the waiting period ends."
    ),
    remediation=Remediation(
        summary="Enable the key, or cancel its scheduled deletion; if it is gone, set a new key.",
        cli=("aws kms cancel-key-deletion --key-id <key-arn>\naws kms enable-key --key-id <key-arn>"),
        terraform=(
            'resource "aws_kms_key" "trail" {\n'
            '  description             = "CloudTrail log files"\n'
            "  is_enabled              = true\n"
            "  enable_key_rotation     = true\n"
            "  deletion_window_in_days = 30\n"
            "}"
        ),
        url="https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html",
    ),
    references=("Security Hub KMS.3", "AWS Config kms-cmk-not-scheduled-for-deletion"),
    permissions=("cloudtrail:DescribeTrails", "kms:DescribeKey"),
    notes=(
        "FAIL: key disabled, PendingDeletion, PendingReplicaDeletion, PendingImport, "
        "Unavailable, or DescribeKey answered NotFoundException (the key is missing). The "
        "catalogue also lists 'not readable' as FAIL; we chose ERROR for any other collection "
        "failure (e.g. AccessDenied on DescribeKey): the auditor's role lacking kms:DescribeKey "
        "says nothing about whether CloudTrail can use the key, and fail-closed means unknown "
        "evidence is ERROR, never PASS nor a FAIL we cannot prove."
    ),
)

_BAD_STATES = {"Disabled", "PendingDeletion", "PendingReplicaDeletion", "PendingImport", "Unavailable"}


def _judge(ctx: CheckContext, use: KeyUse, key: KmsKey) -> Judgement | CollectionError:
    md = key.metadata
    if isinstance(md, CollectionError):
        if md.error_code == "NotFoundException":
            return Judgement(
                Status.FAIL,
                "the key does not exist (NotFoundException): CloudTrail cannot encrypt log files",
                {"error_code": md.error_code},
            )
        return md
    ev = {"key_state": md.key_state, "enabled": md.enabled, "deletion_date": md.deletion_date}
    if md.key_state in _BAD_STATES or not md.enabled:
        when = f", deletion date {md.deletion_date}" if md.deletion_date else ""
        return Judgement(Status.FAIL, f"key state is {md.key_state}{when}: CloudTrail cannot use it", ev)
    if md.key_state != "Enabled":
        return Judgement(Status.FAIL, f"key state is {md.key_state}, not Enabled", ev)
    return Judgement(Status.PASS, "key is enabled", ev)


CHECK = key_check(META, _judge)

"""trail-kms-key-health: the key a trail encrypts with exists and is usable."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.engine.checkapi import (
    Check,
    CheckContext,
    CheckMeta,
    CheckResult,
    Remediation,
    Severity,
    Status,
)
from auditor.engine.trails import KeyUse, key_error, key_result, per_key
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


def _judge(ctx: CheckContext, use: KeyUse, key: KmsKey) -> CheckResult:
    md = key.metadata
    if isinstance(md, CollectionError):
        if md.error_code == "NotFoundException":
            return key_result(
                ctx,
                use,
                Status.FAIL,
                "the key does not exist (NotFoundException): CloudTrail cannot encrypt log files",
                {"error_code": md.error_code},
            )
        return key_error(ctx, use, md)
    ev = {"key_state": md.key_state, "enabled": md.enabled, "deletion_date": md.deletion_date}
    if md.key_state in _BAD_STATES or not md.enabled:
        when = f", deletion date {md.deletion_date}" if md.deletion_date else ""
        return key_result(ctx, use, Status.FAIL, f"key state is {md.key_state}{when}: CloudTrail cannot use it", ev)
    if md.key_state != "Enabled":
        return key_result(ctx, use, Status.FAIL, f"key state is {md.key_state}, not Enabled", ev)
    return key_result(ctx, use, Status.PASS, "key is enabled", ev)


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per key used by the account's trails."""
    yield from per_key(ctx, lambda use, key: _judge(ctx, use, key))


CHECK = Check(META, evaluate)

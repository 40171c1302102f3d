"""trail-kms-key-rotation: the trail's customer-managed symmetric key rotates automatically."""

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
    id="trail-kms-key-rotation",
    title="The trail's customer-managed KMS key rotates automatically",
    severity=Severity.MEDIUM,
    section="trail",
    resource_type="AwsKmsKey",
    rationale=(
        "Rotation limits how much data one key version protects and how long a compromised "
        "version stays useful. CIS and PCI DSS 3.6/3.7 expect cryptoperiods for the keys that "
        "protect audit logs."
    ),
    remediation=Remediation(
        summary="Enable automatic key rotation on the key.",
        cli="aws kms enable-key-rotation --key-id <key-arn>",
        terraform=(
            'resource "aws_kms_key" "trail" {\n'
            '  description         = "CloudTrail log files"\n'
            "  enable_key_rotation = true\n"
            "}"
        ),
        url="https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html",
    ),
    references=(
        "CIS AWS 3.6",
        "Security Hub KMS.4",
        "AWS Config cmk-backing-key-rotation-enabled",
    ),
    permissions=("cloudtrail:DescribeTrails", "kms:DescribeKey", "kms:GetKeyRotationStatus"),
    notes=(
        "Only customer-managed SYMMETRIC_DEFAULT keys with AWS_KMS key material can rotate "
        "automatically. AWS-managed keys (rotated by AWS), asymmetric/HMAC keys, and keys with "
        "imported (EXTERNAL) or custom key store material are NOT_APPLICABLE, with the reason: "
        "they need manual rotation, which a configuration snapshot cannot see."
    ),
)


def _judge(ctx: CheckContext, use: KeyUse, key: KmsKey) -> CheckResult:
    md = key.metadata
    if isinstance(md, CollectionError):
        return key_error(ctx, use, md)
    ev: dict[str, object] = {"key_manager": md.key_manager, "key_spec": md.key_spec, "origin": md.origin}
    if md.key_manager != "CUSTOMER":
        return key_result(
            ctx, use, Status.NOT_APPLICABLE, f"{md.key_manager}-managed key: rotation is managed by AWS", ev
        )
    if md.key_spec != "SYMMETRIC_DEFAULT":
        return key_result(
            ctx, use, Status.NOT_APPLICABLE, f"key spec {md.key_spec} does not support automatic rotation", ev
        )
    if md.origin != "AWS_KMS":
        return key_result(
            ctx,
            use,
            Status.NOT_APPLICABLE,
            f"key material origin {md.origin} does not support automatic rotation; rotate it manually",
            ev,
        )
    rot = key.rotation_enabled
    if isinstance(rot, CollectionError):
        return key_error(ctx, use, rot)
    if rot is None:
        return key_result(ctx, use, Status.ERROR, "rotation status was not collected; nothing can be concluded", ev)
    ev["rotation_enabled"] = rot
    if rot:
        return key_result(ctx, use, Status.PASS, "automatic rotation is enabled", ev)
    return key_result(ctx, use, Status.FAIL, "automatic rotation is disabled", ev)


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per key used by the account's trails."""
    yield from per_key(ctx, lambda use, key: _judge(ctx, use, key))


CHECK = Check(META, evaluate)

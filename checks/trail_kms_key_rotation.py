"""trail-kms-key-rotation: the trail's customer-managed symmetric key rotates automatically."""

from __future__ import annotations

from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity, Status
from auditor.engine.judgement import Judgement
from auditor.engine.trailconfig import KeyUse, key_check
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


def _judge(ctx: CheckContext, use: KeyUse, key: KmsKey) -> Judgement | CollectionError:
    md = key.metadata
    if isinstance(md, CollectionError):
        return md
    ev: dict[str, object] = {"key_manager": md.key_manager, "key_spec": md.key_spec, "origin": md.origin}
    if md.key_manager != "CUSTOMER":
        return Judgement(Status.NOT_APPLICABLE, f"{md.key_manager}-managed key: rotation is managed by AWS", ev)
    if md.key_spec != "SYMMETRIC_DEFAULT":
        return Judgement(Status.NOT_APPLICABLE, f"key spec {md.key_spec} does not support automatic rotation", ev)
    if md.origin != "AWS_KMS":
        return Judgement(
            Status.NOT_APPLICABLE,
            f"key material origin {md.origin} does not support automatic rotation; rotate it manually",
            ev,
        )
    rot = key.rotation_enabled
    if isinstance(rot, CollectionError):
        return rot
    if rot is None:
        return Judgement(Status.ERROR, "rotation status was not collected; nothing can be concluded", ev)
    ev["rotation_enabled"] = rot
    return Judgement.either(rot, "automatic rotation is enabled", "automatic rotation is disabled", ev)


CHECK = key_check(META, _judge)

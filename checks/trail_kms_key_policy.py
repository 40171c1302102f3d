"""trail-kms-key-policy: the trail key's policy scopes CloudTrail and does not open decryption."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity
from auditor.engine.judgement import Judgement
from auditor.engine.trailconfig import KeyUse, key_check
from auditor.engine.trails import collected
from auditor.model.snapshot import CollectionError, KmsKey
from auditor.model.wildcard import glob_match

META = CheckMeta(
    id="trail-kms-key-policy",
    title="The trail key's policy is scoped to the trail and does not open decryption",
    severity=Severity.MEDIUM,
    section="trail",
    resource_type="AwsKmsKey",
    rationale=(
        "A key policy that lets cloudtrail.amazonaws.com encrypt without an aws:SourceArn or "
        "kms:EncryptionContext:aws:cloudtrail:arn condition lets any account's trail use the "
        "key (confused deputy). A wildcard principal allowed kms:Decrypt without conditions "
        "lets anyone who can read the bucket read the audit trail, defeating SSE-KMS."
    ),
    remediation=Remediation(
        summary=(
            "Condition the CloudTrail statement on aws:SourceArn (and/or the CloudTrail "
            "encryption context) and scope decrypt statements with kms:CallerAccount and the "
            "encryption context."
        ),
        cli="aws kms put-key-policy --key-id <key-arn> --policy-name default --policy file://key-policy.json",
        terraform=(
            'resource "aws_kms_key" "trail" {\n'
            '  description         = "CloudTrail log files"\n'
            "  enable_key_rotation = true\n"
            "  policy = jsonencode({\n"
            '    Version = "2012-10-17"\n'
            "    Statement = [{\n"
            '      Sid       = "AllowCloudTrailEncrypt"\n'
            '      Effect    = "Allow"\n'
            '      Principal = { Service = "cloudtrail.amazonaws.com" }\n'
            '      Action    = "kms:GenerateDataKey*"\n'
            '      Resource  = "*"\n'
            "      Condition = {\n"
            '        StringEquals = { "aws:SourceArn" = aws_cloudtrail.main.arn }\n'
            '        StringLike = { "kms:EncryptionContext:aws:cloudtrail:arn" = '
            '"arn:aws:cloudtrail:*:${data.aws_caller_identity.current.account_id}:trail/*" }\n'
            "      }\n"
            "    }]\n"
            "  })\n"
            "}"
        ),
        url="https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html",
    ),
    references=(
        "PCI DSS 10.3.1",
        "CloudTrail user guide: Configure AWS KMS key policies for CloudTrail",
    ),
    permissions=("cloudtrail:DescribeTrails", "kms:GetKeyPolicy"),
    notes=(
        "No Security Hub control or Config managed rule covers this; the logic follows the "
        "CloudTrail user guide's key policy. Only Allow statements are judged. A wildcard "
        'principal ("*", {"AWS": "*"} or NotPrincipal) counts as including '
        "cloudtrail.amazonaws.com. A Null condition asserting a key is absent does not count as "
        "a restriction. Conditions on a wildcard decrypt statement are accepted without judging "
        "their strength. A missing policy, or a key absent from the snapshot, is ERROR."
    ),
)

_CLOUDTRAIL = "cloudtrail.amazonaws.com"
_ENCRYPT_ACTIONS = ("kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext")
_DECRYPT_ACTIONS = ("kms:Decrypt",)
_SCOPING_KEYS = {"aws:sourcearn", "kms:encryptioncontext:aws:cloudtrail:arn"}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _action_matches(pattern: str, action: str) -> bool:
    return glob_match(pattern, action, case_sensitive=False)


def _allows(stmt: Mapping[str, Any], actions: tuple[str, ...]) -> bool:
    if "NotAction" in stmt:
        excluded = [str(a) for a in _as_list(stmt["NotAction"])]
        return any(not any(_action_matches(p, a) for p in excluded) for a in actions)
    patterns = [str(a) for a in _as_list(stmt.get("Action"))]
    return any(_action_matches(p, a) for p in patterns for a in actions)


def _wildcard_principal(stmt: Mapping[str, Any]) -> bool:
    if "NotPrincipal" in stmt:
        return True
    principal = stmt.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return "*" in [str(p) for p in _as_list(principal.get("AWS"))]
    return False


def _cloudtrail_principal(stmt: Mapping[str, Any]) -> bool:
    principal = stmt.get("Principal")
    if isinstance(principal, Mapping):
        services = [str(s).lower() for s in _as_list(principal.get("Service"))]
        if _CLOUDTRAIL in services:
            return True
    return _wildcard_principal(stmt)


def _condition_keys(stmt: Mapping[str, Any]) -> set[str]:
    keys: set[str] = set()
    cond = stmt.get("Condition")
    if not isinstance(cond, Mapping):
        return keys
    for operator, block in cond.items():
        if not isinstance(block, Mapping):
            continue
        for key, value in block.items():
            # {"Null": {"k": "true"}} demands that k be absent: it restricts nothing.
            if str(operator).lower().startswith("null") and "true" in [str(v).lower() for v in _as_list(value)]:
                continue
            keys.add(str(key).lower())
    return keys


def policy_problems(policy: Mapping[str, Any]) -> list[dict[str, str]]:
    """The Allow statements this check objects to, each with its Sid and the reason."""
    problems: list[dict[str, str]] = []
    for i, stmt in enumerate(_as_list(policy.get("Statement"))):
        if not isinstance(stmt, Mapping) or str(stmt.get("Effect", "")).lower() != "allow":
            continue
        sid = str(stmt.get("Sid") or f"statement #{i + 1}")
        keys = _condition_keys(stmt)
        if _cloudtrail_principal(stmt) and _allows(stmt, _ENCRYPT_ACTIONS) and not keys & _SCOPING_KEYS:
            problems.append(
                {
                    "sid": sid,
                    "problem": (
                        "lets cloudtrail.amazonaws.com generate data keys without an aws:SourceArn or "
                        "kms:EncryptionContext:aws:cloudtrail:arn condition"
                    ),
                }
            )
        if _wildcard_principal(stmt) and _allows(stmt, _DECRYPT_ACTIONS) and not keys:
            problems.append({"sid": sid, "problem": ("grants kms:Decrypt to a wildcard principal without conditions")})
    return problems


def _judge(ctx: CheckContext, use: KeyUse, key: KmsKey) -> Judgement | CollectionError:
    policy = collected(key.policy, "the key policy was")
    if isinstance(policy, Judgement | CollectionError):
        return policy
    if not isinstance(policy.get("Statement"), list | Mapping):
        return Judgement.unknown("the key policy has no readable Statement; nothing can be concluded")
    problems = policy_problems(policy)
    text = "; ".join(f"{p['sid']} {p['problem']}" for p in problems)
    passed = "CloudTrail use is scoped and decryption is not open to everyone"
    return Judgement.either(not problems, passed, text, {"problems": problems})


CHECK = key_check(META, _judge)

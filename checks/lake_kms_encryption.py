"""lake-kms-encryption: CloudTrail Lake event data stores are encrypted with a customer managed KMS key."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Remediation, Severity, Status
from auditor.engine.lake import RESOURCE_TYPE, per_event_data_store, store_result
from auditor.model.snapshot import AccountSnapshot, EventDataStore, EventDataStoreConfig

META = CheckMeta(
    id="lake-kms-encryption",
    title="CloudTrail Lake event data stores are encrypted with a customer managed KMS key",
    severity=Severity.MEDIUM,
    section="trail",
    resource_type=RESOURCE_TYPE,
    rationale=(
        "An event data store holds years of the organisation's API activity. With a customer "
        "managed key, reading it needs kms:Decrypt on a key whose policy you control and "
        "whose use CloudTrail logs; with the default key AWS owns, anyone allowed to query "
        "the store can read it, and the data cannot be made unreadable by disabling a key."
    ),
    remediation=Remediation(
        summary=(
            "Create the event data store with --kms-key-id (a symmetric customer managed key "
            "whose policy lets CloudTrail use it); the key cannot be changed back to the AWS "
            "owned key later."
        ),
        cli="aws cloudtrail update-event-data-store --event-data-store <arn> --kms-key-id <key-arn>",
        terraform=(
            'resource "aws_cloudtrail_event_data_store" "main" {\n'
            '  name = "org-events"\n'
            "  kms_key_id = aws_kms_key.lake.arn\n"
            "}"
        ),
        url="https://docs.aws.amazon.com/awscloudtrail/latest/userguide/query-event-data-store-encryption.html",
    ),
    references=("Security Hub CloudTrail.10",),
    permissions=("cloudtrail:ListEventDataStores", "cloudtrail:GetEventDataStore"),
    notes=(
        "Security Hub CloudTrail.10 passes a store with any customer managed key (its "
        "optional kmsKeyArns parameter restricts which); we do the same: GetEventDataStore's "
        "KmsKeyId set is PASS. Whether that key is enabled or rotated is not read here "
        "(trail-kms-key-* judge the trails' keys)."
    ),
)


def _judge(
    ctx: CheckContext, account: AccountSnapshot, store: EventDataStore, cfg: EventDataStoreConfig
) -> CheckResult:
    if cfg.kms_key_id:
        return store_result(
            ctx, account, store, Status.PASS, f"encrypted with KMS key {cfg.kms_key_id}", {"kms_key_id": cfg.kms_key_id}
        )
    return store_result(
        ctx,
        account,
        store,
        Status.FAIL,
        "encrypted with a key AWS owns, not a customer managed KMS key",
        {"kms_key_id": None},
    )


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per event data store; NOT_APPLICABLE for an account without one."""
    yield from per_event_data_store(ctx, lambda acc, store, cfg: _judge(ctx, acc, store, cfg))


CHECK = Check(META, evaluate)

"""lake-kms-encryption: CloudTrail Lake event data stores are encrypted with a customer managed KMS key."""

from __future__ import annotations

from auditor.engine.checkapi import CheckContext, Severity
from auditor.engine.judgement import Judgement
from auditor.engine.lake import lake_check, lake_meta, store_remediation
from auditor.model.snapshot import AccountSnapshot, EventDataStore, EventDataStoreConfig

META = lake_meta(
    id="lake-kms-encryption",
    title="CloudTrail Lake event data stores are encrypted with a customer managed KMS key",
    severity=Severity.MEDIUM,
    rationale=(
        "An event data store holds years of the organisation's API activity. With a customer "
        "managed key, reading it needs kms:Decrypt on a key whose policy you control and "
        "whose use CloudTrail logs; with the default key AWS owns, anyone allowed to query "
        "the store can read it, and the data cannot be made unreadable by disabling a key."
    ),
    remediation=store_remediation(
        "Create the event data store with --kms-key-id (a symmetric customer managed key "
        "whose policy lets CloudTrail use it); the key cannot be changed back to the AWS "
        "owned key later.",
        "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/query-event-data-store-encryption.html",
        option="--kms-key-id <key-arn>",
        setting="kms_key_id = aws_kms_key.lake.arn",
    ),
    references=("Security Hub CloudTrail.10",),
    notes=(
        "Security Hub CloudTrail.10 passes a store with any customer managed key (its "
        "optional kmsKeyArns parameter restricts which); we do the same: GetEventDataStore's "
        "KmsKeyId set is PASS. Whether that key is enabled or rotated is not read here "
        "(trail-kms-key-* judge the trails' keys)."
    ),
)


def _judge(ctx: CheckContext, account: AccountSnapshot, store: EventDataStore, cfg: EventDataStoreConfig) -> Judgement:
    return Judgement.either(
        bool(cfg.kms_key_id),
        f"encrypted with KMS key {cfg.kms_key_id}",
        "encrypted with a key AWS owns, not a customer managed KMS key",
        {"kms_key_id": cfg.kms_key_id or None},
    )


CHECK = lake_check(META, _judge)

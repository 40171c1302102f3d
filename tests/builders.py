"""Build snapshots directly for check tests: a sound organisation to start from.

Tests take ``sound_snapshot()`` (every configuration check passes on it) and
change one thing with ``dataclasses.replace`` or the ``with_*`` helpers, so
each test states exactly what breaks a check.
"""

from __future__ import annotations

from dataclasses import replace
from importlib import import_module
from typing import Any

from auditor.aws.demo_seed import cloudtrail_key_policy
from auditor.engine.checkapi import Check, CheckResult, Settings
from auditor.engine.runner import run_check
from auditor.model.snapshot import (
    AccountSnapshot,
    AdvancedEventSelector,
    Alarm,
    BasicEventSelector,
    Bucket,
    BucketAcl,
    BucketEncryption,
    BucketLogging,
    CollectionError,
    ConfigRecorder,
    DataResource,
    EventDataStore,
    EventDataStoreConfig,
    EventSelectors,
    FieldSelector,
    KeyMetadata,
    KmsKey,
    LifecycleRule,
    LogGroup,
    ObjectLock,
    PublicAccessBlock,
    RegionSnapshot,
    Snapshot,
    Subscription,
    Tag,
    TopicSubscriptions,
    Trail,
    TrailStatus,
    Transition,
    Versioning,
)
from tests.policydocs import policy, tls_deny_statement, trail_write_statement

ACCOUNT = "111111111111"
REGION = "us-east-1"
REGIONS = ("us-east-1", "eu-west-1")
NOW = "2026-11-20T12:00:00Z"
RECENT = "2026-11-20T11:00:00Z"
BUCKET = "acme-cloudtrail-logs"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/org-trail"
LOG_GROUP = "cloudtrail-logs"
LOG_GROUP_ARN = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{LOG_GROUP}:*"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:security-alarms"
STORE_ARN = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:eventdatastore/0b3c4d5e-1111-2222-3333-444455556666"


def denied(
    operation: str, service: str = "cloudtrail", region: str = REGION, resource: str = "", account: str = ACCOUNT
) -> CollectionError:
    """An AccessDenied collection error."""
    return CollectionError(
        account, region, service, operation, "AccessDenied", "User is not authorized to perform this action", resource
    )


def out_of_scope_error(resource: str = BUCKET) -> CollectionError:
    """The collector's error for a log bucket that an account outside the scanned scope owns."""
    return CollectionError(
        ACCOUNT,
        REGION,
        "s3",
        "GetBucketLocation",
        "OutOfScope",
        "bucket is owned by an account outside the scanned scope",
        resource,
    )


def sound_trail(**changes: Any) -> Trail:
    """A logging, multi-region, encrypted, validated, tagged trail notifying SNS, with R+W management
    events and S3, Lambda and DynamoDB data events for all resources."""
    trail = Trail(
        arn=TRAIL_ARN,
        name="org-trail",
        home_region=REGION,
        owner_account_id=ACCOUNT,
        is_multi_region=True,
        is_organization_trail=True,
        include_global_service_events=True,
        log_file_validation_enabled=True,
        s3_bucket_name=BUCKET,
        kms_key_id=KEY_ARN,
        cloudwatch_logs_log_group_arn=LOG_GROUP_ARN,
        cloudwatch_logs_role_arn=f"arn:aws:iam::{ACCOUNT}:role/CloudTrailToCloudWatch",
        status=TrailStatus(
            is_logging=True,
            latest_delivery_time=RECENT,
            latest_digest_delivery_time=RECENT,
            latest_cloudwatch_logs_delivery_time=RECENT,
        ),
        event_selectors=EventSelectors(
            basic=(
                BasicEventSelector(
                    read_write_type="All",
                    include_management_events=True,
                    data_resources=(
                        DataResource("AWS::S3::Object", ("arn:aws:s3",)),
                        DataResource("AWS::Lambda::Function", ("arn:aws:lambda",)),
                        DataResource("AWS::DynamoDB::Table", ("arn:aws:dynamodb",)),
                    ),
                ),
            )
        ),
        insight_selectors=("ApiCallRateInsight", "ApiErrorRateInsight"),
        seen_in_regions=REGIONS,
        sns_topic_arn=f"arn:aws:sns:{REGION}:{ACCOUNT}:cloudtrail-deliveries",
        tags=(Tag("owner", "security"), Tag("purpose", "audit")),
    )
    return replace(trail, **changes)


def own_trail(account: str, name: str, region: str = REGION, **changes: Any) -> Trail:
    """The sound trail as ``account``'s own trail ``name``, not an organisation trail."""
    return sound_trail(
        arn=f"arn:aws:cloudtrail:{region}:{account}:trail/{name}",
        name=name,
        owner_account_id=account,
        is_organization_trail=False,
        **changes,
    )


def advanced_management(*fields: FieldSelector) -> EventSelectors:
    """One advanced selector on management events, narrowed by ``fields``."""
    return EventSelectors(
        advanced=(AdvancedEventSelector("m", (FieldSelector("eventCategory", equals=("Management",)), *fields)),)
    )


def sound_bucket(**changes: Any) -> Bucket:
    """A private, versioned, object-locked log bucket with a good policy and lifecycle."""
    write = trail_write_statement(
        BUCKET, {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": TRAIL_ARN}}
    )
    bucket = Bucket(
        name=BUCKET,
        existence="exists",
        owner_account_id=ACCOUNT,
        region=REGION,
        policy=policy(write, tls_deny_statement(BUCKET)),
        acl=BucketAcl(owner_id="abc", grants=()),
        public_access_block=PublicAccessBlock(True, True, True, True),
        versioning=Versioning(status="Enabled", mfa_delete="Enabled"),
        object_lock=ObjectLock(enabled=True, mode="COMPLIANCE", days=400),
        lifecycle=(
            LifecycleRule(
                id="archive",
                enabled=True,
                transitions=(Transition("STANDARD_IA", days=30), Transition("GLACIER", days=120)),
                expiration_days=2555,
                noncurrent_expiration_days=2555,
            ),
        ),
        logging=BucketLogging(target_bucket="acme-access-logs", target_prefix="cloudtrail/"),
        encryption=BucketEncryption("aws:kms", KEY_ARN, True),
    )
    return replace(bucket, **changes)


def sound_key(**changes: Any) -> KmsKey:
    """An enabled customer-managed key with rotation and a tight policy."""
    key = KmsKey(
        key_ref=KEY_ARN,
        account_id=ACCOUNT,
        region=REGION,
        metadata=KeyMetadata(
            key_id=KEY_ARN.rsplit("/", 1)[1], arn=KEY_ARN, key_state="Enabled", enabled=True, key_manager="CUSTOMER"
        ),
        rotation_enabled=True,
        policy=cloudtrail_key_policy(ACCOUNT, TRAIL_ARN),
    )
    return replace(key, **changes)


def sound_event_data_store(**changes: Any) -> EventDataStore:
    """An ingesting, multi-region, organisation-enabled CloudTrail Lake store with a customer managed
    key, termination protection and seven years of retention (every lake-* check passes)."""
    config = replace(
        EventDataStoreConfig(
            status="ENABLED",
            multi_region_enabled=True,
            organization_enabled=True,
            termination_protection_enabled=True,
            retention_days=2557,
            kms_key_id=KEY_ARN,
            billing_mode="FIXED_RETENTION_PRICING",
            advanced_event_selectors=(
                AdvancedEventSelector(
                    "Default management events", (FieldSelector("eventCategory", equals=("Management",)),)
                ),
            ),
        ),
        **{k: v for k, v in changes.items() if k != "config"},
    )
    return EventDataStore(arn=STORE_ARN, name="org-events", region=REGION, config=changes.get("config", config))


def sound_region(region: str = REGION, **changes: Any) -> RegionSnapshot:
    """A region with the trail listed and Config recording; home region also has log group and topic."""
    home = region == REGION
    reg = RegionSnapshot(
        region=region,
        trail_arns=(TRAIL_ARN,),
        log_groups=(LogGroup(LOG_GROUP, LOG_GROUP_ARN, None, KEY_ARN),) if home else (),
        log_resource_policies=() if home else None,
        metric_filters=(),
        alarms=(),
        topics=(TopicSubscriptions(TOPIC_ARN, (Subscription(f"{TOPIC_ARN}:sub-1", "email", "secops@example.com"),)),)
        if home
        else (),
        config_recorders=(ConfigRecorder("default", True, home, True, "SUCCESS"),),
        event_data_stores=(sound_event_data_store(),) if home else (),
    )
    return replace(reg, **changes)


def sound_account(**changes: Any) -> AccountSnapshot:
    """The management account of an organisation with the sound trail, in two regions."""
    acc = AccountSnapshot(
        account_id=ACCOUNT,
        name="management",
        is_organization_management=True,
        enabled_regions=REGIONS,
        regions=tuple(sound_region(r) for r in REGIONS),
        trails=(sound_trail(),),
        s3_account_public_access_block=PublicAccessBlock(True, True, True, True),
    )
    return replace(acc, **changes)


def sound_snapshot(**changes: Any) -> Snapshot:
    """A snapshot on which every configuration check except the alarm-* ones passes.

    Alarms need filters and alarms per CIS item: see ``with_cis_alarms`` in
    the alarm tests.
    """
    snap = Snapshot(
        collected_at=NOW,
        tool_version="test",
        caller_account_id=ACCOUNT,
        accounts=(sound_account(),),
        buckets=(sound_bucket(),),
        keys=(sound_key(),),
    )
    return replace(snap, **changes)


def advanced_selectors() -> EventSelectors:
    """The sound trail's selectors in the advanced dialect, plus network activity events."""

    def sel(name: str, *fields: FieldSelector) -> AdvancedEventSelector:
        return AdvancedEventSelector(name, fields)

    def data(rtype: str) -> FieldSelector:
        return FieldSelector("resources.type", equals=(rtype,))

    category = lambda c: FieldSelector("eventCategory", equals=(c,))  # noqa: E731
    return EventSelectors(
        advanced=(
            sel("Management events", category("Management")),
            sel("S3 objects", category("Data"), data("AWS::S3::Object")),
            sel("Lambda invokes", category("Data"), data("AWS::Lambda::Function")),
            sel("DynamoDB items", category("Data"), data("AWS::DynamoDB::Table")),
            sel(
                "VPC endpoint activity",
                category("NetworkActivity"),
                FieldSelector("eventSource", equals=("s3.amazonaws.com", "kms.amazonaws.com")),
            ),
        )
    )


def with_account(snap: Snapshot, **changes: Any) -> Snapshot:
    """The snapshot with its first account changed."""
    first, *rest = snap.accounts
    return replace(snap, accounts=(replace(first, **changes), *rest))


def with_trail(snap: Snapshot, **changes: Any) -> Snapshot:
    """The snapshot with the sound trail changed."""
    acc = snap.accounts[0]
    return with_account(snap, trails=(replace(acc.trails[0], **changes), *acc.trails[1:]))


def with_bucket(snap: Snapshot, **changes: Any) -> Snapshot:
    """The snapshot with the log bucket changed."""
    return replace(snap, buckets=(replace(snap.buckets[0], **changes), *snap.buckets[1:]))


def with_key(snap: Snapshot, **changes: Any) -> Snapshot:
    """The snapshot with the trail key changed."""
    return replace(snap, keys=(replace(snap.keys[0], **changes), *snap.keys[1:]))


def with_region(snap: Snapshot, region: str = REGION, **changes: Any) -> Snapshot:
    """The snapshot with one region of the first account changed."""
    acc = snap.accounts[0]
    regions = tuple(replace(r, **changes) if r.region == region else r for r in acc.regions)
    return with_account(snap, regions=regions)


def alarm(name: str, metric: str, namespace: str = "CISBenchmark") -> Alarm:
    """An enabled alarm notifying the sound topic."""
    return Alarm(
        name=name,
        arn=f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}",
        metric_name=metric,
        namespace=namespace,
        alarm_actions=(TOPIC_ARN,),
    )


def integrity_doc(**parts: Any) -> dict[str, Any]:
    """A digest integrity document (Snapshot.integrity) with nothing in it but ``parts``.

    The document is typed and validated when a snapshot is built, so a test that
    needs only its digest gaps or validated chains still gives a whole document.
    """
    doc: dict[str, Any] = {
        "schema_version": 1,
        "scope": {
            "source": "local",
            "location": "digests",
            "trails": [],
            "accounts": [],
            "regions": [],
            "range": {"start": None, "end": None},
        },
        "digests_total": 0,
        "digests_valid": 0,
        "log_files_total": 0,
        "log_files_valid": 0,
        "files": [],
        "failures": {},
        "failure_counts": {},
        "digest_gaps": [],
        "errors": [],
        "validated": [],
    }
    return {**doc, **parts}


def listing_denied(bucket: str = BUCKET) -> dict[str, Any]:
    """An integrity document's ``errors`` entry: listing the trail's digests in ``bucket`` was refused."""
    return {
        "account_id": ACCOUNT,
        "region": REGION,
        "trail_arn": TRAIL_ARN,
        "operation": "s3:ListBucket",
        "error_code": "AccessDenied",
        "message": "Access Denied",
        "resource": f"s3://{bucket}/",
    }


def check_by_id(check_id: str) -> Check:
    """The check ``check_id`` of the checks package (its module is the id with underscores)."""
    chk: Check = import_module("checks." + check_id.replace("-", "_")).CHECK
    assert chk.meta.id == check_id
    return chk


def run_by_id(check_id: str, snap: Snapshot, settings: Settings | None = None) -> list[CheckResult]:
    """Every result of the check ``check_id`` on ``snap`` (default settings unless given)."""
    return run_check(snap, check_by_id(check_id), settings or Settings())

"""The per-resource records of a snapshot: trails, Lake stores, buckets, keys and regional resources.

Frozen dataclasses, one per thing the collector reads, grouped by service. Each
fetched field is typed ``X | CollectionError``: a :class:`CollectionError` there
means "we could not see it" and checks turn it into ERROR, never PASS. ``None``
means "AWS answered that it is not configured". The document that holds them
(:class:`~auditor.model.snapshot.Snapshot`) and its accounts live in
:mod:`auditor.model.snapshot`, which re-exports every name here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auditor.model.arn import arn_part

__all__ = [
    "AclGrant",
    "AdvancedEventSelector",
    "Alarm",
    "BasicEventSelector",
    "Bucket",
    "BucketAcl",
    "BucketEncryption",
    "BucketLogging",
    "CollectionError",
    "ConfigRecorder",
    "DataResource",
    "EventDataStore",
    "EventDataStoreConfig",
    "EventSelectors",
    "FieldSelector",
    "JsonDict",
    "KeyMetadata",
    "KmsKey",
    "LifecycleRule",
    "LogGroup",
    "LogResourcePolicy",
    "MetricFilter",
    "MetricTransformation",
    "ObjectLock",
    "PublicAccessBlock",
    "RegionSnapshot",
    "Subscription",
    "Tag",
    "TopicSubscriptions",
    "Trail",
    "TrailStatus",
    "Transition",
    "Versioning",
]

JsonDict = Mapping[str, Any]


@dataclass(frozen=True)
class CollectionError:
    """One piece of evidence that could not be collected, and why."""

    account_id: str
    region: str
    service: str
    operation: str
    error_code: str
    message: str
    resource: str = ""

    def reason(self) -> str:
        """A one-line, user-facing explanation."""
        where = f" for {self.resource}" if self.resource else ""
        return (
            f"{self.service}:{self.operation}{where} failed in account {self.account_id}"
            f" ({self.region}): {self.error_code}: {self.message}"
        )

    def evidence(self, *, located: bool = True) -> dict[str, str]:
        """The error as JSON evidence (the one shape results, reports and scans use).

        ``located=False`` leaves out account and region, for a result that states them itself.
        """
        where = {"account_id": self.account_id, "region": self.region} if located else {}
        return {
            **where,
            "service": self.service,
            "operation": self.operation,
            "error_code": self.error_code,
            "message": self.message,
            "resource": self.resource,
        }


# --------------------------------------------------------------------------- trails


@dataclass(frozen=True)
class TrailStatus:
    """GetTrailStatus, times as ISO 8601 UTC strings."""

    is_logging: bool
    latest_delivery_time: str | None = None
    latest_delivery_error: str | None = None
    latest_digest_delivery_time: str | None = None
    latest_digest_delivery_error: str | None = None
    latest_cloudwatch_logs_delivery_time: str | None = None
    latest_cloudwatch_logs_delivery_error: str | None = None
    start_logging_time: str | None = None
    stop_logging_time: str | None = None


@dataclass(frozen=True)
class DataResource:
    """A basic event selector's DataResources entry."""

    type: str
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class BasicEventSelector:
    """A basic (legacy) event selector."""

    read_write_type: str = "All"  # All | ReadOnly | WriteOnly
    include_management_events: bool = True
    exclude_management_event_sources: tuple[str, ...] = ()
    data_resources: tuple[DataResource, ...] = ()


@dataclass(frozen=True)
class FieldSelector:
    """One field condition of an advanced event selector."""

    field: str
    equals: tuple[str, ...] = ()
    starts_with: tuple[str, ...] = ()
    ends_with: tuple[str, ...] = ()
    not_equals: tuple[str, ...] = ()
    not_starts_with: tuple[str, ...] = ()
    not_ends_with: tuple[str, ...] = ()


@dataclass(frozen=True)
class AdvancedEventSelector:
    """An advanced event selector: all its field selectors must match."""

    name: str | None = None
    field_selectors: tuple[FieldSelector, ...] = ()


@dataclass(frozen=True)
class EventSelectors:
    """GetEventSelectors: a trail uses either basic or advanced selectors."""

    basic: tuple[BasicEventSelector, ...] = ()
    advanced: tuple[AdvancedEventSelector, ...] = ()


@dataclass(frozen=True)
class Tag:
    """One resource tag (CloudTrail ListTags)."""

    key: str
    value: str = ""


@dataclass(frozen=True)
class Trail:
    """One trail, deduplicated by ARN (shadow copies are not separate trails)."""

    arn: str
    name: str
    home_region: str
    owner_account_id: str
    is_multi_region: bool
    is_organization_trail: bool
    include_global_service_events: bool
    log_file_validation_enabled: bool
    s3_bucket_name: str | None
    s3_key_prefix: str | None = None
    kms_key_id: str | None = None
    cloudwatch_logs_log_group_arn: str | None = None
    cloudwatch_logs_role_arn: str | None = None
    sns_topic_arn: str | None = None
    status: TrailStatus | CollectionError | None = None
    event_selectors: EventSelectors | CollectionError | None = None
    #: InsightType values, e.g. ("ApiCallRateInsight",); () when none configured.
    insight_selectors: tuple[str, ...] | CollectionError = ()
    #: Regions whose DescribeTrails listed this trail (home and shadow copies).
    seen_in_regions: tuple[str, ...] = ()
    #: True for an organisation trail attached to a member account by the collector:
    #: the member is an ACTIVE account of the organisation whose in-scope account owns
    #: the trail, but the member's own DescribeTrails did not list it (moto never does;
    #: AWS does unless the listing failed). An organisation trail logs every member.
    inferred_from_organization: bool = False
    #: ListTags in the trail's home region, read for trails the account owns; () when the
    #: trail has no tags; None when not collected (a trail of another account, an older
    #: snapshot): a check needing tags then has nothing to judge and says so.
    tags: tuple[Tag, ...] | CollectionError | None = None


# --------------------------------------------------------------------------- CloudTrail Lake


@dataclass(frozen=True)
class EventDataStoreConfig:
    """GetEventDataStore: how a CloudTrail Lake event data store is set up."""

    #: CREATED | ENABLED | PENDING_DELETION | STARTING_INGESTION | STOPPING_INGESTION | STOPPED_INGESTION
    status: str
    multi_region_enabled: bool
    organization_enabled: bool
    termination_protection_enabled: bool
    #: RetentionPeriod in days; None when AWS did not say.
    retention_days: int | None = None
    #: The customer managed KMS key; None: encrypted with a key AWS owns.
    kms_key_id: str | None = None
    billing_mode: str | None = None
    advanced_event_selectors: tuple[AdvancedEventSelector, ...] = ()


@dataclass(frozen=True)
class EventDataStore:
    """A CloudTrail Lake event data store as ListEventDataStores names it in its home region."""

    arn: str
    name: str
    region: str
    config: EventDataStoreConfig | CollectionError

    @property
    def owner_account_id(self) -> str:
        """The account in the ARN (the management account owns an organisation store)."""
        return arn_part(self.arn, 4)


# --------------------------------------------------------------------------- buckets


@dataclass(frozen=True)
class AclGrant:
    """One ACL grant; grantee_uri is set for group grantees (AllUsers...)."""

    permission: str
    grantee_type: str
    grantee_id: str | None = None
    grantee_uri: str | None = None


@dataclass(frozen=True)
class BucketAcl:
    """GetBucketAcl."""

    owner_id: str | None
    grants: tuple[AclGrant, ...] = ()


@dataclass(frozen=True)
class PublicAccessBlock:
    """Bucket- or account-level Block Public Access settings."""

    block_public_acls: bool = False
    ignore_public_acls: bool = False
    block_public_policy: bool = False
    restrict_public_buckets: bool = False

    @property
    def fully_on(self) -> bool:
        """All four settings are on."""
        return (
            self.block_public_acls
            and self.ignore_public_acls
            and self.block_public_policy
            and self.restrict_public_buckets
        )


@dataclass(frozen=True)
class Versioning:
    """GetBucketVersioning; status None means never enabled."""

    status: str | None = None  # Enabled | Suspended | None
    mfa_delete: str | None = None  # Enabled | Disabled | None


@dataclass(frozen=True)
class ObjectLock:
    """GetObjectLockConfiguration."""

    enabled: bool
    mode: str | None = None  # COMPLIANCE | GOVERNANCE
    days: int | None = None
    years: int | None = None


@dataclass(frozen=True)
class Transition:
    """A lifecycle transition (current or noncurrent versions)."""

    storage_class: str
    days: int | None = None
    date: str | None = None


@dataclass(frozen=True)
class LifecycleRule:
    """One lifecycle rule, normalised."""

    id: str | None
    enabled: bool
    prefix: str = ""  # from Filter.Prefix, Filter.And.Prefix or legacy Prefix
    has_tag_filter: bool = False
    expiration_days: int | None = None
    expiration_date: str | None = None
    noncurrent_expiration_days: int | None = None
    transitions: tuple[Transition, ...] = ()
    noncurrent_transitions: tuple[Transition, ...] = ()


@dataclass(frozen=True)
class BucketLogging:
    """GetBucketLogging when enabled."""

    target_bucket: str
    target_prefix: str = ""


@dataclass(frozen=True)
class BucketEncryption:
    """GetBucketEncryption default rule."""

    sse_algorithm: str  # AES256 | aws:kms | aws:kms:dsse
    kms_master_key_id: str | None = None
    bucket_key_enabled: bool = False


@dataclass(frozen=True)
class Bucket:
    """A trail's destination bucket, read once with its owner's credentials.

    ``existence`` is "exists", "missing" (NoSuchBucket) or a CollectionError
    (for example a bucket owned by an account outside the scan's scope, code
    ``OutOfScope``). When the bucket could not be read, every configuration
    field carries the same CollectionError.
    """

    name: str
    existence: str | CollectionError
    owner_account_id: str | None = None
    region: str | CollectionError | None = None
    policy: JsonDict | CollectionError | None = None
    acl: BucketAcl | CollectionError | None = None
    public_access_block: PublicAccessBlock | CollectionError | None = None
    versioning: Versioning | CollectionError | None = None
    object_lock: ObjectLock | CollectionError | None = None
    lifecycle: tuple[LifecycleRule, ...] | CollectionError | None = None
    logging: BucketLogging | CollectionError | None = None
    encryption: BucketEncryption | CollectionError | None = None
    #: Bytes in S3 Standard, from CloudWatch's daily BucketSizeBytes metric (latest
    #: datapoint). Informational (a cost estimate), never a compliance verdict: a
    #: CollectionError here is only the reason the size is unknown and turns no check
    #: to ERROR. None: no datapoint (a new or empty bucket) or not collected.
    size_bytes: int | CollectionError | None = None


# --------------------------------------------------------------------------- KMS


@dataclass(frozen=True)
class KeyMetadata:
    """KMS DescribeKey."""

    key_id: str
    arn: str
    key_state: str
    enabled: bool
    key_manager: str  # CUSTOMER | AWS
    key_spec: str = "SYMMETRIC_DEFAULT"
    origin: str = "AWS_KMS"
    deletion_date: str | None = None


@dataclass(frozen=True)
class KmsKey:
    """A trail's KMS key, read once however many trails share it."""

    key_ref: str  # the KmsKeyId as the trail names it (ARN)
    account_id: str
    region: str
    metadata: KeyMetadata | CollectionError
    rotation_enabled: bool | CollectionError | None = None  # None: not applicable
    policy: JsonDict | CollectionError | None = None


# --------------------------------------------------------------------------- regional


@dataclass(frozen=True)
class LogGroup:
    """A CloudWatch Logs log group that a trail delivers to."""

    name: str
    arn: str
    retention_days: int | None = None  # None: never expire
    #: DescribeLogGroups kmsKeyId: the KMS key ARN encrypting the group; None: not KMS-encrypted
    #: (CloudWatch Logs' own service-managed encryption only).
    kms_key_id: str | None = None


@dataclass(frozen=True)
class LogResourcePolicy:
    """A CloudWatch Logs resource policy (DescribeResourcePolicies) in one region.

    An account-scoped policy applies to the log groups its statements' Resources
    name; a resource-scoped one (``resource_arn`` set) to that log group.
    """

    name: str
    document: JsonDict | CollectionError
    scope: str = "ACCOUNT"  # ACCOUNT | RESOURCE
    resource_arn: str | None = None


@dataclass(frozen=True)
class MetricTransformation:
    """Where a metric filter publishes."""

    metric_name: str
    metric_namespace: str
    metric_value: str = "1"


@dataclass(frozen=True)
class MetricFilter:
    """DescribeMetricFilters entry."""

    log_group_name: str
    name: str
    pattern: str
    transformations: tuple[MetricTransformation, ...] = ()


@dataclass(frozen=True)
class Alarm:
    """DescribeAlarms entry (metric alarms)."""

    name: str
    arn: str
    metric_name: str | None
    namespace: str | None
    actions_enabled: bool = True
    alarm_actions: tuple[str, ...] = ()
    state: str | None = None


@dataclass(frozen=True)
class Subscription:
    """SNS subscription; arn "PendingConfirmation" means unconfirmed."""

    arn: str
    protocol: str
    endpoint: str | None = None

    @property
    def confirmed(self) -> bool:
        """Whether the subscription has been confirmed."""
        return self.arn.startswith("arn:")


@dataclass(frozen=True)
class TopicSubscriptions:
    """ListSubscriptionsByTopic for one topic an alarm notifies."""

    topic_arn: str
    subscriptions: tuple[Subscription, ...] | CollectionError = ()


@dataclass(frozen=True)
class ConfigRecorder:
    """AWS Config recorder and its status."""

    name: str
    all_supported: bool = False
    include_global_resource_types: bool = False
    recording: bool | None = None
    last_status: str | None = None


@dataclass(frozen=True)
class RegionSnapshot:
    """What was collected in one region of one account."""

    region: str
    #: ARNs DescribeTrails(includeShadowTrails=True) listed in this region.
    trail_arns: tuple[str, ...] | CollectionError = ()
    log_groups: tuple[LogGroup, ...] | CollectionError = ()
    metric_filters: tuple[MetricFilter, ...] | CollectionError = ()
    alarms: tuple[Alarm, ...] | CollectionError = ()
    topics: tuple[TopicSubscriptions, ...] = ()
    config_recorders: tuple[ConfigRecorder, ...] | CollectionError = ()
    #: CloudWatch Logs resource policies, read in regions holding a trail's log group;
    #: None when not collected (no trail log group here, or an older snapshot).
    log_resource_policies: tuple[LogResourcePolicy, ...] | CollectionError | None = None
    #: CloudTrail Lake event data stores homed in this region (ListEventDataStores, then
    #: GetEventDataStore each); None when not collected (an older snapshot).
    event_data_stores: tuple[EventDataStore, ...] | CollectionError | None = None

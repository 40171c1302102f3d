"""Pure conversions from AWS response dicts to snapshot dataclasses.

Kept apart from the calls so that each normalisation (lifecycle filters,
selectors, times) is one small function of a response, easy to read and test.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from auditor.model.snapshot import (
    AclGrant,
    AdvancedEventSelector,
    Alarm,
    BasicEventSelector,
    BucketAcl,
    BucketEncryption,
    BucketLogging,
    CollectionError,
    ConfigRecorder,
    DataResource,
    EventDataStoreConfig,
    EventSelectors,
    FieldSelector,
    KeyMetadata,
    LifecycleRule,
    LogGroup,
    LogResourcePolicy,
    MetricFilter,
    MetricTransformation,
    ObjectLock,
    PublicAccessBlock,
    Subscription,
    Tag,
    TrailStatus,
    Transition,
    Versioning,
)
from auditor.model.timefmt import iso

Raw = Mapping[str, Any]


def iso_utc(value: object) -> str | None:
    """A botocore timestamp (datetime) or AWS string as ISO 8601 UTC with Z; '' is None."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, str) and value:
        return value
    return None


def now_iso() -> str:
    """The current time as ISO 8601 UTC with Z."""
    return iso_utc(datetime.now(UTC)) or ""


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _strs(values: Iterable[Any] | None) -> tuple[str, ...]:
    return tuple(str(v) for v in values or ())


def trail_status(raw: Raw) -> TrailStatus:
    """GetTrailStatus."""
    return TrailStatus(
        is_logging=bool(raw.get("IsLogging", False)),
        latest_delivery_time=iso_utc(raw.get("LatestDeliveryTime")),
        latest_delivery_error=_str_or_none(raw.get("LatestDeliveryError")),
        latest_digest_delivery_time=iso_utc(raw.get("LatestDigestDeliveryTime")),
        latest_digest_delivery_error=_str_or_none(raw.get("LatestDigestDeliveryError")),
        latest_cloudwatch_logs_delivery_time=iso_utc(raw.get("LatestCloudWatchLogsDeliveryTime")),
        latest_cloudwatch_logs_delivery_error=_str_or_none(raw.get("LatestCloudWatchLogsDeliveryError")),
        start_logging_time=iso_utc(raw.get("StartLoggingTime")),
        stop_logging_time=iso_utc(raw.get("StopLoggingTime")),
    )


def event_selectors(raw: Raw, has_custom_selectors: bool) -> EventSelectors:
    """GetEventSelectors, basic or advanced.

    A trail that never had selectors set records all management events, and
    AWS returns that default selector itself. moto returns an empty list
    instead, so an empty answer for a trail that DescribeTrails says has no
    custom selectors is read as the documented default.
    """
    basic = tuple(
        BasicEventSelector(
            read_write_type=str(sel.get("ReadWriteType", "All")),
            include_management_events=bool(sel.get("IncludeManagementEvents", True)),
            exclude_management_event_sources=_strs(sel.get("ExcludeManagementEventSources")),
            data_resources=tuple(
                DataResource(type=str(dr.get("Type", "")), values=_strs(dr.get("Values")))
                for dr in sel.get("DataResources") or ()
            ),
        )
        for sel in raw.get("EventSelectors") or ()
    )
    advanced = advanced_selectors(raw)
    if not basic and not advanced and not has_custom_selectors:
        basic = (BasicEventSelector(),)
    return EventSelectors(basic=basic, advanced=advanced)


def advanced_selectors(raw: Raw) -> tuple[AdvancedEventSelector, ...]:
    """The AdvancedEventSelectors of a trail's or an event data store's answer."""
    return tuple(
        AdvancedEventSelector(
            name=_str_or_none(sel.get("Name")),
            field_selectors=tuple(
                FieldSelector(
                    field=str(fs.get("Field", "")),
                    equals=_strs(fs.get("Equals")),
                    starts_with=_strs(fs.get("StartsWith")),
                    ends_with=_strs(fs.get("EndsWith")),
                    not_equals=_strs(fs.get("NotEquals")),
                    not_starts_with=_strs(fs.get("NotStartsWith")),
                    not_ends_with=_strs(fs.get("NotEndsWith")),
                )
                for fs in sel.get("FieldSelectors") or ()
            ),
        )
        for sel in raw.get("AdvancedEventSelectors") or ()
    )


def event_data_store_config(raw: Raw) -> EventDataStoreConfig:
    """GetEventDataStore."""
    retention = raw.get("RetentionPeriod")
    return EventDataStoreConfig(
        status=str(raw.get("Status") or ""),
        multi_region_enabled=bool(raw.get("MultiRegionEnabled", False)),
        organization_enabled=bool(raw.get("OrganizationEnabled", False)),
        termination_protection_enabled=bool(raw.get("TerminationProtectionEnabled", False)),
        retention_days=int(retention) if isinstance(retention, int) and not isinstance(retention, bool) else None,
        kms_key_id=_str_or_none(raw.get("KmsKeyId")),
        billing_mode=_str_or_none(raw.get("BillingMode")),
        advanced_event_selectors=advanced_selectors(raw),
    )


def insight_types(raw: Raw) -> tuple[str, ...]:
    """GetInsightSelectors as a sorted tuple of InsightType values."""
    return tuple(sorted({str(s["InsightType"]) for s in raw.get("InsightSelectors") or () if s.get("InsightType")}))


def bucket_region(raw: Raw) -> str:
    """GetBucketLocation: None/'' is us-east-1, the legacy 'EU' is eu-west-1."""
    loc = raw.get("LocationConstraint")
    if not loc:
        return "us-east-1"
    return "eu-west-1" if loc == "EU" else str(loc)


def bucket_policy(raw: Raw) -> dict[str, Any]:
    """GetBucketPolicy parsed into a dict (raises ValueError on malformed JSON)."""
    return _json_object(raw.get("Policy", ""))


def key_policy(raw: Raw) -> dict[str, Any]:
    """GetKeyPolicy parsed into a dict (raises ValueError on malformed JSON)."""
    return _json_object(raw.get("Policy", ""))


def bucket_size_bytes(raw: Raw) -> int | None:
    """GetMetricStatistics of AWS/S3 BucketSizeBytes: the newest datapoint's Average, in bytes.

    S3 publishes one datapoint a day (timestamped 00:00 UTC, up to two days
    late), so the newest one in the window is the current size. No datapoint
    (a new or empty bucket, or a window before the first report) is None:
    the size is unknown, not zero. A datapoint without a usable Average raises
    ValueError, which the collector records as a malformed response.
    """
    points = [p for p in raw.get("Datapoints") or () if isinstance(p, Mapping)]
    if not points:
        return None
    latest = max(points, key=_datapoint_time)
    average = latest.get("Average")
    if isinstance(average, bool) or not isinstance(average, int | float) or not math.isfinite(average) or average < 0:
        raise ValueError(f"BucketSizeBytes datapoint has no usable Average: {average!r}")
    return round(average)


def _datapoint_time(point: Raw) -> datetime:
    when = point.get("Timestamp")
    if isinstance(when, datetime):
        return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    raise ValueError(f"BucketSizeBytes datapoint has no timestamp: {when!r}")


def _json_object(text: object) -> dict[str, Any]:
    parsed = json.loads(str(text))
    if not isinstance(parsed, dict):
        raise ValueError("policy document is not a JSON object")
    return parsed


def bucket_acl(raw: Raw) -> BucketAcl:
    """GetBucketAcl."""
    return BucketAcl(
        owner_id=_str_or_none((raw.get("Owner") or {}).get("ID")),
        grants=tuple(
            AclGrant(
                permission=str(g.get("Permission", "")),
                grantee_type=str((g.get("Grantee") or {}).get("Type", "")),
                grantee_id=_str_or_none((g.get("Grantee") or {}).get("ID")),
                grantee_uri=_str_or_none((g.get("Grantee") or {}).get("URI")),
            )
            for g in raw.get("Grants") or ()
        ),
    )


def public_access_block(raw: Raw) -> PublicAccessBlock:
    """GetPublicAccessBlock (bucket or account level)."""
    conf = raw.get("PublicAccessBlockConfiguration") or {}
    return PublicAccessBlock(
        block_public_acls=bool(conf.get("BlockPublicAcls", False)),
        ignore_public_acls=bool(conf.get("IgnorePublicAcls", False)),
        block_public_policy=bool(conf.get("BlockPublicPolicy", False)),
        restrict_public_buckets=bool(conf.get("RestrictPublicBuckets", False)),
    )


def versioning(raw: Raw) -> Versioning:
    """GetBucketVersioning."""
    return Versioning(status=_str_or_none(raw.get("Status")), mfa_delete=_str_or_none(raw.get("MFADelete")))


def object_lock(raw: Raw) -> ObjectLock:
    """GetObjectLockConfiguration."""
    conf = raw.get("ObjectLockConfiguration") or {}
    retention = (conf.get("Rule") or {}).get("DefaultRetention") or {}
    days = retention.get("Days")
    years = retention.get("Years")
    return ObjectLock(
        enabled=conf.get("ObjectLockEnabled") == "Enabled",
        mode=_str_or_none(retention.get("Mode")),
        days=int(days) if days is not None else None,
        years=int(years) if years is not None else None,
    )


def _transition(raw: Raw, days_key: str) -> Transition:
    days = raw.get(days_key)
    return Transition(
        storage_class=str(raw.get("StorageClass", "")),
        days=int(days) if days is not None else None,
        date=iso_utc(raw.get("Date")),
    )


def lifecycle_rule(raw: Raw) -> LifecycleRule:
    """One lifecycle rule, its prefix taken from whichever filter form it uses."""
    filt = raw.get("Filter") or {}
    and_ = filt.get("And") or {}
    prefix = filt.get("Prefix")
    if prefix is None:
        prefix = and_.get("Prefix")
    if prefix is None:
        prefix = raw.get("Prefix", "")
    expiration = raw.get("Expiration") or {}
    noncurrent = raw.get("NoncurrentVersionExpiration") or {}
    exp_days = expiration.get("Days")
    nc_days = noncurrent.get("NoncurrentDays")
    return LifecycleRule(
        id=_str_or_none(raw.get("ID")),
        enabled=raw.get("Status") == "Enabled",
        prefix=str(prefix or ""),
        has_tag_filter=bool(filt.get("Tag") or and_.get("Tags")),
        expiration_days=int(exp_days) if exp_days is not None else None,
        expiration_date=iso_utc(expiration.get("Date")),
        noncurrent_expiration_days=int(nc_days) if nc_days is not None else None,
        transitions=tuple(_transition(t, "Days") for t in raw.get("Transitions") or ()),
        noncurrent_transitions=tuple(
            _transition(t, "NoncurrentDays") for t in raw.get("NoncurrentVersionTransitions") or ()
        ),
    )


def lifecycle(raw: Raw) -> tuple[LifecycleRule, ...]:
    """GetBucketLifecycleConfiguration."""
    return tuple(lifecycle_rule(r) for r in raw.get("Rules") or ())


def bucket_logging(raw: Raw) -> BucketLogging | None:
    """GetBucketLogging; None when server access logging is off."""
    enabled = raw.get("LoggingEnabled")
    if not enabled:
        return None
    return BucketLogging(
        target_bucket=str(enabled.get("TargetBucket", "")),
        target_prefix=str(enabled.get("TargetPrefix", "")),
    )


def bucket_encryption(raw: Raw) -> BucketEncryption | None:
    """GetBucketEncryption's first rule; None when no default rule is present."""
    rules = (raw.get("ServerSideEncryptionConfiguration") or {}).get("Rules") or ()
    for rule in rules:
        default = rule.get("ApplyServerSideEncryptionByDefault") or {}
        if default.get("SSEAlgorithm"):
            return BucketEncryption(
                sse_algorithm=str(default["SSEAlgorithm"]),
                kms_master_key_id=_str_or_none(default.get("KMSMasterKeyID")),
                bucket_key_enabled=bool(rule.get("BucketKeyEnabled", False)),
            )
    return None


def key_metadata(raw: Raw) -> KeyMetadata:
    """DescribeKey."""
    meta = raw.get("KeyMetadata") or {}
    return KeyMetadata(
        key_id=str(meta.get("KeyId", "")),
        arn=str(meta.get("Arn", "")),
        key_state=str(meta.get("KeyState", "")),
        enabled=bool(meta.get("Enabled", False)),
        key_manager=str(meta.get("KeyManager", "")),
        key_spec=str(meta.get("KeySpec") or meta.get("CustomerMasterKeySpec") or ""),
        origin=str(meta.get("Origin", "")),
        deletion_date=iso_utc(meta.get("DeletionDate")),
    )


def log_group(raw: Raw) -> LogGroup:
    """DescribeLogGroups entry; no retentionInDays means never expire."""
    retention = raw.get("retentionInDays")
    return LogGroup(
        name=str(raw.get("logGroupName", "")),
        arn=str(raw.get("arn", "")),
        retention_days=int(retention) if retention is not None else None,
        kms_key_id=_str_or_none(raw.get("kmsKeyId")),
    )


def log_resource_policy(raw: Raw, account_id: str, region: str) -> LogResourcePolicy:
    """DescribeResourcePolicies entry; an unparsable document is kept as the reason it is unknown."""
    name = str(raw.get("policyName", ""))
    document: dict[str, Any] | CollectionError
    try:
        document = _json_object(raw.get("policyDocument", ""))
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        document = CollectionError(
            account_id=account_id,
            region=region,
            service="logs",
            operation="DescribeResourcePolicies",
            error_code="UnparsablePolicy",
            message=f"policy document is not readable JSON: {exc}",
            resource=name,
        )
    return LogResourcePolicy(
        name=name,
        document=document,
        scope=str(raw.get("policyScope") or "ACCOUNT"),
        resource_arn=_str_or_none(raw.get("resourceArn")),
    )


def trail_tags(raw: Raw, arn: str) -> tuple[Tag, ...]:
    """ListTags for one trail: its TagsList, sorted by key."""
    tags: list[Tag] = []
    for entry in raw.get("ResourceTagList") or ():
        if entry.get("ResourceId") == arn:
            tags.extend(
                Tag(key=str(t.get("Key", "")), value=str(t.get("Value") or "")) for t in entry.get("TagsList") or ()
            )
    return tuple(sorted(tags, key=lambda t: t.key))


def metric_filter(raw: Raw) -> MetricFilter:
    """DescribeMetricFilters entry."""
    return MetricFilter(
        log_group_name=str(raw.get("logGroupName", "")),
        name=str(raw.get("filterName", "")),
        pattern=str(raw.get("filterPattern", "")),
        transformations=tuple(
            MetricTransformation(
                metric_name=str(t.get("metricName", "")),
                metric_namespace=str(t.get("metricNamespace", "")),
                metric_value=str(t.get("metricValue", "1")),
            )
            for t in raw.get("metricTransformations") or ()
        ),
    )


def alarm(raw: Raw) -> Alarm:
    """DescribeAlarms MetricAlarms entry (metric-math alarms have no MetricName)."""
    return Alarm(
        name=str(raw.get("AlarmName", "")),
        arn=str(raw.get("AlarmArn", "")),
        metric_name=_str_or_none(raw.get("MetricName")),
        namespace=_str_or_none(raw.get("Namespace")),
        actions_enabled=bool(raw.get("ActionsEnabled", True)),
        alarm_actions=_strs(raw.get("AlarmActions")),
        state=_str_or_none(raw.get("StateValue")),
    )


def subscription(raw: Raw) -> Subscription:
    """ListSubscriptionsByTopic entry."""
    return Subscription(
        arn=str(raw.get("SubscriptionArn", "")),
        protocol=str(raw.get("Protocol", "")),
        endpoint=_str_or_none(raw.get("Endpoint")),
    )


def config_recorders(recorders: Raw, statuses: Raw | None) -> tuple[ConfigRecorder, ...]:
    """DescribeConfigurationRecorders joined with DescribeConfigurationRecorderStatus."""
    by_name = {str(s.get("name", "")): s for s in (statuses or {}).get("ConfigurationRecordersStatus") or ()}
    out = []
    for rec in recorders.get("ConfigurationRecorders") or ():
        name = str(rec.get("name", ""))
        group = rec.get("recordingGroup") or {}
        status = by_name.get(name, {})
        recording = status.get("recording")
        out.append(
            ConfigRecorder(
                name=name,
                all_supported=bool(group.get("allSupported", False)),
                include_global_resource_types=bool(group.get("includeGlobalResourceTypes", False)),
                recording=bool(recording) if recording is not None else None,
                last_status=_str_or_none(status.get("lastStatus")),
            )
        )
    return tuple(out)

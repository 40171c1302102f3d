"""The mutable state one scan fills per account and per region, frozen into the snapshot.

A field starts as "not collected" (an ERROR for the checks that need it) and is
replaced only by what a call really returned, so a call that never ran fails closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from auditor.aws.collect._aws import AccountAccess, not_collected
from auditor.aws.collect._runner import Counter
from auditor.model.arn import arn_part
from auditor.model.snapshot import (
    AccountSnapshot,
    CollectionError,
    EventDataStore,
    LogGroup,
    LogResourcePolicy,
    MetricFilter,
    PublicAccessBlock,
    RegionSnapshot,
    TopicSubscriptions,
    Trail,
)


@dataclass
class RegionState:
    account_id: str
    region: str
    unit: Counter
    trail_arns: tuple[str, ...] | CollectionError = ()
    log_groups: tuple[LogGroup, ...] | CollectionError = ()
    metric_filters: tuple[MetricFilter, ...] | CollectionError = ()
    alarms: tuple[Any, ...] | CollectionError = ()
    topics: list[TopicSubscriptions] = field(default_factory=list)
    config_recorders: tuple[Any, ...] | CollectionError = ()
    log_resource_policies: tuple[LogResourcePolicy, ...] | CollectionError | None = None
    event_data_stores: tuple[EventDataStore, ...] | CollectionError | None = None

    def __post_init__(self) -> None:
        a, r = self.account_id, self.region
        self.trail_arns = not_collected(a, r, "cloudtrail", "DescribeTrails")
        self.log_groups = not_collected(a, r, "logs", "DescribeLogGroups")
        self.metric_filters = not_collected(a, r, "logs", "DescribeMetricFilters")
        self.alarms = not_collected(a, r, "cloudwatch", "DescribeAlarms")
        self.config_recorders = not_collected(a, r, "config", "DescribeConfigurationRecorders")
        self.event_data_stores = not_collected(a, r, "cloudtrail", "ListEventDataStores")

    def freeze(self) -> RegionSnapshot:
        """The snapshot's region: every field as read, the topics in ARN order."""
        read = {f.name: getattr(self, f.name) for f in fields(RegionSnapshot) if f.name != "topics"}
        return RegionSnapshot(**read, topics=tuple(sorted(self.topics, key=lambda t: t.topic_arn)))


@dataclass
class AccountState:
    account_id: str
    name: str | None = None
    access: AccountAccess | None = None
    access_error: CollectionError | None = None
    is_management: bool | None = None
    enabled: tuple[str, ...] = ()
    disabled: tuple[str, ...] = ()
    regions: dict[str, RegionState] = field(default_factory=dict)
    trail_raw: dict[str, dict[str, Any]] = field(default_factory=dict)
    trail_seen: dict[str, set[str]] = field(default_factory=dict)
    trail_details: dict[str, dict[str, Any]] = field(default_factory=dict)
    claimed: set[str] = field(default_factory=set)
    bucket_names: frozenset[str] | CollectionError | None = None
    account_pab: PublicAccessBlock | CollectionError | None = None

    def freeze(self) -> AccountSnapshot:
        if self.access_error is not None:
            return AccountSnapshot(account_id=self.account_id, name=self.name, access_error=self.access_error)
        return AccountSnapshot(
            account_id=self.account_id,
            name=self.name,
            is_organization_management=self.is_management,
            enabled_regions=self.enabled,
            disabled_regions=self.disabled,
            regions=tuple(self.regions[r].freeze() for r in sorted(self.regions)),
            trails=tuple(self._trail(arn) for arn in sorted(self.trail_raw)),
            s3_account_public_access_block=self.account_pab,
        )

    def _trail(self, arn: str) -> Trail:
        raw = self.trail_raw[arn]
        home = str(raw.get("HomeRegion") or arn_part(arn, 3))
        details = self.trail_details.get(arn, {})
        a = self.account_id
        return Trail(
            arn=arn,
            name=str(raw.get("Name", "")),
            home_region=home,
            owner_account_id=arn_part(arn, 4),
            is_multi_region=bool(raw.get("IsMultiRegionTrail", False)),
            is_organization_trail=bool(raw.get("IsOrganizationTrail", False)),
            include_global_service_events=bool(raw.get("IncludeGlobalServiceEvents", False)),
            log_file_validation_enabled=bool(raw.get("LogFileValidationEnabled", False)),
            s3_bucket_name=raw.get("S3BucketName") or None,
            s3_key_prefix=raw.get("S3KeyPrefix") or None,
            kms_key_id=raw.get("KmsKeyId") or None,
            cloudwatch_logs_log_group_arn=raw.get("CloudWatchLogsLogGroupArn") or None,
            cloudwatch_logs_role_arn=raw.get("CloudWatchLogsRoleArn") or None,
            sns_topic_arn=raw.get("SnsTopicARN") or None,
            status=details.get("status", not_collected(a, home, "cloudtrail", "GetTrailStatus")),
            event_selectors=details.get("selectors", not_collected(a, home, "cloudtrail", "GetEventSelectors")),
            insight_selectors=details.get("insights", not_collected(a, home, "cloudtrail", "GetInsightSelectors")),
            tags=details.get("tags", not_collected(a, home, "cloudtrail", "ListTags"))
            if arn_part(arn, 4) == a
            else None,
            seen_in_regions=tuple(sorted(self.trail_seen.get(arn, ()))),
        )

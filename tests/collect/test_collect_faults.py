"""Each kind of call, refused: the right field holds the error, the rest is collected."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from auditor.aws.collect import CollectOptions, collect
from auditor.model.snapshot import CollectionError, Snapshot
from tests.collect.conftest import (
    CALLER,
    REGION,
    Seeded,
    client,
    deny,
    seed_configured_account,
)


def _home(snap: Snapshot) -> Any:
    return snap.accounts[0].region(REGION)


def _trail(snap: Snapshot) -> Any:
    return snap.accounts[0].trails[0]


def _bucket(snap: Snapshot) -> Any:
    return snap.buckets[0]


def _key(snap: Snapshot) -> Any:
    return snap.keys[0]


Fault = tuple[str, str, Callable[[Snapshot], object]]

#: (botocore service id, operation, where the error must land). Faults in one
#: group land in independent fields, so one collection checks the whole group.
FAULT_GROUPS: dict[str, list[Fault]] = {
    "trails-listing": [
        ("cloudtrail", "DescribeTrails", lambda s: _home(s).trail_arns),
        ("cloudtrail", "DescribeTrails", lambda s: _home(s).log_groups),
        ("organizations", "DescribeOrganization", lambda s: s.organization),
    ],
    "first-calls": [
        ("cloudtrail", "GetTrailStatus", lambda s: _trail(s).status),
        ("cloudwatch-logs", "DescribeLogGroups", lambda s: _home(s).log_groups),
        ("cloudwatch", "DescribeAlarms", lambda s: _home(s).alarms),
        ("config-service", "DescribeConfigurationRecorders", lambda s: _home(s).config_recorders),
        ("cloudtrail", "ListEventDataStores", lambda s: _home(s).event_data_stores),
        ("s3", "GetBucketPolicy", lambda s: _bucket(s).policy),
        (
            "s3-control",
            "GetPublicAccessBlock",
            lambda s: s.accounts[0].s3_account_public_access_block,
        ),
        ("kms", "DescribeKey", lambda s: _key(s).metadata),
    ],
    "follow-up-calls": [
        ("cloudtrail", "GetEventSelectors", lambda s: _trail(s).event_selectors),
        ("cloudwatch-logs", "DescribeMetricFilters", lambda s: _home(s).metric_filters),
        ("sns", "ListSubscriptionsByTopic", lambda s: _home(s).topics[0].subscriptions),
        (
            "config-service",
            "DescribeConfigurationRecorderStatus",
            lambda s: _home(s).config_recorders,
        ),
        ("s3", "GetBucketAcl", lambda s: _bucket(s).acl),
        ("kms", "GetKeyRotationStatus", lambda s: _key(s).rotation_enabled),
    ],
    "more-calls": [
        ("cloudtrail", "GetInsightSelectors", lambda s: _trail(s).insight_selectors),
        ("s3", "GetBucketLocation", lambda s: _bucket(s).region),
        ("s3", "GetPublicAccessBlock", lambda s: _bucket(s).public_access_block),
        ("kms", "GetKeyPolicy", lambda s: _key(s).policy),
        ("cloudtrail", "ListTags", lambda s: _trail(s).tags),
        ("cloudwatch-logs", "DescribeResourcePolicies", lambda s: _home(s).log_resource_policies),
    ],
    "log-group-follow-ups": [
        ("cloudwatch-logs", "DescribeMetricFilters", lambda s: _home(s).metric_filters),
        ("cloudwatch-logs", "DescribeResourcePolicies", lambda s: _home(s).log_resource_policies),
    ],
    "bucket-calls": [
        ("s3", "GetBucketVersioning", lambda s: _bucket(s).versioning),
        ("s3", "GetObjectLockConfiguration", lambda s: _bucket(s).object_lock),
        ("s3", "GetBucketLifecycleConfiguration", lambda s: _bucket(s).lifecycle),
        ("s3", "GetBucketLogging", lambda s: _bucket(s).logging),
        ("s3", "GetBucketEncryption", lambda s: _bucket(s).encryption),
    ],
}


@pytest.mark.parametrize("group", sorted(FAULT_GROUPS))
def test_access_denied_becomes_a_collection_error_in_its_field(session: boto3.Session, group: str) -> None:
    seed_configured_account(session)
    faults = FAULT_GROUPS[group]
    for service_id, operation in {(s, o) for s, o, _ in faults}:
        deny(session, service_id, operation)

    snap = collect(CollectOptions(regions=(REGION,)), session=session)

    for _service_id, operation, field in faults:
        value = field(snap)
        assert isinstance(value, CollectionError), (operation, value)
        assert (value.operation, value.error_code, value.account_id) == (
            operation,
            "AccessDenied",
            CALLER,
        )
        assert value in snap.errors
    assert all(e.error_code == "AccessDenied" for e in snap.errors)
    # the account itself stays accessible: only the refused evidence is missing
    assert snap.accounts[0].access_error is None
    assert snap.accounts[0].enabled_regions == (REGION,)


def test_denied_list_buckets_leaves_the_bucket_owner_unknown(session: boto3.Session) -> None:
    seeded: Seeded = seed_configured_account(session)
    deny(session, "s3", "ListBuckets")

    snap = collect(CollectOptions(regions=(REGION,)), session=session)

    bucket = snap.bucket(seeded.bucket)
    assert bucket is not None
    assert isinstance(bucket.existence, CollectionError)
    assert bucket.existence.error_code == "OwnerUnknown"
    assert isinstance(bucket.policy, CollectionError)
    assert any(e.operation == "ListBuckets" and e.error_code == "AccessDenied" for e in snap.errors)


def _collect_raising(session: boto3.Session, event: str, error: Callable[[], Exception]) -> Snapshot:
    """Collect the seeded account while every call of ``event`` (service.Operation) raises ``error()``."""
    seed_configured_account(session)

    def hook(**_: Any) -> None:
        raise error()

    session.events.register(f"before-call.{event}", hook)
    return collect(CollectOptions(regions=(REGION,)), session=session)


def _client_error(code: str, message: str, operation: str) -> Callable[[], ClientError]:
    return lambda: ClientError({"Error": {"Code": code, "Message": message}}, operation)


def test_insights_not_enabled_is_no_insights_not_an_error(session: boto3.Session) -> None:
    not_enabled = _client_error("InsightNotEnabledException", "no insights", "GetInsightSelectors")
    snap = _collect_raising(session, "cloudtrail.GetInsightSelectors", not_enabled)

    assert _trail(snap).insight_selectors == ()
    assert snap.errors == ()


def test_insight_selectors_are_collected(session: boto3.Session) -> None:
    seeded = seed_configured_account(session)
    client(session, "cloudtrail").put_insight_selectors(
        TrailName=seeded.trail_arn, InsightSelectors=[{"InsightType": "ApiCallRateInsight"}]
    )

    snap = collect(CollectOptions(regions=(REGION,)), session=session)

    assert _trail(snap).insight_selectors == ("ApiCallRateInsight",)


def test_unreachable_endpoint_is_an_error_not_an_exception(session: boto3.Session) -> None:
    from botocore.exceptions import EndpointConnectionError

    url = "https://monitoring.us-east-1.amazonaws.com"
    snap = _collect_raising(session, "cloudwatch.DescribeAlarms", lambda: EndpointConnectionError(endpoint_url=url))

    alarms = _home(snap).alarms
    assert isinstance(alarms, CollectionError)
    assert alarms.error_code == "EndpointConnectionError"


def test_credentials_never_appear_in_error_messages(session: boto3.Session) -> None:
    leaky = _client_error("InvalidClientTokenId", "key ASIAIOSFODNN7EXAMPLE bad", "DescribeAlarms")
    snap = _collect_raising(session, "cloudwatch.DescribeAlarms", leaky)

    assert snap.errors
    for err in snap.errors:
        assert "ASIAIOSFODNN7EXAMPLE" not in err.message
        assert "<redacted>" in err.message


def test_refused_metric_filters_leave_the_log_resource_policies_read(session: boto3.Session) -> None:
    seed_configured_account(session)
    deny(session, "cloudwatch-logs", "DescribeMetricFilters")

    snap = collect(CollectOptions(regions=(REGION,)), session=session)

    assert isinstance(_home(snap).metric_filters, CollectionError)
    assert _home(snap).log_resource_policies == ()

"""Normalisation of AWS responses that moto does not produce in every form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import boto3
import pytest

from auditor.aws.collect import _parse as parse
from auditor.aws.collect._aws import AccountAccess, Aws, make_config
from auditor.model.snapshot import BasicEventSelector, DataResource, FieldSelector


def test_times_are_iso_utc_with_z() -> None:
    paris = timezone(timedelta(hours=1))
    assert parse.iso_utc(datetime(2026, 1, 2, 4, 5, 6, tzinfo=paris)) == "2026-01-02T03:05:06Z"
    assert parse.iso_utc(datetime(2026, 1, 2, 3, 5, 6)) == "2026-01-02T03:05:06Z"
    assert parse.iso_utc("") is None and parse.iso_utc(None) is None


def test_lifecycle_prefix_comes_from_any_filter_form() -> None:
    rules = parse.lifecycle(
        {
            "Rules": [
                {"ID": "and", "Status": "Enabled", "Filter": {"And": {"Prefix": "AWSLogs/", "Tags": [{"Key": "k"}]}}},
                {"ID": "legacy", "Status": "Disabled", "Prefix": "old/"},
                {"ID": "tag", "Status": "Enabled", "Filter": {"Tag": {"Key": "k", "Value": "v"}}},
                {
                    "ID": "deep",
                    "Status": "Enabled",
                    "Filter": {},
                    "NoncurrentVersionTransitions": [{"NoncurrentDays": 30, "StorageClass": "DEEP_ARCHIVE"}],
                    "Expiration": {"Date": datetime(2030, 1, 1, tzinfo=UTC)},
                },
            ]
        }
    )
    assert [(r.id, r.prefix, r.enabled, r.has_tag_filter) for r in rules] == [
        ("and", "AWSLogs/", True, True),
        ("legacy", "old/", False, False),
        ("tag", "", True, True),
        ("deep", "", True, False),
    ]
    assert rules[3].noncurrent_transitions[0].days == 30
    assert rules[3].expiration_date == "2030-01-01T00:00:00Z"


def test_selectors_basic_and_advanced() -> None:
    sel = parse.event_selectors(
        {
            "EventSelectors": [
                {
                    "ReadWriteType": "WriteOnly",
                    "IncludeManagementEvents": True,
                    "ExcludeManagementEventSources": ["kms.amazonaws.com"],
                    "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
                }
            ],
            "AdvancedEventSelectors": [
                {"Name": "mgmt", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}
            ],
        },
        has_custom_selectors=True,
    )
    assert sel.basic == (
        BasicEventSelector(
            read_write_type="WriteOnly",
            include_management_events=True,
            exclude_management_event_sources=("kms.amazonaws.com",),
            data_resources=(DataResource("AWS::S3::Object", ("arn:aws:s3",)),),
        ),
    )
    assert sel.advanced[0].field_selectors == (FieldSelector("eventCategory", equals=("Management",)),)


def test_empty_selectors_of_a_custom_trail_stay_empty() -> None:
    assert parse.event_selectors({"EventSelectors": []}, has_custom_selectors=True).basic == ()
    assert parse.event_selectors({}, has_custom_selectors=False).basic == (BasicEventSelector(),)


def test_kms_bucket_encryption_and_legacy_eu_location() -> None:
    enc = parse.bucket_encryption(
        {
            "ServerSideEncryptionConfiguration": {
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "k"},
                        "BucketKeyEnabled": True,
                    }
                ]
            }
        }
    )
    assert enc is not None and (enc.sse_algorithm, enc.kms_master_key_id, enc.bucket_key_enabled) == (
        "aws:kms",
        "k",
        True,
    )
    assert parse.bucket_region({"LocationConstraint": "EU"}) == "eu-west-1"
    assert parse.bucket_region({"LocationConstraint": None}) == "us-east-1"


def test_malformed_policy_is_refused() -> None:
    with pytest.raises(ValueError):
        parse.bucket_policy({"Policy": "[1, 2]"})


def test_s3_control_keeps_a_local_endpoint_host() -> None:
    session = boto3.Session(region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    aws = Aws(session, config=make_config(1), endpoint_url="http://127.0.0.1:9", on_error=lambda e: None)
    access = AccountAccess("123456789012")
    client = aws.client(access, "s3control", "us-east-1")
    seen: list[str] = []

    def capture(request: Any, **_: Any) -> None:
        seen.append(request.url)
        raise RuntimeError("stop before sending")

    client.meta.events.register("before-send", capture)
    with aws.acting_as(access), pytest.raises(RuntimeError):
        client.get_public_access_block(AccountId="123456789012")
    assert seen == ["http://127.0.0.1:9/v20180820/configuration/publicAccessBlock"]


def test_unparsable_log_resource_policy_is_kept_as_the_reason_it_is_unknown() -> None:
    from auditor.aws.collect._parse import log_resource_policy
    from auditor.model.snapshot import CollectionError

    pol = log_resource_policy({"policyName": "odd", "policyDocument": "{not json"}, "111111111111", "us-east-1")
    assert isinstance(pol.document, CollectionError)
    assert (pol.document.operation, pol.document.error_code, pol.document.resource) == (
        "DescribeResourcePolicies",
        "UnparsablePolicy",
        "odd",
    )
    scoped = log_resource_policy(
        {
            "policyName": "g",
            "policyDocument": "{}",
            "policyScope": "RESOURCE",
            "resourceArn": "arn:aws:logs:us-east-1:111111111111:log-group:g",
        },
        "111111111111",
        "us-east-1",
    )
    assert (scoped.scope, scoped.resource_arn, scoped.document) == (
        "RESOURCE",
        "arn:aws:logs:us-east-1:111111111111:log-group:g",
        {},
    )


def test_trail_tags_keep_only_the_asked_trail_sorted_by_key() -> None:
    from auditor.aws.collect._parse import trail_tags

    arn = "arn:aws:cloudtrail:us-east-1:111111111111:trail/t"
    raw = {
        "ResourceTagList": [
            {"ResourceId": arn, "TagsList": [{"Key": "b", "Value": "2"}, {"Key": "a"}]},
            {"ResourceId": arn + "-other", "TagsList": [{"Key": "z", "Value": "9"}]},
        ]
    }
    assert [(t.key, t.value) for t in trail_tags(raw, arn)] == [("a", ""), ("b", "2")]

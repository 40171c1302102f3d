"""The Lambda handler, invoked in-process under moto: scan, history, reports, SNS."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from auditor.aws.lambda_handler import CONFIGURATION_ONLY, LambdaConfig, handler
from auditor.model.errors import ValidationError

ENV = {"TRAIL_AUDITOR_OUTPUT_BUCKET": "audit-results"}


def test_payload_is_validated() -> None:
    with pytest.raises(ValidationError, match="TRAIL_AUDITOR_OUTPUT_BUCKET is not set"):
        LambdaConfig.from_event({}, {})
    with pytest.raises(ValidationError, match="Additional properties"):
        LambdaConfig.from_event({"delete_everything": True}, ENV)
    with pytest.raises(ValidationError, match="regions"):
        LambdaConfig.from_event({"regions": ["us-east-1.evil.example"]}, ENV)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("endpoint_url", "http://169.254.169.254/latest/meta-data"),
        ("output_bucket", "attacker-bucket"),
        ("output_prefix", "../../other"),
        ("role_name", "OrganizationAccountAccessRole"),
        ("external_id", "guess"),
        ("notify_sns", "arn:aws:sns:us-east-1:999999999999:attacker"),
        ("organization", True),
    ],
)
def test_event_cannot_choose_endpoint_destination_or_role(key: str, value: object) -> None:
    """Issue 17 item 2: these come from the function's configuration, never from the invoker."""
    with pytest.raises(
        ValidationError,
        match=f"{key} is set by the function's configuration "
        rf"\({CONFIGURATION_ONLY[key]}\)",
    ):
        LambdaConfig.from_event({key: value}, ENV)


def test_configuration_comes_from_the_environment() -> None:
    env = {
        **ENV,
        "TRAIL_AUDITOR_OUTPUT_PREFIX": "/audits/prod/",
        "TRAIL_AUDITOR_ROLE_NAME": "AuditRole",
        "TRAIL_AUDITOR_ACCOUNTS": "111111111111, 222222222222",
        "TRAIL_AUDITOR_REGIONS": "us-east-1,eu-west-1",
        "TRAIL_AUDITOR_NOTIFY_SNS": "arn:aws:sns:eu-west-1:111111111111:alerts",
    }
    config = LambdaConfig.from_event(
        {"regions": ["eu-west-1"], "accounts": ["222222222222"], "formats": ["json"], "logs_since": "1d"}, env
    )
    assert (config.output_bucket, config.output_prefix, config.role_name) == (
        "audit-results",
        "audits/prod",
        "AuditRole",
    )
    assert config.regions == ("eu-west-1",) and config.accounts == ("222222222222",)
    assert config.notify_sns == "arn:aws:sns:eu-west-1:111111111111:alerts"
    full = LambdaConfig.from_event({}, env)
    assert full.regions == ("us-east-1", "eu-west-1") and full.accounts == ("111111111111", "222222222222")


@pytest.mark.parametrize("prefix", ["../../other", "a/../b", "a//b", "a/./b", "x\ny"])
def test_unsafe_output_prefix_in_the_configuration_is_refused(prefix: str) -> None:
    with pytest.raises(ValidationError, match="TRAIL_AUDITOR_OUTPUT_PREFIX"):
        LambdaConfig.from_event({}, {**ENV, "TRAIL_AUDITOR_OUTPUT_PREFIX": prefix})


def test_event_may_only_narrow_accounts_and_regions() -> None:
    env = {**ENV, "TRAIL_AUDITOR_ACCOUNTS": "111111111111", "TRAIL_AUDITOR_REGIONS": "us-east-1"}
    with pytest.raises(ValidationError, match="accounts: 999999999999 not in TRAIL_AUDITOR_ACCOUNTS"):
        LambdaConfig.from_event({"accounts": ["999999999999"]}, env)
    with pytest.raises(ValidationError, match="regions: eu-west-1 not in TRAIL_AUDITOR_REGIONS"):
        LambdaConfig.from_event({"regions": ["eu-west-1"]}, env)
    with pytest.raises(ValidationError, match="TRAIL_AUDITOR_ACCOUNTS, which is not set"):
        LambdaConfig.from_event({"accounts": ["111111111111"]}, ENV)


@mock_aws
def test_hostile_event_is_refused_before_any_aws_call(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="audit-results")
    with pytest.raises(ValidationError, match="endpoint_url"):
        handler({"endpoint_url": "http://169.254.169.254", "output_bucket": "audit-results"}, None)
    assert s3.list_objects_v2(Bucket="audit-results").get("KeyCount", 0) == 0


@mock_aws
def test_handler_scans_stores_renders_and_notifies(monkeypatch: pytest.MonkeyPatch) -> None:
    from auditor.aws.demo_seed import seed_organization

    seed_organization(("us-east-1",))
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="audit-results")
    sns = boto3.client("sns", region_name="us-east-1")
    topic = sns.create_topic(Name="audit")["TopicArn"]
    for k, v in {
        **ENV,
        "TRAIL_AUDITOR_ORGANIZATION": "true",
        "TRAIL_AUDITOR_ROLE_NAME": "OrganizationAccountAccessRole",
        "TRAIL_AUDITOR_NOTIFY_SNS": topic,
    }.items():
        monkeypatch.setenv(k, v)
    event = {"regions": ["us-east-1"], "formats": ["json", "html"]}
    first = handler(event, None)
    assert first["previous"] is None and first["notified"] is not None
    assert any(r.endswith(".html") for r in first["reports"])
    second = handler(event, None)
    assert second["previous"] == first["scan_id"]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="audit-results")["Contents"]]
    assert sum(k.startswith("trail-auditor/history/") for k in keys) == 2
    stored = json.loads(s3.get_object(Bucket="audit-results", Key=second["results"].split("/", 3)[3])["Body"].read())
    assert stored["history"]["previous"]["scan_id"] == first["scan_id"]

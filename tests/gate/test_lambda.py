"""The Lambda handler, invoked in-process under moto: scan, history, reports, SNS."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from auditor.aws_lambda import LambdaConfig, handler
from auditor.errors import ValidationError


def test_payload_is_validated() -> None:
    with pytest.raises(ValidationError, match="output_bucket"):
        LambdaConfig.from_event({})
    with pytest.raises(ValidationError, match="Additional properties"):
        LambdaConfig.from_event({"output_bucket": "b", "delete_everything": True})


@mock_aws
def test_handler_scans_stores_renders_and_notifies() -> None:
    from auditor.demo.seed import seed_organization

    seed_organization(("us-east-1",))
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="audit-results")
    sns = boto3.client("sns", region_name="us-east-1")
    topic = sns.create_topic(Name="audit")["TopicArn"]
    event = {"output_bucket": "audit-results", "organization": True,
             "role_name": "OrganizationAccountAccessRole", "regions": ["us-east-1"],
             "formats": ["json", "html"], "notify_sns": topic}
    first = handler(event, None)
    assert first["previous"] is None and first["notified"] is not None
    assert any(r.endswith(".html") for r in first["reports"])
    second = handler(event, None)
    assert second["previous"] == first["scan_id"]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="audit-results")["Contents"]]
    assert sum(k.startswith("trail-auditor/history/") for k in keys) == 2
    stored = json.loads(s3.get_object(Bucket="audit-results", Key=second["results"].split("/", 3)[3])
                        ["Body"].read())
    assert stored["history"]["previous"]["scan_id"] == first["scan_id"]

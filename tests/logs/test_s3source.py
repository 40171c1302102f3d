"""Reading a trail bucket with CloudTrail's key layout (moto)."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from typing import Any

import boto3
from moto import mock_aws

from auditor.logs import LogWindow, read_s3
from tests.logs.factory import event

BUCKET = "acme-cloudtrail-logs"


def _put(
    client: Any, account: str, region: str, when: datetime, events: list[dict[str, Any]], org: str = "o-abc123def4"
) -> str:
    stamp = when.strftime("%Y%m%dT%H%MZ")
    org_part = f"{org}/" if org else ""
    key = (
        f"trails/AWSLogs/{org_part}{account}/CloudTrail/{region}/{when:%Y/%m/%d}/"
        f"{account}_CloudTrail_{region}_{stamp}_x{len(events)}.json.gz"
    )
    client.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(json.dumps({"Records": events}).encode()))
    return key


@mock_aws
def test_only_day_prefixes_inside_the_window_are_listed_and_read() -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    old = datetime(2026, 11, 2, 10, 5, tzinfo=UTC)
    in1 = datetime(2026, 11, 18, 12, 5, tzinfo=UTC)
    in2 = datetime(2026, 11, 19, 8, 0, tzinfo=UTC)
    _put(s3, "111111111111", "us-east-1", old, [event("StopLogging", old, source="cloudtrail.amazonaws.com")])
    _put(s3, "111111111111", "us-east-1", in1, [event("StopLogging", in1, source="cloudtrail.amazonaws.com")])
    _put(s3, "111111111111", "eu-west-1", in2, [event("RunInstances", in2, region="eu-west-1")])
    _put(s3, "222222222222", "us-east-1", in2, [event("CreateVpc", in2, account="222222222222")])
    s3.put_object(
        Bucket=BUCKET,
        Key=f"trails/AWSLogs/o-abc123def4/111111111111/CloudTrail/us-east-1/{in1:%Y/%m/%d}/broken.json.gz",
        Body=b"\x1f\x8b\x08\x00garbage",
    )

    listed: list[str] = []
    fetched: list[str] = []
    s3.meta.events.register(
        "before-parameter-build.s3.ListObjectsV2", lambda params, **_: listed.append(params.get("Prefix", ""))
    )
    s3.meta.events.register("before-parameter-build.s3.GetObject", lambda params, **_: fetched.append(params["Key"]))

    window = LogWindow(datetime(2026, 11, 17, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC))
    doc = read_s3(s3, BUCKET, "trails", window, accounts=["111111111111"], workers=1)

    assert not any("/2026/11/02" in p for p in listed), listed
    assert not any("222222222222" in p for p in listed)
    assert any(p.endswith("/us-east-1/2026/11/18/") for p in listed)
    assert not any("2026/11/02" in k for k in fetched)
    assert doc["files_read"] == 3
    assert doc["events_read"] == 2
    [tamper] = [r for r in doc["rules"] if r["check_id"] == "logs-trail-tampering"]
    assert tamper["events"][0]["eventTime"].startswith("2026-11-18")
    assert tamper["events"][0]["file"].startswith(f"s3://{BUCKET}/trails/AWSLogs/")
    [problem] = doc["file_problems"]
    assert problem["path"].endswith("broken.json.gz") and "gzip" in problem["reason"]
    assert {(c["account_id"], c["region"]) for c in doc["coverage"]} == {
        ("111111111111", "us-east-1"),
        ("111111111111", "eu-west-1"),
    }
    [cov] = [c for c in doc["coverage"] if c["region"] == "us-east-1"]
    assert cov["file_hours"] == [["2026-11-18T12:00:00Z", "2026-11-18T12:00:00Z"]]
    assert doc["sources"] == [f"s3://{BUCKET}/trails"]


@mock_aws
def test_regions_filter_and_workers_read_the_same() -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    t = datetime(2026, 11, 18, 12, 5, tzinfo=UTC)
    for region in ("us-east-1", "eu-west-1"):
        _put(s3, "111111111111", region, t, [event("CreateVpc", t, region=region)], org="")
    window = LogWindow(datetime(2026, 11, 18, tzinfo=UTC), datetime(2026, 11, 19, tzinfo=UTC))
    one = read_s3(s3, BUCKET, "trails", window, regions=["eu-west-1"], workers=1)
    two = read_s3(s3, BUCKET, "trails", window, regions=["eu-west-1"], workers=2)
    assert one == two
    assert [c["region"] for c in one["coverage"]] == ["eu-west-1"]


@mock_aws
def test_missing_bucket_is_a_recorded_problem_not_a_crash() -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    window = LogWindow(datetime(2026, 11, 18, tzinfo=UTC), datetime(2026, 11, 19, tzinfo=UTC))
    doc = read_s3(s3, "no-such-bucket", "", window, workers=1)
    [problem] = doc["file_problems"]
    assert "NoSuchBucket" in problem["reason"]
    assert doc["files_read"] == 0

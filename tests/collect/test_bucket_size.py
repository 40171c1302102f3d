"""The log bucket's size: CloudWatch's daily BucketSizeBytes, informational only.

The size feeds bucket-archival-lifecycle's saving estimate. Collected in the
bucket's own region with its owner's credentials; no datapoint or a refused
call leaves it unknown, and neither changes any check's verdict.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from auditor.aws.collect import CollectOptions, collect
from auditor.aws.collect._parse import bucket_size_bytes
from auditor.aws.collect._resources import size_window
from auditor.engine.registry import all_checks
from auditor.engine.results import Finding
from auditor.engine.runner import evaluate
from auditor.model.snapshot import Bucket, CollectionError, Snapshot
from tests.collect.conftest import (
    CALLER,
    OTHER_REGION,
    REGION,
    SCAN_REGIONS,
    CallLog,
    client,
    deny,
    seed_configured_account,
)

GIB = 1024**3
EU_BUCKET = f"acme-eu-trail-{CALLER}"


def _today() -> datetime:
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _put_size(
    session: boto3.Session,
    bucket: str,
    region: str,
    value: float,
    *,
    days_ago: int = 1,
    storage_type: str = "StandardStorage",
) -> None:
    """One daily datapoint as S3 publishes it: 00:00 UTC of the day, in the bucket's region."""
    client(session, "cloudwatch", region).put_metric_data(
        Namespace="AWS/S3",
        MetricData=[
            {
                "MetricName": "BucketSizeBytes",
                "Dimensions": [
                    {"Name": "BucketName", "Value": bucket},
                    {"Name": "StorageType", "Value": storage_type},
                ],
                "Timestamp": _today() - timedelta(days=days_ago),
                "Value": value,
                "Unit": "Bytes",
            }
        ],
    )


def _seed_eu_trail(session: boto3.Session) -> None:
    """A second trail into a bucket in eu-west-1 with no lifecycle at all (archival FAILs)."""
    client(session, "s3", OTHER_REGION).create_bucket(
        Bucket=EU_BUCKET, CreateBucketConfiguration={"LocationConstraint": OTHER_REGION}
    )
    ct = client(session, "cloudtrail", OTHER_REGION)
    ct.create_trail(Name="eu-trail", S3BucketName=EU_BUCKET)
    ct.start_logging(Name="eu-trail")


def _scan(session: boto3.Session) -> Snapshot:
    return collect(CollectOptions(regions=SCAN_REGIONS), session=session)


def _bucket(snap: Snapshot, name: str) -> Bucket:
    bucket = snap.bucket(name)
    assert bucket is not None
    return bucket


def _verdicts(findings: list[Finding]) -> Counter[tuple[str, str, str, str, str]]:
    return Counter((f.check_id, f.account_id, f.region, f.resource_id, f.status.value) for f in findings)


def _archival(findings: list[Finding], bucket: str) -> Finding:
    [found] = [f for f in findings if f.check_id == "bucket-archival-lifecycle" and f.resource_id == bucket]
    return found


# --------------------------------------------------------------------------- collection


def test_size_is_the_latest_standard_datapoint_in_the_buckets_own_region(session: boto3.Session) -> None:
    seeded = seed_configured_account(session)
    _seed_eu_trail(session)
    _put_size(session, EU_BUCKET, OTHER_REGION, 3 * GIB, days_ago=3)
    _put_size(session, EU_BUCKET, OTHER_REGION, 5 * GIB, days_ago=1)
    _put_size(session, EU_BUCKET, OTHER_REGION, 900 * GIB, days_ago=1, storage_type="GlacierStorage")
    _put_size(session, EU_BUCKET, REGION, 777 * GIB)  # the same name in the wrong region: ignored
    _put_size(session, seeded.bucket, REGION, 1234.0)
    log = CallLog(session)

    snap = _scan(session)

    assert _bucket(snap, EU_BUCKET).size_bytes == 5 * GIB
    assert _bucket(snap, seeded.bucket).size_bytes == 1234
    assert snap.errors == ()
    assert log.count("cloudwatch", "GetMetricStatistics") == 2  # once per bucket, not per trail or region
    [eu_call] = [p for s, o, p in log.calls if o == "GetMetricStatistics" and p["Dimensions"][0]["Value"] == EU_BUCKET]
    assert eu_call["Namespace"] == "AWS/S3" and eu_call["Statistics"] == ["Average"]
    assert eu_call["Period"] == 86400
    assert {"Name": "StorageType", "Value": "StandardStorage"} in eu_call["Dimensions"]


def test_archival_finding_of_a_collected_bucket_shows_size_and_saving(session: boto3.Session) -> None:
    seed_configured_account(session)
    _seed_eu_trail(session)
    _put_size(session, EU_BUCKET, OTHER_REGION, 1000 * GIB)

    finding = _archival(evaluate(_scan(session), all_checks()), EU_BUCKET)

    assert finding.status.value == "FAIL"
    assert "1,000.0 GiB in S3 Standard" in finding.message
    assert "$19.00 per month" in finding.message
    assert finding.evidence["size_bytes"] == 1000 * GIB
    assert finding.evidence["estimated_monthly_saving_usd"] == 19.0


def test_no_datapoint_leaves_the_size_unknown_without_an_error(session: boto3.Session) -> None:
    seeded = seed_configured_account(session)
    _seed_eu_trail(session)
    _put_size(session, EU_BUCKET, OTHER_REGION, 5 * GIB, days_ago=30)  # too old to be the current size

    snap = _scan(session)

    assert _bucket(snap, seeded.bucket).size_bytes is None
    assert _bucket(snap, EU_BUCKET).size_bytes is None
    assert snap.errors == ()
    finding = _archival(evaluate(snap, all_checks()), EU_BUCKET)
    assert finding.status.value == "FAIL" and "size is unknown" in finding.message


def test_denied_size_is_unknown_with_its_reason_and_changes_no_verdict(session: boto3.Session) -> None:
    seeded = seed_configured_account(session)
    _seed_eu_trail(session)
    _put_size(session, EU_BUCKET, OTHER_REGION, 5 * GIB)
    deny(session, "cloudwatch", "GetMetricStatistics")

    snap = _scan(session)

    size = _bucket(snap, EU_BUCKET).size_bytes
    assert isinstance(size, CollectionError)
    assert (size.service, size.operation, size.error_code) == ("cloudwatch", "GetMetricStatistics", "AccessDenied")
    assert (size.account_id, size.region, size.resource) == (CALLER, OTHER_REGION, f"arn:aws:s3:::{EU_BUCKET}")
    assert size in snap.errors  # listed with the scan's collection errors, like any refused call
    # every other field of the bucket was read
    for fld in ("region", "policy", "acl", "versioning", "lifecycle", "encryption"):
        assert not isinstance(getattr(_bucket(snap, seeded.bucket), fld), CollectionError), fld

    refused = evaluate(snap, all_checks())
    known = evaluate(replace(snap, buckets=tuple(replace(b, size_bytes=5 * GIB) for b in snap.buckets)), all_checks())
    unknown = evaluate(replace(snap, buckets=tuple(replace(b, size_bytes=None) for b in snap.buckets)), all_checks())

    assert _verdicts(refused) == _verdicts(known) == _verdicts(unknown)
    assert not [f for f in refused if "GetMetricStatistics" in f.message and f.status.value != "FAIL"]
    finding = _archival(refused, EU_BUCKET)
    assert finding.status.value == "FAIL"
    assert "size is unknown" in finding.message and "AccessDenied" in finding.message
    assert finding.evidence["size_unknown_reason"] == size.reason()
    assert _archival(known, EU_BUCKET).evidence["estimated_monthly_saving_usd"] == 0.1


def test_unknown_bucket_region_is_the_sizes_reason_and_cloudwatch_is_not_asked(session: boto3.Session) -> None:
    seeded = seed_configured_account(session)
    deny(session, "s3", "GetBucketLocation")
    log = CallLog(session)

    snap = _scan(session)

    bucket = _bucket(snap, seeded.bucket)
    assert isinstance(bucket.size_bytes, CollectionError)
    assert bucket.size_bytes == bucket.region  # asking another region would wrongly say "no datapoint"
    assert log.count("cloudwatch", "GetMetricStatistics") == 0


def test_size_survives_the_snapshot_json_round_trip(session: boto3.Session) -> None:
    seeded = seed_configured_account(session)
    _seed_eu_trail(session)
    deny(session, "cloudwatch", "GetMetricStatistics")
    snap = _scan(session)  # both sizes refused; one is then set, so both kinds are in one document
    snap = replace(
        snap,
        buckets=tuple(replace(b, size_bytes=42) if b.name == seeded.bucket else b for b in snap.buckets),
    )

    again = Snapshot.from_dict(snap.to_dict())

    assert _bucket(again, seeded.bucket).size_bytes == 42
    assert _bucket(again, EU_BUCKET).size_bytes == _bucket(snap, EU_BUCKET).size_bytes
    assert isinstance(_bucket(again, EU_BUCKET).size_bytes, CollectionError)


# --------------------------------------------------------------------------- pure parts


def _point(day: int, average: Any) -> dict[str, Any]:
    return {"Timestamp": datetime(2026, 11, day, tzinfo=UTC), "Average": average, "Unit": "Bytes"}


def test_parser_takes_the_newest_datapoint_whatever_the_order() -> None:
    raw = {"Datapoints": [_point(22, 10.0), _point(23, 30.4), _point(21, 99.0)]}
    assert bucket_size_bytes(raw) == 30


def test_parser_reads_no_datapoints_as_unknown_not_zero() -> None:
    assert bucket_size_bytes({"Datapoints": []}) is None
    assert bucket_size_bytes({}) is None


@pytest.mark.parametrize("average", [None, "12", -1.0, float("nan"), float("inf"), True])
def test_parser_refuses_a_datapoint_without_a_usable_average(average: Any) -> None:
    with pytest.raises(ValueError, match="Average"):
        bucket_size_bytes({"Datapoints": [_point(23, average)]})


def test_window_is_the_whole_days_before_today_including_late_ones() -> None:
    morning = datetime(2026, 11, 24, 0, 5, tzinfo=UTC)
    evening = datetime(2026, 11, 24, 23, 55, tzinfo=UTC)
    start, end = size_window(morning)
    assert size_window(evening) == (start, end)  # the same request all day long
    assert end == datetime(2026, 11, 24, tzinfo=UTC)
    assert start <= datetime(2026, 11, 21, tzinfo=UTC)  # S3 may publish two days late


def test_todays_partial_day_is_not_read(session: boto3.Session) -> None:
    """moto synthesises today's datapoint from the bytes it holds: outside the window, unseen."""
    seeded = seed_configured_account(session)
    client(session, "s3").put_object(Bucket=seeded.bucket, Key="AWSLogs/x.json.gz", Body=b"x" * 4096)
    _put_size(session, seeded.bucket, REGION, 2048.0, days_ago=2)

    snap = _scan(session)

    assert _bucket(snap, seeded.bucket).size_bytes == 2048


# --------------------------------------------------------------------------- demo


def test_demo_log_buckets_report_their_seeded_size() -> None:
    from moto import mock_aws

    from auditor.aws.demo_seed import (
        ORG_BUCKET_BYTES,
        REGIONS,
        ROLE_NAME,
        WORKLOAD_BUCKET_BYTES,
        seed_organization,
    )

    with mock_aws():
        org = seed_organization(REGIONS)
        snap = collect(CollectOptions(organization=True, role_name=ROLE_NAME, regions=REGIONS))

    assert _bucket(snap, org.org_bucket).size_bytes == ORG_BUCKET_BYTES
    assert _bucket(snap, org.workload_bucket).size_bytes == WORKLOAD_BUCKET_BYTES
    finding = _archival(evaluate(snap, all_checks()), org.workload_bucket)
    assert finding.status.value == "FAIL"
    assert "250.0 GiB in S3 Standard" in finding.message and "$4.75 per month" in finding.message

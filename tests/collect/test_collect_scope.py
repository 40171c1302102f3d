"""What is read once, what is not scanned, and what lies outside the scan."""

from __future__ import annotations

import threading
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from auditor.aws.collect import CollectOptions, collect
from auditor.model.snapshot import CollectionError
from tests.collect.conftest import (
    OTHER_REGION,
    REGION,
    SCAN_REGIONS,
    CallLog,
    assume,
    client,
    deny,
    seed_configured_account,
)

OUTSIDER = "210987654321"


def test_shadow_trails_are_one_trail_read_once_in_its_home_region(
    session: boto3.Session,
) -> None:
    seeded = seed_configured_account(session)
    calls = CallLog(session)
    regions = (REGION, OTHER_REGION, "us-west-2")

    snap = collect(CollectOptions(regions=regions), session=session)

    (acc,) = snap.accounts
    assert [t.arn for t in acc.trails] == [seeded.trail_arn]
    assert acc.trails[0].seen_in_regions == tuple(sorted(regions))
    assert all(r.trail_arns == (seeded.trail_arn,) for r in acc.regions)
    assert calls.count("cloudtrail", "DescribeTrails") == 3
    for op in ("GetTrailStatus", "GetEventSelectors", "GetInsightSelectors"):
        assert calls.count("cloudtrail", op) == 1


def test_bucket_and_key_shared_by_two_trails_are_read_once(session: boto3.Session) -> None:
    seeded = seed_configured_account(session)
    client(session, "cloudtrail", OTHER_REGION).create_trail(
        Name="second", S3BucketName=seeded.bucket, KmsKeyId=seeded.key_arn
    )
    calls = CallLog(session)

    snap = collect(CollectOptions(regions=SCAN_REGIONS), session=session)

    assert len(snap.accounts[0].trails) == 2
    assert [b.name for b in snap.buckets] == [seeded.bucket]
    assert [k.key_ref for k in snap.keys] == [seeded.key_arn]
    for op in ("GetBucketLocation", "GetBucketPolicy", "GetBucketAcl", "GetBucketVersioning"):
        assert calls.count("s3", op) == 1, op
    for op in ("DescribeKey", "GetKeyPolicy", "GetKeyRotationStatus"):
        assert calls.count("kms", op) == 1, op


def test_regions_not_opted_in_are_reported_and_not_scanned(session: boto3.Session) -> None:
    calls = CallLog(session)

    snap = collect(CollectOptions(regions=(REGION, "ap-east-1")), session=session)

    (acc,) = snap.accounts
    assert acc.enabled_regions == (REGION,)
    assert acc.disabled_regions == ("ap-east-1",)
    assert [r.region for r in acc.regions] == [REGION]
    assert calls.count("cloudtrail", "DescribeTrails") == 1


def test_all_enabled_regions_are_scanned_by_default(session: boto3.Session) -> None:
    snap = collect(CollectOptions(), session=session)

    (acc,) = snap.accounts
    listed = client(session, "ec2").describe_regions(AllRegions=True)["Regions"]
    opted_out = {r["RegionName"] for r in listed if r["OptInStatus"] == "not-opted-in"}
    assert "ap-east-1" in acc.disabled_regions
    assert set(acc.disabled_regions) <= opted_out
    assert not set(acc.enabled_regions) & opted_out
    assert REGION in acc.enabled_regions
    assert not any(r.startswith(("cn-", "us-gov-")) for r in acc.enabled_regions)
    assert [r.region for r in acc.regions] == sorted(acc.enabled_regions)


def test_failed_describe_regions_falls_back_to_requested_regions(session: boto3.Session) -> None:
    deny(session, "ec2", "DescribeRegions")

    snap = collect(CollectOptions(regions=SCAN_REGIONS), session=session)

    (acc,) = snap.accounts
    assert acc.enabled_regions == SCAN_REGIONS
    (err,) = snap.errors
    assert err.operation == "DescribeRegions"
    assert "requested regions" in err.message


def test_failed_describe_regions_falls_back_to_partition_list(session: boto3.Session) -> None:
    deny(session, "ec2", "DescribeRegions")

    snap = collect(CollectOptions(), session=session)

    (acc,) = snap.accounts
    assert acc.enabled_regions == tuple(sorted(session.get_available_regions("cloudtrail")))
    (err,) = snap.errors
    assert "botocore" in err.message


@pytest.mark.parametrize("trusted", [False, True])
def test_bucket_of_an_account_outside_the_scan_is_out_of_scope(session: boto3.Session, trusted: bool) -> None:
    client(session, "s3", creds=assume(session, OUTSIDER)).create_bucket(Bucket="their-logs")
    client(session, "cloudtrail").create_trail(Name="outward", S3BucketName="their-logs")

    snap = collect(
        CollectOptions(regions=(REGION,), trusted_accounts=(OUTSIDER,) if trusted else ()),
        session=session,
    )

    bucket = snap.bucket("their-logs")
    assert bucket is not None
    assert isinstance(bucket.policy, CollectionError)
    assert bucket.policy.error_code == "OutOfScope"
    assert "--accounts" in bucket.policy.message
    assert bucket.policy in snap.errors
    if trusted:
        assert (bucket.existence, bucket.owner_account_id) == ("exists", OUTSIDER)
    else:
        assert bucket.existence == bucket.policy


class RecordingProgress:
    """A thread-safe ProgressSink that keeps what it was told."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.total: int | None = None
        self.done: list[tuple[str, str]] = []
        self.calls: list[tuple[str, str]] = []
        self.retries: list[tuple[str, str]] = []
        self.errors: list[Any] = []
        self.finished = False

    def start(self, total_tasks: int) -> None:
        self.total = total_tasks

    def task_done(self, account_id: str, region: str) -> None:
        with self.lock:
            self.done.append((account_id, region))

    def call_made(self, service: str, operation: str) -> None:
        with self.lock:
            self.calls.append((service, operation))

    def retried(self, service: str, operation: str) -> None:
        with self.lock:
            self.retries.append((service, operation))

    def error(self, err: Any) -> None:
        with self.lock:
            self.errors.append(err)

    def finish(self) -> None:
        self.finished = True


def test_progress_sink_hears_every_unit_call_and_error(session: boto3.Session) -> None:
    seed_configured_account(session)
    deny(session, "cloudwatch", "DescribeAlarms")
    calls = CallLog(session)
    progress = RecordingProgress()

    snap = collect(CollectOptions(regions=SCAN_REGIONS), progress=progress, session=session)

    assert progress.total == 2
    assert sorted(progress.done) == sorted((snap.caller_account_id, r) for r in SCAN_REGIONS)
    assert len(progress.calls) == len(calls.calls)
    assert sorted(map(repr, progress.errors)) == sorted(map(repr, snap.errors))
    assert len(snap.errors) == 2
    assert progress.finished


def test_trail_is_read_in_its_home_region_even_when_listing_there_failed(
    session: boto3.Session,
) -> None:
    seeded = seed_configured_account(session)

    def deny_home_listing(context: Any, **_: Any) -> None:
        if context.get("client_region") == REGION:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "DescribeTrails")

    session.events.register("before-call.cloudtrail.DescribeTrails", deny_home_listing)

    snap = collect(CollectOptions(regions=SCAN_REGIONS), session=session)

    (acc,) = snap.accounts
    assert isinstance(acc.region(REGION).trail_arns, CollectionError)  # type: ignore[union-attr]
    (trail,) = acc.trails
    assert trail.arn == seeded.trail_arn and trail.seen_in_regions == (OTHER_REGION,)
    assert not isinstance(trail.status, CollectionError) and trail.status is not None
    assert trail.status.is_logging


def test_progress_hears_every_retry_of_a_throttled_call(session: boto3.Session) -> None:
    from tests.collect.aws_wire import THROTTLED, Wire, instant_backoff

    seed_configured_account(session)
    wire = Wire(session)
    wire.fail("cloudwatch", "DescribeAlarms", THROTTLED)
    progress = RecordingProgress()
    with instant_backoff():
        collect(CollectOptions(regions=SCAN_REGIONS, max_attempts=4), progress=progress, session=session)
    sent = wire.attempts[("cloudwatch", "DescribeAlarms")]
    calls = [c for c in progress.calls if c[1] == "DescribeAlarms"]
    assert calls and sent == 4 * len(calls)  # every call sent max_attempts times
    assert len(progress.retries) == sent - len(calls)  # every attempt after the first is heard
    assert {op for _, op in progress.retries} == {"DescribeAlarms"}


def test_console_progress_counts_retries() -> None:
    import io

    from rich.console import Console

    from auditor.app.console import RichProgress

    out = io.StringIO()
    progress = RichProgress(Console(file=out, force_terminal=True, width=120))
    progress.start(1)
    progress.call_made("cloudwatch", "DescribeAlarms")
    progress.retried("cloudwatch", "DescribeAlarms")
    progress.retried("cloudwatch", "DescribeAlarms")
    progress.task_done("111122223333", "us-east-1")
    progress.finish()
    assert progress.retries == 2
    import re

    assert "1 API call, 2 retries, 0 collection errors" in re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue())

"""Benchmark: collect an organisation of N accounts x R regions from a moto server.

Every API call gets a fixed added latency (a botocore before-send hook that
sleeps), standing in for the round trip to AWS. With W workers the best
possible wall time is about ``calls x latency / W``; the script prints the
measured wall time against that ideal.

    python benchmarks/bench_collect.py --accounts 20 --regions 17 --latency-ms 30 --workers 16

Target: wall <= 2.0 x ideal and < 60 s for 20 accounts x 17 regions.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3

from auditor.collect import CollectOptions, collect

HOME = "us-east-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on a free local port, stopped afterwards."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("moto server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _client(session: boto3.Session, url: str, service: str, region: str, creds: Any) -> Any:
    kwargs: dict[str, Any] = {}
    if creds is not None:
        kwargs = {
            "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"],
        }
    return session.client(service, region_name=region, endpoint_url=url, **kwargs)


def seed(session: boto3.Session, url: str, accounts: int, regions: list[str]) -> list[str]:
    """An organisation of ``accounts`` accounts, each with a trail, logs, alarm and Config."""
    org = _client(session, url, "organizations", HOME, None)
    org.create_organization(FeatureSet="ALL")
    ids = [str(_client(session, url, "sts", HOME, None).get_caller_identity()["Account"])]
    for n in range(accounts - 1):
        status = org.create_account(Email=f"a{n}@example.com", AccountName=f"account-{n}")
        ids.append(str(status["CreateAccountStatus"]["AccountId"]))
    sts = _client(session, url, "sts", HOME, None)
    for index, account in enumerate(ids):
        creds = None
        if index:
            creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/seed", RoleSessionName="seed")["Credentials"]

        def mk(service: str, region: str = HOME, creds: Any = creds) -> Any:
            return _client(session, url, service, region, creds)

        bucket = f"bench-trail-{account}"
        mk("s3").create_bucket(Bucket=bucket)
        key = mk("kms").create_key()["KeyMetadata"]["Arn"]
        group = "cloudtrail"
        mk("logs").create_log_group(logGroupName=group)
        mk("logs").put_metric_filter(
            logGroupName=group,
            filterName="root",
            filterPattern='{ $.userIdentity.type = "Root" }',
            metricTransformations=[{"metricName": "Root", "metricNamespace": "CIS", "metricValue": "1"}],
        )
        topic = mk("sns").create_topic(Name="alarms")["TopicArn"]
        mk("sns").subscribe(TopicArn=topic, Protocol="email", Endpoint="ops@example.com")
        mk("cloudwatch").put_metric_alarm(
            AlarmName="root",
            MetricName="Root",
            Namespace="CIS",
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            AlarmActions=[topic],
        )
        for region in regions:
            mk("config", region).put_configuration_recorder(
                ConfigurationRecorder={
                    "name": "default",
                    "roleARN": f"arn:aws:iam::{account}:role/config",
                    "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
                }
            )
        trail = mk("cloudtrail").create_trail(
            Name="main",
            S3BucketName=bucket,
            IsMultiRegionTrail=True,
            KmsKeyId=key,
            CloudWatchLogsLogGroupArn=f"arn:aws:logs:{HOME}:{account}:log-group:{group}:*",
            CloudWatchLogsRoleArn=f"arn:aws:iam::{account}:role/ct",
        )["TrailARN"]
        mk("cloudtrail").start_logging(Name=trail)
    return ids


class Counting:
    """ProgressSink counting API calls (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls = 0
        self.errors = 0

    def start(self, total_tasks: int) -> None:
        """Ignore."""

    def task_done(self, account_id: str, region: str) -> None:
        """Ignore."""

    def call_made(self, service: str, operation: str) -> None:
        """Count."""
        with self._lock:
            self.calls += 1

    def error(self, err: Any) -> None:
        """Count."""
        with self._lock:
            self.errors += 1

    def finish(self) -> None:
        """Ignore."""


def main(argv: list[str] | None = None) -> int:
    """Seed, collect with added latency, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--regions", type=int, default=17)
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args(argv)

    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=HOME)
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        os.environ.pop(var, None)
    with moto_server() as url:
        session = boto3.Session(region_name=HOME)
        listed = _client(session, url, "ec2", HOME, None).describe_regions()["Regions"]
        enabled = sorted(r["RegionName"] for r in listed if session.get_partition_for_region(r["RegionName"]) == "aws")
        regions = [HOME, *[r for r in enabled if r != HOME]][: args.regions]
        t0 = time.perf_counter()
        seed(session, url, args.accounts, regions)
        seeded_in = time.perf_counter() - t0

        latency = args.latency_ms / 1000.0
        sent = [0]
        lock = threading.Lock()

        def delay(**_: Any) -> None:
            with lock:
                sent[0] += 1
            time.sleep(latency)

        scan_session = boto3.Session(region_name=HOME)
        scan_session.events.register("before-send", delay)
        sink = Counting()
        t1 = time.perf_counter()
        cpu0 = time.process_time()
        snap = collect(
            CollectOptions(
                regions=tuple(regions),
                organization=True,
                role_name="OrganizationAccountAccessRole",
                endpoint_url=url,
                max_workers=args.workers,
            ),
            progress=sink,
            session=scan_session,
        )
        wall = time.perf_counter() - t1
        cpu = time.process_time() - cpu0

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ideal = sent[0] * latency / args.workers
    print(f"accounts x regions : {len(snap.accounts)} x {len(regions)} (seeded in {seeded_in:.1f} s)")
    print(f"workers, latency   : {args.workers}, {args.latency_ms:.0f} ms per call")
    print(f"API calls          : {sink.calls} ({sent[0]} HTTP requests sent)")
    print(f"collection errors  : {sink.errors}")
    print(f"wall time          : {wall:.2f} s (collector CPU {cpu:.2f} s)")
    print(f"ideal              : {ideal:.2f} s (requests x latency / workers)")
    print(f"ratio wall/ideal   : {wall / ideal:.2f}")
    print(f"peak RSS           : {peak_mb:.0f} MB")
    for err in snap.errors[:5]:
        print(f"  error: {err.reason()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

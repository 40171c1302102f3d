"""Benchmark digest validation: 30 days x 24 hourly digests x 3 regions in moto S3.

Usage: python benchmarks/bench_integrity.py [--days 30] [--regions 3] [--workers 8]
                                            [--server]   (moto_server on 127.0.0.1)

Prints the wall time of the verification alone (seeding excluded) and the
throughput in digests per second. In-process moto measures the validator's own
cost (hashing, RSA verification, chain analysis); --server adds real HTTP
round trips on the loopback, closer to S3 where fetches dominate.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from auditor.aws.digest_source import verify_s3
from auditor.integrity import DigestScope, FileKeySource
from auditor.integrity.fixtures import build_chain, generate_demo_key, put_objects

BUCKET = "bench-cloudtrail-logs"
ACCOUNT = "111111111111"
ALL_REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2", "eu-central-1")


def _run(s3: Any, days: int, regions: tuple[str, ...], workers: int) -> None:
    key, public = generate_demo_key()
    start = datetime(2026, 10, 1, tzinfo=UTC)
    hours = days * 24
    t0 = time.perf_counter()
    for region in regions:
        trail_arn = f"arn:aws:cloudtrail:{regions[0]}:{ACCOUNT}:trail/org-trail"
        chain = build_chain(BUCKET, "bench", ACCOUNT, region, start, hours, key, trail_arn=trail_arn)
        put_objects(s3, BUCKET, chain.objects)
    seeded = time.perf_counter() - t0
    t1 = time.perf_counter()
    scope = DigestScope(BUCKET, "bench", ACCOUNT, regions, start, start + timedelta(hours=hours))
    report = verify_s3(s3, scope, FileKeySource.from_entries(public), workers=workers)
    wall = time.perf_counter() - t1
    assert report.ok, report.failures()[:3]
    print(f"seeded {report.digests_total} digests + {report.log_files_total} log files in {seeded:.1f} s")
    print(
        f"verified {report.digests_valid}/{report.digests_total} digests, "
        f"{report.log_files_valid}/{report.log_files_total} log files "
        f"({days} days x 24 x {len(regions)} regions, {workers} workers)"
    )
    print(
        f"wall time {wall:.2f} s, {report.digests_total / wall:.0f} digests/s, "
        f"{(report.digests_total + report.log_files_total) / wall:.0f} objects/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--regions", type=int, default=3, choices=range(1, len(ALL_REGIONS) + 1))
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--server", action="store_true", help="use moto_server on 127.0.0.1")
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    regions = ALL_REGIONS[: args.regions]
    if args.server:
        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)

        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
        server.start()
        try:
            host, port = server.get_host_and_port()
            s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=f"http://{host}:{port}")
            _run(s3, args.days, regions, args.workers)
        finally:
            server.stop()
    else:
        from moto import mock_aws

        with mock_aws():
            _run(boto3.client("s3", region_name="us-east-1"), args.days, regions, args.workers)


if __name__ == "__main__":
    main()

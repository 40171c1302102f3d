"""Benchmark: collect an organisation of N accounts x R regions from a moto server.

Every API call gets a fixed added latency (a botocore before-send hook that
sleeps), standing in for the round trip to AWS. With W workers the best
possible wall time is about ``calls x latency / W``; the script prints the
measured wall time against that ideal.

    python benchmarks/bench_collect.py --accounts 20 --regions 17 --latency-ms 30 --workers 16

Target: wall <= 2.0 x ideal and < 60 s for 20 accounts x 17 regions.

Two passes by default (``--mode both``):

* live: against the moto server. The wall time is split into the collector's
  CPU, moto_server's CPU (from /proc) and other processes' CPU on the machine
  meanwhile. moto_server is one GIL-bound process spending ~5-6 ms of CPU per
  request, so 1,242 requests need ~6-7 s of it: more than 2 x the 2.33 s ideal
  at 30 ms on any number of cores. At 30 ms the live ratio measures moto.
* replay: the same requests answered from the live pass's recorded responses
  (no server), the snapshot checked identical to the live one. This is the
  collector alone against the latency, the fair measure of the target.

``floor`` is the largest of the ideal, each process's CPU and all CPU / cores:
the wall time cannot go below it, so ``wall / floor`` near 1 means nothing in
the collector waits needlessly.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import os
import pstats
import resource
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, for tests.policydocs

from auditor.aws.collect import CollectOptions, collect
from tests.policydocs import credential_kwargs, put_alarm

HOME = "us-east-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc; 0.0 where unavailable)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # fields[0] is the state (field 3); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def moto_server() -> Iterator[tuple[str, int]]:
    """A moto server on a free local port (its url and pid), stopped afterwards.

    Taught CloudTrail Lake and the CloudTrail delegated administrator, which moto 5.2
    lacks and every scan reads (auditor/aws/demo_moto.py), as the demo's moto is.
    """
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from auditor.aws.demo_moto import install; install(); from moto.server import main; main()",
            "-H",
            "127.0.0.1",
            "-p",
            str(port),
        ],
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
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _client(session: boto3.Session, url: str, service: str, region: str, creds: Any) -> Any:
    return session.client(service, region_name=region, endpoint_url=url, **credential_kwargs(creds))


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
        put_alarm(mk("cloudwatch"), "root", "Root", "CIS", topic)
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


class ThreadProfiles:
    """cProfile of the calling thread and of every thread started while enabled.

    A plain ``cProfile.Profile`` sees only the thread that enabled it, and the
    collector does its work on pool threads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._profiles: list[cProfile.Profile] = []

    def _new(self) -> cProfile.Profile:
        prof = cProfile.Profile()
        with self._lock:
            self._profiles.append(prof)
        return prof

    def _start_in_thread(self, *_: Any) -> None:
        sys.setprofile(None)
        self._new().enable()

    def enable(self) -> None:
        """Profile this thread now and every new thread from its start."""
        threading.setprofile(self._start_in_thread)
        self._new().enable()

    def disable(self) -> None:
        """Stop profiling new threads and this one."""
        threading.setprofile(None)  # type: ignore[arg-type]
        self._profiles[0].disable()

    def dump(self, path: str) -> None:
        """All threads' statistics merged into one pstats file."""
        stats = pstats.Stats(self._profiles[0])
        for prof in self._profiles[1:]:
            stats.add(prof)
        stats.dump_stats(path)


def machine_busy_seconds() -> float:
    """CPU seconds every process on the machine has used (Linux /proc/stat; 0.0 elsewhere)."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = [int(v) for v in fh.readline().split()[1:]]
    except OSError:
        return 0.0
    # user nice system idle iowait irq softirq steal ...: everything but idle and iowait
    busy = sum(fields[:3]) + sum(fields[5:8])
    return busy / os.sysconf("SC_CLK_TCK")


class Recorder:
    """Records every HTTP response of a pass, then answers the same requests without a server.

    A request is identified by method, URL, operation (X-Amz-Target for JSON
    protocols), body and signing scope (access key, region, service), so each
    account's and region's answers stay their own; the scan is
    deterministic, so a second pass asks exactly the same questions. Replaying
    takes moto_server's CPU out of the measurement: what is left is the
    collector alone against the fixed latency.
    """

    _KEY = "bench-replay-key"

    def __init__(self) -> None:
        self._answers: dict[tuple[str, str, str, bytes, str], tuple[int, dict[str, str], bytes]] = {}
        self.replaying = False
        self.missing = 0

    @staticmethod
    def _key(request: Any) -> tuple[str, str, str, bytes, str]:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        elif not isinstance(body, bytes):
            body = repr(body).encode()
        auth = request.headers.get("Authorization", b"")
        auth = auth.decode() if isinstance(auth, bytes) else str(auth)
        # Credential=AKID/DATE/REGION/SERVICE/aws4_request: with one endpoint URL for
        # every region, the signing scope is what tells regions apart (the date is
        # left out so that a run across midnight still matches).
        scope = auth.split("Credential=", 1)[-1].split(",", 1)[0].split("/")
        signer = "/".join(scope[:1] + scope[2:4])
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else str(target)
        return (request.method, request.url, target, body, signer)

    def before_send(self, request: Any, **_: Any) -> Any:
        """Remember which request this is; when replaying, answer it."""
        key = self._key(request)
        request.context[self._KEY] = key
        if not self.replaying:
            return None
        answer = self._answers.get(key)
        if answer is None:
            self.missing += 1
            return None  # goes to the server; counted so the figures say so
        status, headers, body = answer
        return AWSResponse(request.url, status, headers, _Raw(body))

    def response_received(self, response_dict: Any = None, context: Any = None, **_: Any) -> None:
        """Keep the answer of a request sent to the server."""
        if self.replaying or response_dict is None or context is None or self._KEY not in context:
            return
        body = response_dict.get("body", b"")
        if isinstance(body, bytes):
            self._answers[context[self._KEY]] = (
                int(response_dict["status_code"]),
                dict(response_dict.get("headers") or {}),
                body,
            )


class _Raw:
    """The raw stream botocore reads a replayed body from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


@dataclass(frozen=True)
class Figures:
    """One measured collection."""

    label: str
    accounts: int
    calls: int
    requests: int
    errors: int
    wall: float
    collector_cpu: float
    server_cpu: float
    other_cpu: float
    ideal: float
    first_errors: tuple[str, ...]
    #: What was collected, minus the timestamp (replay must equal live).
    collected: Any = None

    def show(self, cores: int) -> None:
        """Print the split and the ratios."""
        per = 1000 / max(self.requests, 1)
        # Floors under the wall time whatever the overlap: each GIL-bound process
        # runs its CPU on about one core at a time, and all of it together
        # shares the machine's cores with whatever else runs there.
        floor = max(
            self.ideal,
            self.collector_cpu,
            self.server_cpu,
            (self.collector_cpu + self.server_cpu + self.other_cpu) / cores,
        )
        print(f"--- {self.label}")
        print(f"API calls          : {self.calls} ({self.requests} HTTP requests, {self.errors} collection errors)")
        print(f"wall time          : {self.wall:.2f} s")
        print(f"collector CPU      : {self.collector_cpu:.2f} s ({self.collector_cpu * per:.2f} ms per request)")
        print(f"moto_server CPU    : {self.server_cpu:.2f} s ({self.server_cpu * per:.2f} ms per request)")
        print(f"other processes    : {self.other_cpu:.2f} s CPU on this machine meanwhile ({cores} cores)")
        print(f"ideal              : {self.ideal:.2f} s (requests x latency / workers)")
        print(f"floor              : {floor:.2f} s (max of ideal, each process's CPU, all CPU / cores)")
        if self.ideal > 1e-6:
            print(f"ratio wall/ideal   : {self.wall / self.ideal:.2f} (target <= 2.0)")
        else:
            print("ratio wall/ideal   : n/a (no latency added)")
        print(f"ratio wall/floor   : {self.wall / floor:.2f}")
        for reason in self.first_errors:
            print(f"  error: {reason}")


def measure(
    label: str,
    options: CollectOptions,
    latency: float,
    server_pid: int,
    recorder: Recorder,
    profile: str | None = None,
) -> Figures:
    """One collection with ``latency`` added before every request, its CPU split out."""
    sent = [0]
    lock = threading.Lock()

    def delay(**_: Any) -> None:
        with lock:
            sent[0] += 1
        if latency:
            time.sleep(latency)

    scan_session = boto3.Session(region_name=HOME)
    scan_session.events.register("before-send", delay)
    scan_session.events.register("before-send", recorder.before_send)
    scan_session.events.register("response-received", recorder.response_received)
    sink = Counting()
    profiler = ThreadProfiles() if profile else None
    server0, busy0 = cpu_seconds(server_pid), machine_busy_seconds()
    t1 = time.perf_counter()
    cpu0 = time.process_time()
    if profiler is not None:
        profiler.enable()
    snap = collect(options, progress=sink, session=scan_session)
    if profiler is not None:
        profiler.disable()
    wall = time.perf_counter() - t1
    cpu = time.process_time() - cpu0
    server_cpu = cpu_seconds(server_pid) - server0
    other = max(0.0, machine_busy_seconds() - busy0 - cpu - server_cpu)
    if profiler is not None and profile:
        profiler.dump(profile)
    return Figures(
        label=label,
        accounts=len(snap.accounts),
        calls=sink.calls,
        requests=sent[0],
        errors=sink.errors,
        wall=wall,
        collector_cpu=cpu,
        server_cpu=server_cpu,
        other_cpu=other,
        ideal=max(sent[0] * latency / options.max_workers, 1e-9),
        first_errors=tuple(err.reason() for err in snap.errors[:5]),
        collected=replace(snap, collected_at=""),
    )


def main(argv: list[str] | None = None) -> int:
    """Seed, collect with added latency, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--regions", type=int, default=17)
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument(
        "--mode",
        choices=("live", "replay", "both"),
        default="both",
        help="live: against moto_server; replay: the same answers without a server (the collector alone)",
    )
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile (all threads) of the last pass to FILE")
    args = parser.parse_args(argv)

    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=HOME)
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        os.environ.pop(var, None)
    latency = args.latency_ms / 1000.0
    cores = os.cpu_count() or 1
    results: list[Figures] = []
    with moto_server() as (url, server_pid):
        session = boto3.Session(region_name=HOME)
        listed = _client(session, url, "ec2", HOME, None).describe_regions()["Regions"]
        enabled = sorted(r["RegionName"] for r in listed if session.get_partition_for_region(r["RegionName"]) == "aws")
        regions = [HOME, *[r for r in enabled if r != HOME]][: args.regions]
        t0 = time.perf_counter()
        seed(session, url, args.accounts, regions)
        seeded_in = time.perf_counter() - t0
        options = CollectOptions(
            regions=tuple(regions),
            organization=True,
            role_name="OrganizationAccountAccessRole",
            endpoint_url=url,
            max_workers=args.workers,
        )
        recorder = Recorder()
        if args.mode == "replay":
            measure("recording (not measured)", options, 0.0, server_pid, recorder)
        if args.mode in ("live", "both"):
            results.append(
                measure(
                    "live: collector + moto_server",
                    options,
                    latency,
                    server_pid,
                    recorder,
                    args.profile if args.mode == "live" else None,
                )
            )
        if args.mode in ("replay", "both"):
            recorder.replaying = True
            results.append(measure("replay: the collector alone", options, latency, server_pid, recorder, args.profile))

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"accounts x regions : {results[0].accounts} x {len(regions)} (seeded in {seeded_in:.1f} s)")
    print(f"workers, latency   : {args.workers}, {args.latency_ms:.0f} ms per request")
    for figures in results:
        figures.show(cores)
    if recorder.replaying:
        print(f"replay misses      : {recorder.missing} (requests that went to the server)")
    if len(results) == 2:
        same = results[0].collected == results[1].collected
        print(f"replay == live     : {'yes' if same else 'NO: the replay collected something else'}")
    print(f"peak RSS           : {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

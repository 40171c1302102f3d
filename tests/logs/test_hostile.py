"""Log folders an attacker shaped (issue 11, issue 17 item 7): never a false PASS,
never a hang, never a crash, memory and results bounded.

Each test reads real files from a real folder through both readers (the
two-tier fast path and the reference full parse) and judges them with the
real checks.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from auditor.engine.checkapi import Status
from auditor.logs import LogWindow, read_local
from auditor.logs.parse import CLIP, DEFAULT_MAX_BYTES, DEFAULT_MAX_VALUES
from auditor.logs.rules import root_invoked_by_service
from tests.logs.factory import ACCOUNT, WIDE, event, hours, write_records
from tests.logs.test_checks import failing, logs_only, run

T0 = datetime(2026, 11, 19, 8, 0, tzinfo=UTC)
NAME = f"{ACCOUNT}_CloudTrail_us-east-1_20261119T0805Z_abc.json.gz"


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail instead of hanging the suite (a FIFO blocks open() for ever without the fix)."""

    def hung(signum: int, frame: object) -> None:
        raise TimeoutError(f"the reader blocked for more than {seconds} s")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


SCHEMA_FILE = Path(__file__).resolve().parents[2] / "auditor" / "schemas" / "log-evidence.schema.json"
SCHEMA = json.loads(SCHEMA_FILE.read_text())


def both(path: Path, window: LogWindow = WIDE, workers: int = 1) -> dict[str, Any]:
    """The evidence document, after checking that the fast and reference readers agree on it byte
    for byte, and that it is what the evidence schema describes."""
    fast = read_local(path, window, workers=workers, fast=True)
    ref = read_local(path, window, workers=workers, fast=False)
    assert json.dumps(fast, sort_keys=True) == json.dumps(ref, sort_keys=True)
    jsonschema.validate(fast, SCHEMA)
    return fast


# --------------------------------------------------------------------------- 1. malformed eventTime


@pytest.mark.parametrize(
    "bad_time",
    [
        "not-a-date",
        "",
        "2026-13-45T00:00:00Z",
        "9999-12-31T99:99:99Z",
        "2026-02-30T10:00:00Z",
        "2026-11-19 08:00:00",
        "2026-11-19T08:00:00+00:00",
        "0000-01-01T00:00:00Z",
        "2026-11-19T08:00:00Z\n",
        "２０２６-11-19T08:00:00Z",
        "2026-04-31T08:00:00Z",
        "2026-11-19T08:00:60Z",
    ],
)
def test_a_stop_logging_with_a_malformed_time_is_never_a_pass(tmp_path: Path, bad_time: str) -> None:
    stop = event("StopLogging", T0, source="cloudtrail.amazonaws.com", eventTime=bad_time)
    write_records(tmp_path / NAME, [event("CreateTrail", T0, source="cloudtrail.amazonaws.com"), stop])
    doc = both(tmp_path)
    [result] = run("logs_trail_tampering", logs_only(doc))
    assert result.status is Status.ERROR, result.message
    assert doc["events_malformed"] == 1
    [problem] = doc["file_problems"]
    assert problem["path"].endswith(NAME) and "eventTime" in problem["reason"] and problem["kind"] == "partial"
    assert result.evidence["events_malformed"] == 1
    assert result.evidence["file_problems"][0]["path"].endswith(NAME)


def test_a_malformed_record_does_not_hide_what_the_rest_proves(tmp_path: Path) -> None:
    """FAIL where what was read already proves it: the malformed record cannot undo a StopLogging."""
    write_records(
        tmp_path / NAME,
        [
            event("StopLogging", T0, source="cloudtrail.amazonaws.com"),
            event("DeleteTrail", T0, source="cloudtrail.amazonaws.com", eventTime="2026-11-19T08:00"),
        ],
    )
    [result] = run("logs_trail_tampering", logs_only(both(tmp_path)))
    assert result.status is Status.FAIL and result.evidence["total"] == 1


def test_events_outside_the_window_are_counted_in_the_results(tmp_path: Path) -> None:
    write_records(
        tmp_path / NAME,
        [
            event("CreateTrail", T0, source="cloudtrail.amazonaws.com"),
            event("StopLogging", datetime(2031, 1, 1, tzinfo=UTC), source="cloudtrail.amazonaws.com"),
        ],
    )
    doc = both(tmp_path, LogWindow(T0 - timedelta(days=1), T0 + timedelta(days=1)))
    [result] = run("logs_trail_tampering", logs_only(doc))
    assert result.status is Status.PASS
    assert (result.evidence["events_outside_window"], result.evidence["events_malformed"]) == (1, 0)


# --------------------------------------------------------------------------- 2. links


def test_a_linked_folder_is_read(tmp_path: Path) -> None:
    logs, old = tmp_path / "logs", tmp_path / "old-logs"
    write_records(logs / "current" / NAME, [event("CreateTrail", T0, source="cloudtrail.amazonaws.com")])
    write_records(old / NAME.replace("abc", "old"), [event("StopLogging", T0, source="cloudtrail.amazonaws.com")])
    (logs / "archive").symlink_to("../old-logs", target_is_directory=True)
    [result] = run("logs_trail_tampering", logs_only(both(logs)))
    assert result.status is Status.FAIL, result.message


def test_a_folder_link_loop_is_read_once_and_reported(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    write_records(logs / "a" / NAME, [event("StopLogging", T0, source="cloudtrail.amazonaws.com")])
    (logs / "a" / "loop").symlink_to("..", target_is_directory=True)
    (logs / "again").symlink_to("a", target_is_directory=True)
    with deadline(30):
        doc = both(logs)
    assert doc["files_read"] == 1 and doc["events_read"] == 1
    reported = sorted(Path(p["path"]).relative_to(logs).as_posix() for p in doc["file_problems"])
    assert reported == ["a/loop", "again"]
    assert all("already read" in p["reason"] for p in doc["file_problems"])


def test_a_folder_that_cannot_be_listed_is_reported(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root lists any folder")
    logs = tmp_path / "logs"
    write_records(logs / NAME, [event("CreateTrail", T0, source="cloudtrail.amazonaws.com")])
    closed = logs / "closed"
    closed.mkdir()
    closed.chmod(0)
    try:
        doc = both(logs)
    finally:
        closed.chmod(0o700)
    assert [p["path"] for p in doc["file_problems"]] == [str(closed)]
    [result] = run("logs_trail_tampering", logs_only(doc))
    assert result.status is Status.ERROR


# --------------------------------------------------------------------------- 3. non-regular files


def test_a_fifo_and_devices_among_the_logs_are_reported_and_never_opened(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    write_records(logs / NAME, [event("CreateTrail", T0, source="cloudtrail.amazonaws.com")])
    os.mkfifo(logs / "pipe.json")
    (logs / "zero.json.gz").symlink_to("/dev/zero")
    (logs / "null.json").symlink_to("/dev/null")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(logs / "sock.json"))
    try:
        with deadline(30):
            doc = both(logs, workers=2)
    finally:
        sock.close()
    reasons = {Path(p["path"]).name: p["reason"] for p in doc["file_problems"]}
    assert set(reasons) == {"pipe.json", "zero.json.gz", "null.json", "sock.json"}
    assert "named pipe" in reasons["pipe.json"] and "socket" in reasons["sock.json"]
    assert "character device" in reasons["zero.json.gz"] and "not a regular file" in reasons["null.json"]
    [result] = run("logs_trail_tampering", logs_only(doc))
    assert result.status is Status.ERROR


def test_a_read_is_bounded_whatever_the_file_size_says(tmp_path: Path) -> None:
    """/proc files are regular with st_size 0: the read must still stop at the limit."""
    status = Path("/proc/self/status")
    if not status.exists():
        pytest.skip("no /proc")
    (tmp_path / "status.json").symlink_to(status)
    doc = read_local(tmp_path, WIDE, workers=1, max_bytes=64)
    [problem] = doc["file_problems"]
    assert "exceeds the limit of 64 bytes" in problem["reason"]


# --------------------------------------------------------------------------- 4./5. nesting and sizes


def _nested(depth: int) -> Any:
    value: Any = "deep"
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


def test_values_nested_500_deep_in_a_sampled_field_still_give_results(tmp_path: Path) -> None:
    stop = event(
        "StopLogging",
        T0,
        source="cloudtrail.amazonaws.com",
        userAgent=_nested(500),
        sourceIPAddress=_nested(200),
        eventID=_nested(300),
    )
    raw = '{"Records": [' + json.dumps(stop) + "]}"
    (tmp_path / NAME).write_bytes(gzip.compress(raw.encode()))
    doc = both(tmp_path, workers=2)
    [result] = run("logs_trail_tampering", logs_only(doc))
    assert result.status is Status.FAIL
    sample = result.evidence["events"][0]
    assert len(json.dumps(sample)) < 8 * CLIP
    assert "truncated" in json.dumps(sample) or "nested deeper" in json.dumps(sample)


def test_strings_from_records_are_clipped_with_their_length(tmp_path: Path) -> None:
    huge = "A" * 3_000_000
    evs = [
        event("StopLogging", T0, source="cloudtrail.amazonaws.com", userAgent=huge),
        event("RunInstances", T0, region="r" * 5000, recipientAccountId="1" * 4000, errorCode="E" * 9000),
        event(
            "ConsoleLogin",
            T0,
            source="signin.amazonaws.com",
            sourceIPAddress="9" * 7000,
            responseElements={"ConsoleLogin": "Failure"},
        ),
        event("X" * 6000, T0, source="s" * 6000),
    ]
    write_records(tmp_path / NAME, evs)
    doc = both(tmp_path, workers=2)
    text = json.dumps(doc)
    assert len(text) < 200_000, "one attacker-sized field must not size the results"
    [stop] = [r for r in doc["rules"] if r["check_id"] == "logs-trail-tampering"]
    ua = stop["events"][0]["userAgent"]
    assert ua.startswith("A" * CLIP) and ua.endswith("[truncated: 3000000 characters]")
    assert all(len(c["region"]) < CLIP + 40 and len(c["account_id"]) < CLIP + 40 for c in doc["coverage"])


# --------------------------------------------------------------------------- 6. parse-time memory


def test_defaults_bound_one_cloudtrail_file() -> None:
    assert DEFAULT_MAX_BYTES == 128 * 1024 * 1024
    assert DEFAULT_MAX_VALUES == 2_000_000


def test_a_file_of_too_many_values_is_unreadable_before_it_is_parsed(tmp_path: Path) -> None:
    body = b'{"Records": [' + b",".join([b"{}"] * 5000) + b"]}"
    (tmp_path / NAME).write_bytes(gzip.compress(body))
    doc = read_local(tmp_path, WIDE, workers=1, max_values=1000)
    [problem] = doc["file_problems"]
    assert problem["kind"] == "unreadable" and "JSON values" in problem["reason"]
    assert doc == read_local(tmp_path, WIDE, workers=1, max_values=1000, fast=False)
    [result] = run("logs_trail_tampering", logs_only(doc))
    assert result.status is Status.ERROR


_PEAK = """
import gzip, json, resource, sys
from pathlib import Path
from auditor.logs import read_local
from tests.logs.factory import WIDE
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
doc = read_local(Path(sys.argv[1]), WIDE, workers=1, fast=sys.argv[2] == "fast")
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"before_kib": before, "peak_kib": peak, "problems": doc["file_problems"]}))
"""


def peak_rss(path: Path, mode: str = "fast") -> dict[str, Any]:
    """Peak RSS (KiB) of a fresh interpreter reading ``path`` in-process (the worker's work)."""
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", _PEAK, str(path), mode],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out: dict[str, Any] = json.loads(proc.stdout)
    return out


def bomb(path: Path, mib: int = 80) -> Path:
    """An ~80 KB gzip inflating to ``mib`` MiB of ``[{},{},...]`` (issue 17 item 7)."""
    n = mib * 1024 * 1024 // 3
    path.write_bytes(gzip.compress(b"[" + b"{}," * (n - 1) + b"{}]", compresslevel=9))
    return path


@pytest.mark.parametrize("mode", ["fast", "reference"])
def test_an_inflating_array_of_empty_objects_costs_a_bounded_memory(tmp_path: Path, mode: str) -> None:
    f = bomb(tmp_path / "bomb.json.gz")
    assert f.stat().st_size < 200_000
    got = peak_rss(f, mode)
    [problem] = got["problems"]
    assert problem["kind"] == "unreadable" and "JSON values" in problem["reason"]
    # the 80 MiB of text once (plus 1 MiB steps): not the 2.5 GB of parsing it, nor the text twice
    assert got["peak_kib"] - got["before_kib"] < 110 * 1024, got


# --------------------------------------------------------------------------- 7. root through the console


def test_root_acting_through_the_console_is_root_activity(tmp_path: Path) -> None:
    root = {"type": "Root", "arn": f"arn:aws:iam::{ACCOUNT}:root", "accountId": ACCOUNT, "principalId": ACCOUNT}
    invokers: list[tuple[str, Any]] = [
        ("CreateAccessKey", "signin.amazonaws.com"),
        ("ListRoles", "support.amazonaws.com"),
        ("ListUsers", "AWS Internal"),
        ("GetUser", {"odd": 1}),
    ]
    evs = [event(n, T0, source="iam.amazonaws.com", userIdentity={**root, "invokedBy": by}) for n, by in invokers]
    write_records(tmp_path / NAME, evs)
    [fail] = failing(run("logs_root_activity", logs_only(both(tmp_path))))
    assert sorted(e["eventName"] for e in fail.evidence["events"]) == ["CreateAccessKey", "GetUser"]


@pytest.mark.parametrize(
    ("invoked_by", "service"),
    [
        (None, False),
        ("signin.amazonaws.com", False),
        ("console.amazonaws.com", False),
        (".amazonaws.com", False),
        ("evil.example.com", False),
        (["x"], False),
        ("support.amazonaws.com", True),
        ("AWS Internal", True),
        ("Config.AmazonAWS.com", True),
    ],
)
def test_which_invokers_are_a_service_acting_for_root(invoked_by: Any, service: bool) -> None:
    assert root_invoked_by_service(invoked_by) is service


def test_the_root_alarm_keeps_the_cis_pattern() -> None:
    from auditor.semantics import cis

    assert "$.userIdentity.invokedBy NOT EXISTS" in cis.item_by_number("4.3").pattern


# --------------------------------------------------------------------------- 8. baseline of a nightly window


def test_the_nightly_window_at_two_has_a_baseline(tmp_path: Path) -> None:
    """Four days of hourly writes, judged over 02:00 to 02:00: the first hours are the baseline."""
    start = datetime(2026, 11, 27, 2, tzinfo=UTC)
    evs = [event("PutObject", h, source="s3.amazonaws.com", region="eu-west-3") for h in hours(start, 4 * 24)]
    write_records(tmp_path / NAME, evs)
    window = LogWindow(datetime(2026, 11, 30, 2, tzinfo=UTC), datetime(2026, 12, 1, 2, tzinfo=UTC))
    results = run("logs_unused_region_activity", logs_only(both(tmp_path, window)))
    assert [(r.region, r.status) for r in results] == [("eu-west-3", Status.PASS)], [r.message for r in results]
    assert results[0].evidence["baseline_hours_with_events"] == 12


def test_a_baseline_empty_because_of_the_window_is_not_applicable(tmp_path: Path) -> None:
    """Logs that start at the cut: nothing says the region was unused before."""
    cut = datetime(2026, 11, 30, 14, tzinfo=UTC)
    evs = [event("PutObject", h, source="s3.amazonaws.com", region="eu-west-3") for h in hours(cut, 12)]
    write_records(tmp_path / NAME, evs)
    window = LogWindow(datetime(2026, 11, 30, 2, tzinfo=UTC), datetime(2026, 12, 1, 2, tzinfo=UTC))
    [result] = run("logs_unused_region_activity", logs_only(both(tmp_path, window)))
    assert result.status is Status.NOT_APPLICABLE and "no baseline" in result.message


def test_a_new_region_beside_a_busy_one_still_fails(tmp_path: Path) -> None:
    start = datetime(2026, 11, 30, 2, tzinfo=UTC)
    evs = [event("DescribeInstances", h, read_only=True) for h in hours(start, 24)]
    evs.append(event("RunInstances", datetime(2026, 11, 30, 20, tzinfo=UTC), region="ap-southeast-3"))
    write_records(tmp_path / NAME, evs)
    window = LogWindow(start, datetime(2026, 12, 1, 2, tzinfo=UTC))
    results = run("logs_unused_region_activity", logs_only(both(tmp_path, window)))
    [fail] = failing(results)
    assert fail.region == "ap-southeast-3" and fail.evidence["recent_writes"] == 1


# --------------------------------------------------------------------------- the command, as a user runs it


def _findings(out: Path, check_id: str) -> list[dict[str, Any]]:
    doc = json.loads((out / "results.json").read_text())
    return [f for f in doc["findings"] if f["check_id"] == check_id]


def test_logs_command_on_a_malformed_time_stop_logging_is_incomplete_not_passed(tmp_path: Path) -> None:
    from tests.cli.conftest import run_cli

    logs = tmp_path / "logs"
    write_records(
        logs / NAME,
        [
            event("CreateTrail", T0, source="cloudtrail.amazonaws.com"),
            event("StopLogging", T0, source="cloudtrail.amazonaws.com", eventTime="not-a-date"),
        ],
    )
    out = tmp_path / "out"
    proc = run_cli(
        [
            "logs",
            str(logs),
            "--since",
            "2026-11-01",
            "--until",
            "2026-12-01",
            "--output-dir",
            str(out),
            "--format",
            "json",
        ],
        cwd=tmp_path,
    )
    assert proc.returncode == 3, proc.stderr
    [tampering] = _findings(out, "logs-trail-tampering")
    assert tampering["status"] == "ERROR"


def test_logs_command_for_the_nightly_window_does_not_fail_a_steady_region(tmp_path: Path) -> None:
    """`trail-auditor logs . --since 2026-11-30T02:00:00Z --until 2026-12-01T02:00:00Z` (issue 11 item 9)."""
    from tests.cli.conftest import run_cli

    start = datetime(2026, 11, 27, 2, tzinfo=UTC)
    for h in hours(start, 4 * 24):
        stamp = h.strftime("%Y%m%dT%H%MZ")
        write_records(
            tmp_path / f"{ACCOUNT}_CloudTrail_eu-west-3_{stamp}_x.json.gz",
            [event("PutObject", h, source="s3.amazonaws.com", region="eu-west-3")],
        )
    out = tmp_path / "out"
    proc = run_cli(
        [
            "logs",
            ".",
            "--since",
            "2026-11-30T02:00:00Z",
            "--until",
            "2026-12-01T02:00:00Z",
            "--output-dir",
            str(out),
            "--format",
            "json",
        ],
        cwd=tmp_path,
    )
    assert proc.returncode in (0, 1, 3), proc.stderr
    [region] = _findings(out, "logs-unused-region-activity")
    assert region["status"] == "PASS", region


def test_merged_documents_add_their_malformed_counts(tmp_path: Path) -> None:
    from auditor.logs import merge_evidence

    a, b = tmp_path / "a", tmp_path / "b"
    write_records(a / NAME, [event("X", T0, eventTime="bad"), event("Y", T0)])
    write_records(b / NAME, [event("X", T0, eventTime=""), event("X", T0, eventTime="2026-00-01T00:00:00Z")])
    merged = merge_evidence([both(a), both(b)])
    assert merged["events_malformed"] == 3

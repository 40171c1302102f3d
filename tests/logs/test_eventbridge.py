"""EventBridge-wrapped CloudTrail records (issue 14): read from their detail, malformed ones reported.

An EventBridge rule forwarding CloudTrail events (to S3 through Firehose,
newline-delimited) writes each record inside an envelope: ``{"version": "0",
"detail-type": "AWS API Call via CloudTrail", "source": "aws.cloudtrail", ...,
"detail": {<the CloudTrail record>}}``. The files here are the stratus-red-team
detonation records wrapped that way, so the result can be compared with the
plain files' result.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from auditor.logs import read_local
from auditor.logs.parse import decode
from auditor.logs.sql.duckdb_engine import read_local as duck_read
from tests.logs.factory import FIXTURES, WIDE

STRATUS = FIXTURES / "stratus" / "detonation-logs"
RULES = FIXTURES / "sigma" / "rules"
FILES = ["aws.defense-evasion.cloudtrail-stop.json", "aws.initial-access.console-login-without-mfa.json"]


def envelope(record: dict[str, Any], kind: str = "AWS API Call via CloudTrail") -> dict[str, Any]:
    """The EventBridge event AWS builds around a CloudTrail record."""
    return {
        "version": "0",
        "id": "6f87d04b-9f74-4f04-a780-7acf4b0a9b38",
        "detail-type": kind,
        "source": "aws." + str(record.get("eventSource", "")).split(".")[0],
        "account": record.get("recipientAccountId", "111111111111"),
        "time": record.get("eventTime"),
        "region": record.get("awsRegion"),
        "resources": [],
        "detail": record,
    }


def _records(name: str) -> list[dict[str, Any]]:
    doc = json.loads((STRATUS / name).read_text())
    return doc if isinstance(doc, list) else doc["Records"]


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    plain = tmp_path_factory.mktemp("plain")
    bridged = tmp_path_factory.mktemp("bridged")
    for name in FILES:
        recs = _records(name)
        (plain / name).write_text(json.dumps({"Records": recs}))
        lines = "\n".join(json.dumps(envelope(r)) for r in recs) + "\n"
        (bridged / (name + "l.gz")).write_bytes(gzip.compress(lines.encode()))  # Firehose: JSON lines
    return plain, bridged


def _matches(doc: dict[str, Any]) -> tuple[Any, ...]:
    def key(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return sorted(
            (m["rule_id"], m["account_id"], m["region"], m["total"], tuple(e["eventID"] for e in m["events"]))
            for m in rows
        )

    return key(doc["rules"]), key(doc["sigma"]["matches"]), doc["events_read"], doc["coverage"][0]["events"]


@pytest.mark.parametrize("fast", [True, False])
def test_eventbridge_lines_read_as_the_cloudtrail_records(folders: tuple[Path, Path], fast: bool) -> None:
    plain, bridged = folders
    want = read_local(plain, WIDE, rules_dir=RULES, workers=1, fast=fast)
    got = read_local(bridged, WIDE, rules_dir=RULES, workers=1, fast=fast)
    assert got["events_read"] == want["events_read"] > 0
    assert got["rules"] and got["sigma"]["matches"]
    assert _matches(got)[:3] == _matches(want)[:3]
    kinds = {p["kind"] for p in got["file_problems"]}
    assert kinds == {"normalised"}  # said, not hidden: the events were unwrapped
    assert all("EventBridge" in p["reason"] for p in got["file_problems"])


def test_the_duckdb_loader_reads_them_too(folders: tuple[Path, Path]) -> None:
    plain, bridged = folders
    since, until = "2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z"
    want = duck_read(plain, since, until, rules_dir=RULES)
    got = duck_read(bridged, since, until, rules_dir=RULES)
    assert got["events_read"] == want["events_read"] > 0
    assert _matches(got)[:3] == _matches(want)[:3]


def test_one_eventbridge_event_and_a_records_array_of_them(tmp_path: Path) -> None:
    rec = _records(FILES[0])[0]
    events, problems = decode("one.json", json.dumps(envelope(rec)).encode())
    assert events == [rec] and [p.kind for p in problems] == ["normalised"]
    events, _ = decode("arr.json", json.dumps({"Records": [envelope(rec), rec]}).encode())
    assert events == [rec, rec]
    # the fast path declines a file holding envelopes: the reference path reads it, same result
    path = tmp_path / "111111111111_CloudTrail_us-east-1_20260105T1000Z_x.json"
    path.write_text(json.dumps({"Records": [envelope(rec), rec]}))
    fast = read_local(path, WIDE, rules_dir=RULES, workers=1)
    ref = read_local(path, WIDE, rules_dir=RULES, workers=1, fast=False)
    assert fast["events_read"] == ref["events_read"] == 2
    assert _matches(fast) == _matches(ref)


@pytest.mark.parametrize(
    "bad",
    [
        {"detail-type": "EC2 Instance State-change Notification", "detail": {"state": "running"}},
        {"detail-type": "AWS API Call via CloudTrail"},
        {"detail-type": "AWS API Call via CloudTrail", "detail": "not an object"},
        {"detail-type": "AWS API Call via CloudTrail", "detail": {"eventName": "StopLogging"}},
        {"detail-type": ["AWS API Call via CloudTrail"], "detail": {}},
    ],
)
def test_malformed_eventbridge_events_are_reported_not_judged(bad: dict[str, Any]) -> None:
    rec = _records(FILES[0])[0]
    lines = f"{json.dumps(envelope(rec))}\n{json.dumps(bad)}\n".encode()
    events, problems = decode("x.jsonl", lines)
    assert events == [rec]
    [partial] = [p for p in problems if p.kind == "partial"]
    assert partial.records == 1 and "EventBridge events without a CloudTrail record" in partial.reason
    events, problems = decode("y.json", json.dumps(bad).encode())
    assert events == [] and [p.kind for p in problems] == ["unreadable"]


def test_firehose_concatenated_records_without_a_delimiter(tmp_path: Path) -> None:
    """Firehose writes records back to back unless a newline delimiter is configured."""
    recs = _records(FILES[0])
    text = "".join(json.dumps(envelope(r), separators=(",", ":")) for r in recs)
    events, problems = decode("firehose-1-2026-01-05-10-00-00-x", text.encode())
    assert events == recs and [p.kind for p in problems] == ["normalised"]
    # one broken object among them: not guessed at, the file is invalid JSON
    events, problems = decode("broken", (text[:-1] + "{").encode())
    assert events == [] and [p.kind for p in problems] == ["unreadable"]


def test_the_eventbridge_fixture_reads_every_record_and_reports_the_foreign_event() -> None:
    doc = read_local(FIXTURES / "eventbridge", WIDE, rules_dir=RULES, workers=1)
    plain = read_local(STRATUS, WIDE, rules_dir=RULES, workers=1)
    assert doc["events_read"] == plain["events_read"] > 0
    assert _matches(doc)[:2] == _matches(plain)[:2]
    [bad] = [p for p in doc["file_problems"] if p["kind"] == "partial"]
    assert bad["path"].endswith("firehose-lines.jsonl.gz") and bad["malformed_records"] == 1
    assert doc["events_malformed"] == 1

"""Fuzz the log reader (both paths) with hostile files (issue 11, "make it systematic").

Hypothesis builds log folders of random JSON shapes, wrong types, deep
nesting, huge strings, bad gzip and bad times, mixed with plausible
CloudTrail records (a StopLogging among them, so a lost record can change a
verdict). For every folder:

- no exception escapes either reader, and each file's partial pickles (what a
  worker sends back);
- the fast and the reference reader give byte-identical documents;
- the document stays small whatever the input sizes (strings and nesting are
  bounded), a proxy for the parent's memory;
- nothing that was not judged is PASS: when any file of the folder was lost
  in whole or in part, no logs-* check passes (the files are not named the
  CloudTrail way, so their problems concern every scope);
- a StopLogging that was read is a FAIL, one whose record was malformed is
  never a PASS.

The budget is fixed (max_examples, derandomised), so the test runs in the
same few seconds in CI every time.
"""

from __future__ import annotations

import gzip
import json
import pickle
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.engine.checkapi import Status
from auditor.logs import read_local
from auditor.logs.reader import WorkerConfig, process_path
from tests.logs.factory import WIDE, event
from tests.logs.test_checks import LOG_CHECKS, logs_only, run
from tests.logs.test_hostile import SCHEMA

T0 = datetime(2026, 11, 19, 8, 0, tzinfo=UTC)
CLOUDTRAIL = "cloudtrail.amazonaws.com"
#: Cases tried and verdicts seen, printed at the end (pytest -s) for the closing note.
TALLY: dict[str, int] = {"folders": 0, "files": 0, "results": 0, "lossy_folders": 0, "false_pass": 0}

GOOD_TIMES = ["2026-11-19T08:00:00Z", "2026-11-19T23:59:59Z", "2024-02-29T12:00:00Z"]
BAD_TIMES = [
    "not-a-date",
    "",
    "2026-13-45T00:00:00Z",
    "9999-12-31T99:00:00Z",
    "2026-02-30T00:00:00Z",
    "2026-11-19T08:00:00",
    "2026-11-19T08:00:00.123Z",
    " 2026-11-19T08:00:00Z",
    "２０２６-11-19T08:00:00Z",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def deep(draw: st.DrawFn) -> Any:
    """A value nested up to 600 levels (lists and objects)."""
    depth = draw(st.integers(min_value=1, max_value=600))
    value: Any = draw(scalars)
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


@st.composite
def huge(draw: st.DrawFn) -> str:
    """A string of up to 1 MB (built, not drawn character by character)."""
    return draw(st.sampled_from("Aé☃\x00\u202e")) * draw(st.integers(min_value=2000, max_value=1_000_000))


hostile_values = st.one_of(json_values, deep(), huge(), st.sampled_from(BAD_TIMES))
FIELDS = [
    "eventTime",
    "eventName",
    "eventSource",
    "awsRegion",
    "recipientAccountId",
    "userIdentity",
    "userAgent",
    "sourceIPAddress",
    "eventID",
    "errorCode",
    "readOnly",
    "eventType",
    "requestParameters",
]


@st.composite
def record(draw: st.DrawFn) -> Any:
    """A CloudTrail-like record with some fields replaced by hostile values, or something else entirely."""
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        return draw(hostile_values)
    name = draw(st.sampled_from(["StopLogging", "RunInstances", "ConsoleLogin", "GetObject", "CreateAccessKey"]))
    ev: dict[str, Any] = event(name, T0, source="cloudtrail.amazonaws.com")
    if draw(st.integers(min_value=0, max_value=3)) == 0:
        ev["eventTime"] = draw(st.sampled_from(BAD_TIMES))
    else:
        ev["eventTime"] = draw(st.sampled_from(GOOD_TIMES))
    mutated = draw(st.lists(st.sampled_from(FIELDS), max_size=2, unique=True)) if draw(st.booleans()) else []
    for f in mutated:
        if draw(st.booleans()):
            ev[f] = draw(hostile_values)
        else:
            ev.pop(f, None)
    return ev


def _stops(records: list[Any]) -> bool:
    """Whether the records hold a StopLogging (name and source intact): whatever else is wrong with
    it, logs-trail-tampering must then not pass everywhere."""
    return any(
        isinstance(r, dict) and r.get("eventName") == "StopLogging" and r.get("eventSource") == CLOUDTRAIL
        for r in records
    )


@st.composite
def file_body(draw: st.DrawFn) -> tuple[bytes, bool]:
    """One file's bytes (a JSON shape around the records, maybe gzipped, maybe broken), and whether it
    holds a StopLogging."""
    records = draw(st.lists(record(), max_size=6))
    shape = draw(st.sampled_from(["records"] * 6 + ["array", "lines", "single", "other", "bytes"]))
    stops = _stops(records[:1] if shape == "single" else records) and shape not in ("other", "bytes")
    if shape == "records":
        body = json.dumps({"Records": records}).encode()
    elif shape == "array":
        body = json.dumps(records).encode()
    elif shape == "lines":
        body = b"\n".join(json.dumps(r).encode() for r in records)
    elif shape == "single":
        body = json.dumps(records[0] if records else {}).encode()
    elif shape == "other":
        body = json.dumps(draw(hostile_values)).encode()
    else:
        body = draw(st.binary(max_size=200))
    if draw(st.booleans()):
        body = gzip.compress(body, compresslevel=1)
        if draw(st.integers(min_value=0, max_value=9)) == 0:
            body = body[: draw(st.integers(min_value=0, max_value=len(body)))]  # bad gzip
    return body, stops


def _lossy(doc: dict[str, Any]) -> bool:
    return any(p["kind"] in ("unreadable", "partial") for p in doc["file_problems"])


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
@given(files=st.lists(file_body(), min_size=1, max_size=2))
def test_hostile_log_folders_never_crash_never_blow_up_never_pass_unjudged(files: list[tuple[bytes, bool]]) -> None:
    bodies = [b for b, _ in files]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i, body in enumerate(bodies):
            (folder / f"f{i}.json.gz").write_bytes(body)
        fast = read_local(folder, WIDE, workers=1, fast=True)
        ref = read_local(folder, WIDE, workers=1, fast=False)
        for f in sorted(folder.iterdir()):
            for is_fast in (True, False):
                cfg = WorkerConfig(_params(fast), fast=is_fast)
                pickle.dumps(process_path(str(f), cfg))  # what a worker sends back must pickle
    text = json.dumps(fast, sort_keys=True)
    assert text == json.dumps(ref, sort_keys=True), "the fast path must give the reference document"
    assert len(text) < 1_000_000, f"evidence of {len(text)} bytes from {sum(map(len, bodies))} bytes of logs"
    jsonschema.validate(fast, SCHEMA)
    TALLY["folders"] += 1
    TALLY["files"] += len(bodies)
    lossy = _lossy(fast)
    TALLY["lossy_folders"] += lossy
    stops_read = {(r["account_id"], r["region"]) for r in fast["rules"] if r["check_id"] == "logs-trail-tampering"}
    for module in LOG_CHECKS:
        results = run(module, logs_only(fast))
        TALLY["results"] += len(results)
        for result in results:
            if lossy and result.status is Status.PASS:
                TALLY["false_pass"] += 1
                raise AssertionError(f"{module} PASS although files were lost: {result.message}")
        if module == "logs_trail_tampering":
            for result in results:
                if (result.account_id, result.region) in stops_read:
                    assert result.status is Status.FAIL, result.message
            if any(stops for _, stops in files) and all(r.status is Status.PASS for r in results):
                TALLY["false_pass"] += 1
                raise AssertionError("a StopLogging was written but logs-trail-tampering passes everywhere")


def _params(doc: dict[str, Any]) -> Any:
    from auditor.logs.aggregate import Params

    return Params(since=doc["window"]["since"], until=doc["window"]["until"])


def test_zz_fuzz_tally() -> None:
    """Print what the fuzz test tried (run after it in file order; -s shows it)."""
    print(f"\nlog reader fuzz: {TALLY}")
    assert TALLY["false_pass"] == 0

"""Reading log folders: real datasets, hostile files, windows, workers, merging."""

from __future__ import annotations

import gzip
import json
import zlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from auditor.logs import LogWindow, merge_evidence, parse_since, read_local
from auditor.model.errors import AuditorError
from tests.logs.factory import FIXTURES, WIDE, event, write_records

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "auditor" / "schemas" / "log-evidence.schema.json").read_text()
)


def _problems(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for p in doc["file_problems"]:
        out.setdefault(Path(p["path"]).name, []).append(p)
    return out


def test_invictus_trail_tampering_events_are_found(invictus_doc: dict[str, Any]) -> None:
    names = {
        e["eventName"] for r in invictus_doc["rules"] if r["check_id"] == "logs-trail-tampering" for e in r["events"]
    }
    # UpdateTrail does not occur in this dataset (it is exercised by a synthetic test)
    assert {"StopLogging", "DeleteTrail", "PutEventSelectors"} <= names


def test_invictus_denied_calls_are_counted_per_principal(invictus_doc: dict[str, Any]) -> None:
    expected: Counter[str] = Counter()
    for f in (FIXTURES / "invictus" / "CloudTrail").glob("*.json"):
        for ev in json.loads(f.read_text())["Records"]:
            code = ev.get("errorCode") or ""
            if not (code.endswith("UnauthorizedOperation") or code.startswith("AccessDenied")):
                continue
            if ev.get("sourceIPAddress") == "delivery.logs.amazonaws.com" or ev["eventName"] == "HeadBucket":
                continue
            expected[ev["userIdentity"].get("arn") or ev["userIdentity"].get("principalId")] += 1
    got = {d["principal"]: d["total"] for d in invictus_doc["access_denied"]}
    assert got == dict(expected)
    assert sum(got.values()) > 20


def test_invictus_counts_every_event_and_file(invictus_doc: dict[str, Any]) -> None:
    assert invictus_doc["files_read"] == 55
    assert invictus_doc["events_read"] == 2900
    assert invictus_doc["file_problems"] == []


def test_evidence_document_validates_against_its_schema(
    invictus_doc: dict[str, Any], stratus_doc: dict[str, Any]
) -> None:
    jsonschema.validate(invictus_doc, SCHEMA)
    jsonschema.validate(stratus_doc, SCHEMA)


def test_two_worker_processes_give_the_same_document(invictus_doc: dict[str, Any]) -> None:
    doc = read_local(FIXTURES / "invictus" / "CloudTrail", WIDE, workers=2)
    assert doc == invictus_doc


def test_events_outside_the_window_are_not_judged() -> None:
    window = LogWindow(datetime(2023, 7, 10, 12, 0, tzinfo=UTC), datetime(2023, 7, 10, 12, 10, tzinfo=UTC))
    doc = read_local(FIXTURES / "invictus" / "CloudTrail", window, workers=1)
    assert 0 < doc["events_read"] < 2900
    assert doc["events_read"] + doc["events_outside_window"] == 2900
    for r in doc["rules"]:
        for e in r["events"]:
            assert "2023-07-10T12:00:00Z" <= e["eventTime"] < "2023-07-10T12:10:00Z"


def test_malformed_library_fixtures_are_reported_not_crashed_on() -> None:
    doc = read_local(FIXTURES / "malformed" / "test-resources", WIDE, workers=1)
    probs = _problems(doc)
    assert "invalid JSON" in probs["SerializerTestFileBadJsonFormat.json"][0]["reason"]
    assert probs["SerializerTestFileBadJsonFormat.json"][0]["kind"] == "unreadable"
    for name in (
        "SerializerAllFieldsNull.json",
        "SerializerTestFileBadFieldName.json",
        "SerializerTestFileNewFieldName.json",
    ):
        assert "not CloudTrail events" in probs[name][0]["reason"], name
    # unknown new fields are accepted: those files have no problem and their events count
    assert "SerializerTestFileNewFieldsInRoot.json" not in probs
    assert "SerializerTestFileCompact.json.gz" not in probs
    assert doc["events_read"] > 0
    assert doc["files_unreadable"] == 1


def test_sqs_notification_is_rejected_with_a_clear_reason() -> None:
    for name in ("SQSMessageBody", "SQSMessageBodyWrongFormat"):
        doc = read_local(FIXTURES / "malformed" / "test-resources" / name, WIDE, workers=1)
        [problem] = doc["file_problems"]
        assert "notification" in problem["reason"]
        assert problem["path"].endswith(name)


def test_forwarder_wrapped_events_are_unwrapped_and_broken_file_reported() -> None:
    doc = read_local(FIXTURES / "forwarder", WIDE, workers=1)
    probs = _problems(doc)
    assert probs["aws.defense-evasion.cloudtrail-delete.json"][0]["kind"] == "normalised"
    assert "forwarder" in probs["aws.defense-evasion.cloudtrail-delete.json"][0]["reason"]
    assert "invalid JSON" in probs["aws.execution.ec2-user-data.json"][0]["reason"]
    tamper = [e for r in doc["rules"] if r["check_id"] == "logs-trail-tampering" for e in r["events"]]
    assert [e["eventName"] for e in tamper] == ["DeleteTrail"]
    # the forwarder moved sourceIPAddress/userAgent; unwrapping restores them
    assert tamper[0]["sourceIPAddress"] == "62.167.105.104"
    assert tamper[0]["userAgent"].startswith("stratus-red-team")


def test_otrf_shipper_lines_are_read_with_timestamp_as_event_time() -> None:
    doc = read_local(FIXTURES / "otrf", WIDE, workers=1)
    assert doc["events_read"] == 103
    [problem] = doc["file_problems"]
    assert problem["kind"] == "normalised"
    assert {c["account_id"] for c in doc["coverage"]} == {"123456789123"}


def test_truncated_gzip_and_non_utf8_are_reported(tmp_path: Path) -> None:
    good = gzip.compress(json.dumps({"Records": [event("RunInstances", datetime(2026, 1, 1, tzinfo=UTC))]}).encode())
    (tmp_path / "truncated.json.gz").write_bytes(good[: len(good) // 2])
    (tmp_path / "latin1.json").write_bytes('{"Records": [{"eventName": "caf\xe9"}]}'.encode("latin-1"))
    (tmp_path / "ok.json.gz").write_bytes(good)
    doc = read_local(tmp_path, WIDE, workers=1)
    probs = _problems(doc)
    assert "truncated" in probs["truncated.json.gz"][0]["reason"]
    assert "not UTF-8" in probs["latin1.json"][0]["reason"]
    assert doc["events_read"] == 1
    assert doc["files_read"] == 3


def test_gzip_bomb_and_oversized_file_stop_at_the_limit(tmp_path: Path) -> None:
    (tmp_path / "bomb.json.gz").write_bytes(gzip.compress(b" " * 5_000_000))
    (tmp_path / "big.json").write_bytes(b" " * 200_000)
    doc = read_local(tmp_path, WIDE, workers=1, max_bytes=100_000)
    probs = _problems(doc)
    assert "exceeds the limit" in probs["bomb.json.gz"][0]["reason"]
    assert "exceeds the limit" in probs["big.json"][0]["reason"]


def test_unknown_region_names_are_accepted(stratus_doc: dict[str, Any]) -> None:
    regions = {c["region"] for c in stratus_doc["coverage"]}
    assert "apiso-centralnorth-2r" in regions


def test_rule_samples_are_capped_at_fifty_but_totals_are_exact(tmp_path: Path) -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    evs = [event("AuthorizeSecurityGroupIngress", t0 + timedelta(seconds=i)) for i in range(120)]
    write_records(tmp_path / "a.json.gz", evs[:60])
    write_records(tmp_path / "b.json.gz", evs[60:])
    doc = read_local(tmp_path, WIDE, workers=1)
    [r] = [r for r in doc["rules"] if r["rule_id"] == "cis-4.10"]
    assert r["total"] == 120
    assert len(r["events"]) == 50
    assert r["events"][0]["eventTime"] == "2026-01-01T00:00:00Z"


def test_merge_evidence_adds_counts_of_several_buckets(tmp_path: Path) -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    write_records(tmp_path / "a" / "x.json.gz", [event("CreateVpc", t0)])
    write_records(
        tmp_path / "b" / "y.json.gz",
        [event("CreateVpc", t0 + timedelta(hours=1)), event("CreateVpc", t0 + timedelta(hours=5), region="eu-west-1")],
    )
    a = read_local(tmp_path / "a", WIDE, workers=1)
    b = read_local(tmp_path / "b", WIDE, workers=1)
    m = merge_evidence([a, b])
    jsonschema.validate(m, SCHEMA)
    assert m["events_read"] == 3
    totals = {(r["region"]): r["total"] for r in m["rules"] if r["rule_id"] == "cis-4.14"}
    assert totals == {"us-east-1": 2, "eu-west-1": 1}
    [cov] = [c for c in m["coverage"] if c["region"] == "us-east-1"]
    assert cov["event_hours"] == [["2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z"]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", datetime(2026, 10, 21, 12, tzinfo=UTC)),
        ("12h", datetime(2026, 11, 20, 0, tzinfo=UTC)),
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-01T05:00:00Z", datetime(2026, 11, 1, 5, tzinfo=UTC)),
        ("2026-11-01T06:00:00+01:00", datetime(2026, 11, 1, 5, tzinfo=UTC)),
    ],
)
def test_parse_since_reads_relative_and_absolute_times(text: str, expected: datetime) -> None:
    assert parse_since(text, datetime(2026, 11, 20, 12, tzinfo=UTC)) == expected


def test_parse_since_rejects_garbage() -> None:
    with pytest.raises(AuditorError):
        parse_since("last tuesday", datetime(2026, 11, 20, tzinfo=UTC))


def test_missing_path_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(AuditorError):
        read_local(tmp_path / "nope", WIDE)


def test_events_with_odd_field_types_do_not_stop_the_run(tmp_path: Path) -> None:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    odd = [
        event(
            "PutUserPolicy",
            t,
            source="iam.amazonaws.com",
            requestParameters={"policyDocument": "[" * 5000 + "]" * 5000, "userName": 7},
        ),
        event("ConsoleLogin", t, userIdentity="not-an-object", responseElements=["x"]),
        event("CreateAccessKey", t, source="iam.amazonaws.com", requestParameters=[1, 2]),
        event("DescribeInstances", t, recipientAccountId=12, awsRegion=None, readOnly="maybe"),
    ]
    write_records(tmp_path / "odd.json.gz", odd)
    doc = read_local(tmp_path, WIDE, workers=1)
    assert doc["events_read"] == 4
    assert doc["file_problems"] == []


def test_batched_worker_calls_give_the_in_process_document_and_count_every_file(tmp_path: Path) -> None:
    """Workers merge a batch of files before replying; nothing may be lost or double counted."""
    t0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    names = ["StopLogging", "CreateVpc", "RunInstances", "DescribeInstances", "PutBucketPolicy"]
    for i in range(48):
        evs = [
            event(
                names[(i + j) % len(names)],
                t0 + timedelta(minutes=i, seconds=j),
                user=f"u{j % 7}",
                **({"errorCode": "AccessDenied"} if j % 11 == 0 else {}),
            )
            for j in range(60)
        ]
        name = f"111111111111_CloudTrail_us-east-1_20261102T08{i:02d}Z_{i}.json.gz"
        write_records(tmp_path / name, evs)
    seen: list[tuple[int, int]] = []
    batched = read_local(tmp_path, WIDE, workers=2, progress=lambda d, t: seen.append((d, t)))
    single = read_local(tmp_path, WIDE, workers=1)
    assert batched == single
    assert batched["files_read"] == 48 and batched["events_read"] == 48 * 60
    assert seen[-1] == (48, 48) and len(seen) < 48  # progress by batch, ending at every file
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_batches_close_on_count_and_on_held_bytes() -> None:
    from auditor.logs.reader import BATCH_BYTES, _batches, batch_size, problem_partial

    assert batch_size(1000, 2) == 62 and batch_size(10, 2) == 1 and batch_size(10**6, 2) == 64
    small = [(problem_partial, (b"x",))] * 5
    assert [len(b) for b in _batches(small, 2)] == [2, 2, 1]
    big = [(problem_partial, (b"x" * (BATCH_BYTES // 2),))] * 5
    assert [len(b) for b in _batches(big, 64)] == [2, 2, 1]


def test_an_event_in_the_windows_last_partial_second_is_read(tmp_path: Path) -> None:
    """CloudTrail stamps whole seconds: an event stamped 12:00:00 may precede an until of 12:00:00.7."""
    t = datetime(2026, 11, 2, 12, 0, 0, tzinfo=UTC)
    write_records(tmp_path / "a.json.gz", [event("CreateVpc", t)])
    doc = read_local(tmp_path, LogWindow(t - timedelta(hours=1), t + timedelta(microseconds=700_000)))
    assert doc["events_read"] == 1
    doc = read_local(tmp_path, LogWindow(t - timedelta(hours=1), t))  # until is exclusive
    assert doc["events_read"] == 0 and doc["events_outside_window"] == 1


_FAULTS_CHILD = """
import gzip, json, random, resource
from auditor.logs.parse import file_text
from auditor.logs.reader import _keep_buffers_on_the_heap
assert _keep_buffers_on_the_heap()
rng = random.Random(1)
records = [{"eventTime": "2026-11-02T08:00:00Z", "eventName": "PutObject", "eventSource": "s3.amazonaws.com",
            "requestParameters": {"key": f"p/{rng.randrange(10**9)}"}, "eventID": f"{rng.getrandbits(128):032x}",
            "userAgent": "x" * 900} for _ in range(1000)]
blob = gzip.compress(json.dumps({"Records": records}).encode())  # about 1 MiB of text, like a CloudTrail file
file_text("warm-up", blob)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(40):
    text = file_text("f", blob)
    del text
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(__import__("platform").libc_ver()[0] != "glibc", reason="the malloc tuning applies to glibc only")
def test_worker_malloc_tuning_reuses_file_buffers_instead_of_faulting_them_in() -> None:
    """Each file's text must come from reused heap memory. Without the tuning, glibc trims the
    freed buffers and faults them in again: about 430 faults per file here (measured), which
    nearly doubled the cost of decompressing the benchmark corpus."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _FAULTS_CHILD], capture_output=True, text=True, check=True)
    assert int(out.stdout.strip()) < 40 * 50


def _gunzip(inflate: Any, data: bytes, limit: int) -> tuple[str, bytes | str]:
    from auditor.logs import parse

    try:
        return "ok", bytes(inflate(data, limit))
    except parse._TooLarge:
        return "too large", b""
    except zlib.error as exc:
        return "error", str(exc)


def test_isal_inflate_gives_zlibs_text_limits_and_errors_on_damaged_gzip() -> None:
    """decompress inflates with ISA-L first; on truncated, bit-flipped, multi-member and padded
    gzip it must give exactly what zlib alone gives (the text, the size limit, the error words)."""
    import random

    from auditor.logs import parse

    rng = random.Random(7)
    member = gzip.compress(bytes(rng.randrange(256) for _ in range(3000)) * 4)
    small = gzip.compress(b"{}")
    bodies = [member, member + small, member + b"\0\0\0", member + b"junk", small]
    cases = [b[:i] for b in bodies for i in range(0, len(b), 97)]
    for b in bodies:
        for _ in range(150):
            m = bytearray(b)
            m[rng.randrange(len(m))] ^= 1 << rng.randrange(8)
            cases.append(bytes(m))
    flags = bytearray(small)
    flags[3] |= 0x20  # a reserved FLG bit: ISA-L reads such a header, zlib rejects it
    cases.append(bytes(flags))

    def zlib_only(d: bytes, m: int) -> bytes | bytearray:
        return parse._inflate(zlib, d, m)

    for c in cases:
        for limit in (10**8, 5000):
            assert _gunzip(parse.decompress, c, limit) == _gunzip(zlib_only, c, limit)
    assert _gunzip(parse.decompress, bytes(flags), 10**8)[0] == "error"

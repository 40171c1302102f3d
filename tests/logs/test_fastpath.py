"""The two-tier reader (slim decode, full parse only where a rule could match) must
produce exactly the evidence document of the reference full-parse reader."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from auditor.logs import LogWindow, fastpath, prefilter, read_local, sigma
from auditor.logs.aggregate import Matcher, Params
from auditor.logs.fastpath import build_plan, necessary, read_fast, relax
from tests.logs.factory import ACCOUNT, FIXTURES, WIDE, event, write_records

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
SIGMA_RULES = FIXTURES / "sigma" / "rules"


def _both(path: Path, window: LogWindow = WIDE, rules_dir: Path | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    fast = read_local(path, window, rules_dir=rules_dir, workers=1, fast=True)
    ref = read_local(path, window, rules_dir=rules_dir, workers=1, fast=False)
    return fast, ref


@pytest.mark.parametrize("area", ["invictus", "stratus", "otrf", "forwarder", "malformed", "eventbridge"])
def test_fast_reader_gives_the_reference_document_on_every_fixture(area: str) -> None:
    fast, ref = _both(FIXTURES / area)
    assert fast == ref
    assert fast["events_read"] + fast["events_outside_window"] + len(fast["file_problems"]) > 0


def test_fast_reader_gives_the_reference_document_with_the_sigma_rules() -> None:
    fast, ref = _both(FIXTURES / "stratus", rules_dir=SIGMA_RULES)
    assert fast == ref
    assert fast["sigma"]["matches"], "the comparison must cover Sigma matches"


def test_fast_reader_gives_the_reference_document_on_a_narrow_window() -> None:
    window = LogWindow(datetime(2020, 9, 14, tzinfo=UTC), datetime(2020, 9, 14, 1, 30, tzinfo=UTC))
    fast, ref = _both(FIXTURES / "otrf", window)
    assert fast == ref


def test_fast_path_really_reads_plain_cloudtrail_files() -> None:
    """Without this, equivalence could hold because every file fell back to the reference."""
    matcher = Matcher()
    plan = build_plan(matcher, ())
    params = Params(since="2000-01-01T00:00:00Z", until="2100-01-01T00:00:00Z")
    used = 0
    for f in sorted((FIXTURES / "invictus" / "CloudTrail").glob("*.json")):
        part = read_fast(str(f), f.read_bytes(), params, matcher, plan)
        used += part is not None
    assert used == 55


def _mixed_events() -> list[dict[str, Any]]:
    """Every branch of the event pass: writes past the sample cap, errors, logins, root, odd values."""
    evs: list[dict[str, Any]] = []
    for i in range(260):  # > 2 * 50 write samples per scope: exercises trimming and the cutoff
        evs.append(event("RunInstances", T0 + timedelta(seconds=i * 7), eventID=f"w{i:04d}"))
    for i in range(40):
        evs.append(event("DescribeInstances", T0 + timedelta(minutes=i), read_only=True))
        evs.append(event("GetObject", T0 + timedelta(minutes=i), read_only=None, source="s3.amazonaws.com"))
        evs.append(event("CreateTags", T0 + timedelta(minutes=i), read_only=None))  # verb decides
    evs.append(event("PutObject", T0, readOnly="false", source="s3.amazonaws.com"))
    evs.append(event("PutObject", T0, readOnly={"odd": 1}, source="s3.amazonaws.com"))
    evs.append(event("RunInstances", T0, eventType="AwsServiceEvent"))
    for code in ("AccessDenied", "Client.UnauthorizedOperation", "NoSuchKey", "", 0):
        evs.append(event("DescribeVolumes", T0 + timedelta(minutes=3), read_only=True, errorCode=code))
    evs.append(event("HeadBucket", T0, read_only=True, errorCode="AccessDenied", source="s3.amazonaws.com"))
    fail = {"ConsoleLogin": "Failure"}
    ok = {"ConsoleLogin": "Success"}
    for i in range(12):
        when = T0 + timedelta(seconds=i)
        evs.append(event("ConsoleLogin", when, source="signin.amazonaws.com", responseElements=fail))
    evs.append(
        event(
            "ConsoleLogin",
            T0,
            source="signin.amazonaws.com",
            responseElements=ok,
            additionalEventData={"MFAUsed": "No"},
        )
    )
    root = event("ListBuckets", T0, read_only=True, source="s3.amazonaws.com")
    root["userIdentity"] = {"type": "Root", "arn": f"arn:aws:iam::{ACCOUNT}:root", "accountId": ACCOUNT}
    evs.append(root)
    evs.append(event("StopLogging", T0, source="cloudtrail.amazonaws.com"))
    evs.append(event("PutBucketPolicy", T0, source="s3.amazonaws.com", requestParameters={"bucketName": "logs"}))
    nobody = event("CreateVpc", T0)
    nobody["userIdentity"] = None
    del nobody["recipientAccountId"]
    evs.append(nobody)
    unscoped = event("CreateTags", T0, awsRegion="")
    unscoped["recipientAccountId"] = 123
    evs.append(unscoped)
    evs.append(event("CreateTags", T0, userAgent={"nested": ["x"]}, sourceIPAddress=None, eventID=7))
    evs.append(event("CreateTags", T0, userAgent="Grüße ☃ 日本"))
    evs.append(event("CreateTags", T0 - timedelta(days=3650)))  # outside the window below
    return evs


def test_files_the_fast_path_declines_give_the_reference_document_on_every_event_branch(tmp_path: Path) -> None:
    """Two of the mixed records (a dict readOnly, a numeric recipientAccountId) make the slim decode
    decline each file, so this holds the fallback to the reference reader; the grouping test below
    holds the fast path itself."""
    evs = _mixed_events()
    plan = build_plan(Matcher(), ())
    params = Params(since="2000-01-01T00:00:00Z", until="2100-01-01T00:00:00Z")
    assert read_fast("a.json.gz", json.dumps({"Records": evs}).encode(), params, Matcher(), plan) is None
    name = f"{ACCOUNT}_CloudTrail_us-east-1_20261102T0805Z_abc.json.gz"
    write_records(tmp_path / "a" / name, evs)
    write_records(tmp_path / "b" / name.replace("abc", "def"), list(reversed(evs)))
    write_records(tmp_path / "c" / "plain.json", evs[:50], gz=False)
    window = LogWindow(T0 - timedelta(days=30), T0 + timedelta(days=1))
    fast, ref = _both(tmp_path, window)
    assert fast == ref
    assert fast["console_login_failures"] and fast["access_denied"] and fast["rules"]
    assert fast["events_outside_window"] == 2


@pytest.mark.parametrize("hours", [1, 3])
def test_whole_file_grouping_gives_the_reference_document_on_every_event_branch(tmp_path: Path, hours: int) -> None:
    """Every branch again, in files the C-loop grouping reads (all in the window, no null userIdentity,
    no value the slim decode declines), within one hour and across several."""
    evs = [
        e
        for e in _mixed_events()
        if e.get("userIdentity") is not None
        and e["eventTime"] >= "2026"
        and not isinstance(e.get("readOnly"), dict)
        and isinstance(e.get("recipientAccountId"), str)
    ]
    evs += [event("RunInstances", T0 + timedelta(hours=h, minutes=5), eventID=f"h{h}") for h in range(1, hours)]
    name = f"{ACCOUNT}_CloudTrail_us-east-1_20261102T0805Z_abc.json.gz"
    write_records(tmp_path / "a" / name, evs)
    write_records(tmp_path / "b" / name.replace("abc", "def"), list(reversed(evs)))
    fast, ref = _both(tmp_path)
    assert fast == ref
    assert fast["console_login_failures"] and fast["access_denied"] and fast["rules"]
    plan = build_plan(Matcher(), ())
    params = Params(since="2000-01-01T00:00:00Z", until="2100-01-01T00:00:00Z")
    assert read_fast(name, json.dumps({"Records": evs}).encode(), params, Matcher(), plan) is not None
    recs = fastpath._SLIM.decode(json.dumps({"Records": evs}).encode()).Records
    assert fastpath._by_columns(recs, build_plan(Matcher(), ()), []) is not None, "the C-loop grouping must be used"


@pytest.mark.parametrize(
    "body",
    [
        b'{"Records": [{"eventTime": "2026-11-02T08:00:00Z", "eventName": "X", "eventSource": "y", "z": "\xff"}]}',
        b'{"Records": [{"eventName": "X", "eventSource": "y"}]}',
        b'{"Records": [{"eventTime": 5, "eventName": "X", "eventSource": "y"}]}',
        b'{"Records": ["text", {"eventTime": "2026-11-02T08:00:00Z", "eventName": "X", "eventSource": "y"}]}',
        b'{"Records": [{"eventTime": "2026-11-02T08:00:00Z", "eventName": "X", "eventSource": "y",'
        b' "userIdentity": "root"}]}',
        b'{"Records": [{"eventTime": "2026-11-02T08:00:00Z", "eventName": "X", "eventSource": "y",'
        b' "userIdentity": {"type": ["Root"]}}]}',
        b'{"Records": [{"eventName": "X", "eventSource": "y", "@timestamp": "2026-11-02T08:00:00.123Z",'
        b' "http": {"useragent": "ua"}}]}',
        b'{"Records": [{"eventTime": "2026-11-02T08:00:00Z", "eventName": "X", "eventSource": "y", "\\u0065vt": {}}]}',
        # a record parsed in full that orjson rejects: the whole file goes to the reference path
        b'{"Records": [{"eventTime": "2026-11-02T08:00:00Z", "eventName": "PutBucketPolicy", "eventSource": "y",'
        b' "z": 1e400}]}',
        b'{"Records": {"eventTime": "x"}}',
        b'{"Type": "Notification", "Message": "{}"}',
        b'[{"eventTime": "2026-11-02T08:00:00Z", "eventName": "X", "eventSource": "y"}]',
        b'{"eventTime": "2026-11-02T08:00:00Z", "eventName": "X", "eventSource": "y"}\n'
        b'{"eventTime": "2026-11-02T08:00:01Z", "eventName": "X", "eventSource": "y"}\n',
        b'{"Records": [',
        b"",
        # times CloudTrail never writes: malformed records, reported the same way by both paths
        b'{"Records": [{"eventTime": "not-a-date", "eventName": "StopLogging", "eventSource": "c.amazonaws.com"},'
        b' {"eventTime": "2026-11-02T08:00:00Z", "eventName": "X", "eventSource": "y"}]}',
        b'{"Records": [{"eventTime": "2026-13-45T00:00:00Z", "eventName": "X", "eventSource": "y"}]}',
        b'{"Records": [{"eventTime": "", "eventName": "X", "eventSource": "y"}]}',
        # a key string past the clip bound: the fast path declines, the reference clips
        b'{"Records": [{"eventTime": "2026-11-02T08:00:00Z", "eventName": "' + b"N" * 5000 + b'", "eventSource": "y",'
        b' "awsRegion": "r", "recipientAccountId": "1"}]}',
    ],
)
def test_hostile_files_are_reported_as_the_reference_reports_them(tmp_path: Path, body: bytes) -> None:
    (tmp_path / "x.json").write_bytes(body)
    (tmp_path / "x.json.gz").write_bytes(gzip.compress(body))
    (tmp_path / "trunc.json.gz").write_bytes(gzip.compress(body)[:-6])
    fast, ref = _both(tmp_path)
    assert fast == ref


def test_sigma_rules_without_an_event_name_still_match_on_the_fast_path(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "ua.yml").write_text(
        "title: Tool user agent\nid: 11111111-1111-1111-1111-111111111111\nstatus: test\n"
        "logsource: {product: aws, service: cloudtrail}\n"
        "detection:\n  sel:\n    userAgent|contains: TruffleHog\n  condition: sel\nlevel: high\n"
    )
    (rules / "deep.yml").write_text(
        "title: Session issuer\nid: 22222222-2222-2222-2222-222222222222\nstatus: test\n"
        "logsource: {product: aws, service: cloudtrail}\n"
        "detection:\n  sel:\n    userIdentity.sessionContext.sessionIssuer.type: Role\n  condition: sel\nlevel: low\n"
    )
    specs, _ = sigma.load_rules(rules)
    plan = build_plan(Matcher(specs), specs)
    assert plan.all_full, "a rule on a field the slim record lacks must force the full parse"
    ua_specs = [s for s in specs if s.title == "Tool user agent"]
    assert not build_plan(Matcher(ua_specs), ua_specs).all_full
    evs = [
        event("CreateTags", T0 + timedelta(seconds=i), userAgent="trufflehog/3.1" if i % 3 else "cli") for i in range(9)
    ]
    write_records(tmp_path / "logs" / "f.json.gz", evs)
    (rules / "deep.yml").unlink()
    fast, ref = _both(tmp_path / "logs", rules_dir=rules)
    assert fast == ref
    assert sum(m["total"] for m in fast["sigma"]["matches"]) == 6


def test_necessary_conditions_keep_the_narrowest_constraint() -> None:
    source = ("eq", ("eventSource",), "ec2.amazonaws.com", False)
    node = ("and", (source, ("eq", ("eventName",), "RunInstances", False)))
    assert necessary(node) == frozenset({(("eventName",), "runinstances")})
    either = ("or", (node, ("eq", ("userIdentity", "type"), "Root", True)))
    assert necessary(either) == frozenset({(("eventName",), "runinstances"), (("userIdentity", "type"), "root")})
    assert necessary(("or", (node, ("eq", ("userAgent",), "x", False)))) is None
    assert necessary(("not", ("eq", ("eventName",), "X", False))) is None


def test_relaxing_drops_conditions_the_slim_record_cannot_judge() -> None:
    deep = ("eq", ("requestParameters", "bucketName"), "b", False)
    ua = ("eq", ("userAgent",), "x", False)
    assert relax(("and", (deep, ua))) == ua
    assert relax(("or", (deep, ua))) is None
    assert relax(("not", ("or", (deep, ua)))) is None
    assert relax(("exists", ("userAgent",), True)) is None  # absent and null look alike
    assert relax(("not", ua)) == ("not", ua)


def test_documents_are_identical_after_json_round_trip(tmp_path: Path) -> None:
    """The fast path must not leak non-JSON values (msgspec types) into the document."""
    write_records(tmp_path / "f.json.gz", _mixed_events())
    fast, _ref = _both(tmp_path)
    assert json.loads(json.dumps(fast)) == fast


def test_worker_processes_give_the_reference_document() -> None:
    fast = read_local(FIXTURES / "invictus", WIDE, workers=2, fast=True)
    ref = read_local(FIXTURES / "invictus", WIDE, workers=1, fast=False)
    assert fast == ref


def test_trimmed_partials_merge_to_the_earliest_samples_whatever_the_order() -> None:
    """Workers trim their buckets and the parent skips samples past its cutoff: same earliest 50."""
    import random

    from auditor.logs.aggregate import Bucket, Partial

    rng = random.Random(7)
    samples = [
        {"eventTime": f"2026-11-02T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00Z", "eventID": f"{i:05d}"}
        for i in range(900)
    ]
    expected = sorted(samples, key=lambda s: (s["eventTime"], s["eventID"]))[:50]
    for _ in range(5):
        rng.shuffle(samples)
        parts = []
        for k in range(0, len(samples), 70):
            p = Partial()
            b = p.writes[("a", "r")] = Bucket()
            for s in samples[k : k + 70]:
                b.add(s)
            parts.append(p.trim())
        merged = Partial()
        for p in parts:
            merged.merge(p)
        b = merged.writes[("a", "r")]
        assert b.total == 900
        assert sorted(b.events, key=lambda s: (s["eventTime"], s["eventID"]))[:50] == expected


def test_known_difference_a_skipped_field_orjson_refuses_does_not_lose_the_file(tmp_path: Path) -> None:
    """Documented in auditor.logs.fastpath: valid JSON that orjson refuses only in a field the
    slim decode skips (here a number beyond a double) is read, where the reference reports it."""
    body = (
        b'{"Records": [{"eventTime": "2026-11-02T08:00:00Z", "eventName": "CreateTags", "eventSource": "y",'
        b' "recipientAccountId": "111122223333", "awsRegion": "us-east-1", "z": 1e400}]}'
    )
    (tmp_path / "x.json").write_bytes(body)
    fast, ref = _both(tmp_path)
    assert fast["events_read"] == 1 and fast["file_problems"] == []
    assert ref["events_read"] == 0 and "invalid JSON" in ref["file_problems"][0]["reason"]


def test_rules_on_event_name_and_source_alone_are_judged_on_the_slim_record(tmp_path: Path) -> None:
    plan = build_plan(Matcher(), ())
    assert "CreateVpc" in plan.slim_rules and "StopLogging" in plan.slim_rules
    assert "PutBucketPolicy" not in plan.slim_rules  # reads requestParameters.bucketName
    evs = [
        event("StopLogging", T0, source="cloudtrail.amazonaws.com"),
        event("StopLogging", T0 + timedelta(seconds=1), source="elsewhere.amazonaws.com"),  # pattern fails
        event("StopLogging", T0 + timedelta(seconds=2), source="cloudtrail.amazonaws.com", errorCode="AccessDenied"),
        event("CreateVpc", T0 + timedelta(seconds=3)),
        event("AuthorizeSecurityGroupIngress", T0 + timedelta(seconds=4), read_only=None),
    ]
    write_records(tmp_path / "f.json.gz", evs)
    fast, ref = _both(tmp_path)
    assert fast == ref
    totals = {r["rule_id"]: r["total"] for r in fast["rules"]}
    assert totals == {"trail-tampering": 2, "cis-4.14": 1, "cis-4.10": 1}


@pytest.mark.parametrize("order", ["in time order", "shuffled"])
def test_a_batch_of_files_gives_the_reference_partial_when_earlier_files_filled_the_samples(
    tmp_path: Path, order: str
) -> None:
    """A worker's batch tells the fast path which buckets already hold their earliest samples
    (reader.run_batch): the batch's partial must be the reference one, ties at the cutoff included."""
    import random

    from auditor.logs import reader

    rng = random.Random(11)
    paths = []
    for k in range(12):
        base = T0 + timedelta(seconds=k // 4)  # files overlapping in time, as files of several trails do
        evs = [  # what the fast path reads (as in the grouping test above)
            e
            for e in _mixed_events()
            if e.get("userIdentity") is not None
            and e["eventTime"] >= "2026"
            and not isinstance(e.get("readOnly"), dict)
            and isinstance(e.get("recipientAccountId"), str)
        ]
        for e in evs:  # the same few instants in every file: ties on eventTime across files
            e["eventTime"] = (base + timedelta(seconds=rng.randrange(3))).strftime("%Y-%m-%dT%H:%M:%SZ")
            e["eventID"] = f"{rng.getrandbits(32):08x}"
        name = f"{ACCOUNT}_CloudTrail_us-east-1_{base:%Y%m%dT%H%MZ}_{k:03d}.json.gz"
        paths.append(str(write_records(tmp_path / name, evs)))
    if order == "shuffled":
        rng.shuffle(paths)
    params = Params(since="2000-01-01T00:00:00Z", until="2100-01-01T00:00:00Z")
    fast_cfg = reader.WorkerConfig(params)
    ref_cfg = reader.WorkerConfig(params, fast=False)
    fast = reader.run_batch([(reader.process_path, (p, fast_cfg)) for p in paths])
    ref = reader.run_batch([(reader.process_path, (p, ref_cfg)) for p in paths])
    assert fast == ref
    assert fast.writes and fast.rules and fast.denied_samples and fast.login_samples
    assert all(b.total > len(b.events) for b in fast.writes.values()), "the samples must have been capped"
    assert (
        reader.read_fast(
            paths[0], gzip.decompress(Path(paths[0]).read_bytes()), params, Matcher(), build_plan(Matcher(), ())
        )
        is not None
    )


def test_error_records_judged_on_their_sample_fields_give_the_reference_document(tmp_path: Path) -> None:
    """String errorCodes in groups no rule needs whole are judged on the record's sample fields
    (Plan.slim_errors): absent, null and odd values of the fields the access-denied pattern and
    the principal read must count as in the reference."""
    assert build_plan(Matcher(), ()).slim_errors
    sample_fields = {p[0] for p in prefilter.SAMPLE_TOP} | {"userIdentity"}
    assert set(fastpath.SampleRecord.__struct_fields__) == sample_fields
    evs: list[dict[str, Any]] = []
    for i, code in enumerate(("AccessDenied", "Client.UnauthorizedOperation", "AccessDeniedException", "NoSuchKey")):
        when = T0 + timedelta(seconds=i)
        evs.append(event("DescribeVolumes", when, read_only=True, errorCode=code))
        evs.append(event("RunInstances", when, errorCode=code, sourceIPAddress="delivery.logs.amazonaws.com"))
        evs.append(event("HeadBucket", when, read_only=True, source="s3.amazonaws.com", errorCode=code))
        evs.append(event("CreateVpc", when, errorCode=code, sourceIPAddress=None))  # a rule on the slim record
        evs.append(event("CreateTags", when, errorCode=code, sourceIPAddress={"nested": [1]}))
        gone = event("CreateTags", when, errorCode=code)
        del gone["sourceIPAddress"], gone["userIdentity"]["arn"]
        evs.append(gone)
        nameless = event("GetObject", when, read_only=None, source="s3.amazonaws.com", errorCode=code)
        nameless["userIdentity"] = {"type": "AWSService"}
        evs.append(nameless)
        evs.append(event("PutBucketPolicy", when, source="s3.amazonaws.com", errorCode=code))  # parsed in full
        evs.append(event("CreateTags", when, errorCode=5))  # not a string: parsed in full
    for i in range(60):  # past the principal's sample cap
        evs.append(event("DescribeVolumes", T0 + timedelta(seconds=i), read_only=True, errorCode="AccessDenied"))
    for i, e in enumerate(evs):  # distinct, as CloudTrail's are: samples are ordered by (eventTime, eventID)
        e["eventID"] = f"id-{i:04d}"
    name = f"{ACCOUNT}_CloudTrail_us-east-1_20261102T0805Z_abc.json.gz"
    write_records(tmp_path / "a" / name, evs)
    write_records(tmp_path / "b" / name.replace("abc", "def"), list(reversed(evs)))
    fast, ref = _both(tmp_path)
    assert fast == ref
    assert fast["access_denied"] and fast["rules"]
    params = Params(since="2000-01-01T00:00:00Z", until="2100-01-01T00:00:00Z")
    body = json.dumps({"Records": evs}).encode()
    assert read_fast(name, body, params, Matcher(), build_plan(Matcher(), ())) is not None
    narrow = Params(since="2026-11-02T08:00:02Z", until="2100-01-01T00:00:00Z")  # the record-by-record grouping
    part = read_fast(name, body, narrow, Matcher(), build_plan(Matcher(), ()))
    assert part is not None and part.events_outside_window > 0
    fast, ref = _both(tmp_path, LogWindow(T0 + timedelta(seconds=2), T0 + timedelta(days=1)))
    assert fast == ref


def test_merged_buckets_keep_the_earliest_samples_in_the_order_of_one_stable_sort() -> None:
    """Bucket.merge sorts only once a bucket fills: what a reader gets (keep_earliest) must be the
    stable sort of every sample in merge order, ties on (eventTime, eventID) included."""
    import random

    from auditor.logs.aggregate import Bucket, keep_earliest

    rng = random.Random(3)
    for limit in (3, 10, 50):
        samples = [
            {"eventTime": f"2026-11-02T08:00:0{rng.randrange(4)}Z", "eventID": f"{rng.randrange(3)}", "n": i}
            for i in range(200)
        ]
        merged = Bucket()
        k = 0
        while k < len(samples):
            step = rng.randrange(1, 8)
            merged.merge(Bucket(total=step, events=list(samples[k : k + step])), limit)
            k += step
        assert keep_earliest(merged.events, limit) == keep_earliest(list(samples), limit)


@pytest.mark.parametrize("day", ["2026-02-30", "2026-04-31", "2025-02-29", "0000-01-01"])
def test_a_file_of_one_day_that_does_not_exist_is_malformed_on_both_paths(tmp_path: Path, day: str) -> None:
    """The time check looks at one day when a file's earliest and latest times share it: that day is still checked."""
    evs = [event("RunInstances", T0, eventTime=f"{day}T08:0{i}:00Z", eventID=f"e{i}") for i in range(3)]
    write_records(tmp_path / f"{ACCOUNT}_CloudTrail_us-east-1_20261102T0805Z_abc.json.gz", evs)
    fast, ref = _both(tmp_path)
    assert fast == ref
    assert fast["events_malformed"] == 3 and fast["events_read"] == 0

"""Sigma correlation rules judged over the window, and placeholders from a processing pipeline (issue 14)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from auditor.engine.checkapi import Settings, Status
from auditor.engine.registry import all_checks
from auditor.engine.runner import run_check
from auditor.logs import read_local
from auditor.logs import sigma as sigma_mod
from auditor.logs.sigma import evaluate, load_ruleset
from auditor.logs.sql.duckdb_engine import read_local as duck_read
from auditor.model.snapshot import Snapshot
from tests.logs.factory import FIXTURES, WIDE, event, write_records
from tests.logs.test_reader import SCHEMA

T = datetime(2026, 1, 5, 10, tzinfo=UTC)


def _login_rule(title: str, number: int, name: str, outcome: str) -> str:
    """A base rule matching console logins whose outcome is ``outcome``."""
    return f"""title: {title}
id: 44444444-0000-0000-0000-00000000000{number}
name: {name}
logsource: {{product: aws, service: cloudtrail}}
detection:
  sel:
    eventName: ConsoleLogin
    responseElements.ConsoleLogin: {outcome}
  condition: sel
level: low
"""


BASE = (
    _login_rule("console login failed", 1, "login_failed", "Failure")
    + "---\n"
    + _login_rule("console login succeeded", 2, "login_ok", "Success")
)
BURST = """title: console login brute force
id: 44444444-0000-0000-0000-00000000000a
correlation:
  type: event_count
  rules: [login_failed]
  group-by: [sourceIPAddress]
  timespan: 10m
  condition: {gte: 5}
level: high
"""
SPRAY = """title: password spray
id: 44444444-0000-0000-0000-00000000000b
correlation:
  type: value_count
  rules: [login_failed]
  group-by: [sourceIPAddress]
  timespan: 1h
  condition: {gte: 3, field: userIdentity.userName}
level: high
"""
THEN_OK = """title: failures then a success
id: 44444444-0000-0000-0000-00000000000c
correlation:
  type: {kind}
  rules: [login_failed, login_ok]
  group-by: [sourceIPAddress]
  timespan: 10m
level: critical
"""
IDS = {
    "burst": "44444444-0000-0000-0000-00000000000a",
    "spray": "44444444-0000-0000-0000-00000000000b",
    "then": "44444444-0000-0000-0000-00000000000c",
}


def _login(when: datetime, ok: bool, ip: str = "203.0.113.9", user: str = "alice") -> dict[str, Any]:
    return event(
        "ConsoleLogin",
        when,
        source="signin.amazonaws.com",
        user=user,
        sourceIPAddress=ip,
        responseElements={"ConsoleLogin": "Success" if ok else "Failure"},
    )


def _rules(tmp: Path, *docs: str) -> Path:
    d = tmp / "rules"
    d.mkdir(exist_ok=True)
    (d / "base.yml").write_text(BASE)
    for i, doc in enumerate(docs):
        (d / f"corr{i}.yml").write_text(doc)
    return d


def _read(tmp: Path, rules: Path, files: list[list[dict[str, Any]]], workers: int = 1) -> dict[str, Any]:
    logs = tmp / "logs"
    for i, evs in enumerate(files):
        write_records(logs / f"111111111111_CloudTrail_us-east-1_20260105T10{i:02d}Z_{i}.json.gz", evs)
    return read_local(logs, WIDE, rules_dir=rules, workers=workers)


def _hits(doc: dict[str, Any], rid: str) -> list[dict[str, Any]]:
    return [m for m in doc["sigma"]["matches"] if m["rule_id"] == rid]


def test_event_count_fires_on_a_burst_within_the_timespan_per_group(tmp_path: Path) -> None:
    rules = _rules(tmp_path, BURST)
    burst = [_login(T + timedelta(minutes=i), False) for i in range(5)]
    slow = [_login(T + timedelta(minutes=3 * i), False, ip="198.51.100.1") for i in range(5)]  # 12 minutes
    few = [_login(T + timedelta(seconds=i), False, ip="192.0.2.1") for i in range(4)]
    # the burst's events lie in two files, read by two workers: the window spans files
    doc = _read(tmp_path, rules, [burst[:2] + slow, burst[2:] + few], workers=2)
    [m] = _hits(doc, IDS["burst"])
    assert (m["title"], m["level"], m["total"]) == ("console login brute force", "high", 1)
    [group] = m["correlation"]["groups"]
    assert group["group"] == {"sourceIPAddress": "203.0.113.9"} and group["count"] == 5
    assert (group["window_start"], group["window_end"]) == ("2026-01-05T10:00:00Z", "2026-01-05T10:04:00Z")
    assert [e["sourceIPAddress"] for e in m["events"]] == ["203.0.113.9"] * 5
    # generate: false (the default): the base rule is not reported on its own
    assert _hits(doc, "44444444-0000-0000-0000-000000000001") == []


def test_event_count_window_is_half_open(tmp_path: Path) -> None:
    rules = _rules(tmp_path, BURST)
    evs = [_login(T + timedelta(minutes=m), False) for m in (0, 2.5, 5, 7.5, 10)]  # the fifth is at +10m exactly
    assert _hits(_read(tmp_path, rules, [evs]), IDS["burst"]) == []


def test_value_count_counts_distinct_users_from_one_address(tmp_path: Path) -> None:
    rules = _rules(tmp_path, SPRAY)
    spray = [_login(T + timedelta(minutes=i), False, user=u) for i, u in enumerate(["a", "b", "a", "c"])]
    same = [_login(T + timedelta(minutes=i), False, ip="198.51.100.1", user="a") for i in range(6)]
    [m] = _hits(_read(tmp_path, rules, [spray + same]), IDS["spray"])
    [group] = m["correlation"]["groups"]
    assert group["group"] == {"sourceIPAddress": "203.0.113.9"} and group["count"] == 3


@pytest.mark.parametrize("kind", ["temporal", "temporal_ordered"])
def test_temporal_needs_both_rules_from_the_same_address(tmp_path: Path, kind: str) -> None:
    rules = _rules(tmp_path, THEN_OK.replace("{kind}", kind))
    evs = [
        _login(T, False),
        _login(T + timedelta(minutes=2), True),  # failure then success: fires
        _login(T, False, ip="198.51.100.1"),
        _login(T + timedelta(minutes=1), True, ip="192.0.2.1"),  # two IPs
        _login(T, True, ip="192.0.2.77"),
        _login(T + timedelta(minutes=1), False, ip="192.0.2.77"),  # reversed
        _login(T, False, ip="192.0.2.88"),
        _login(T + timedelta(minutes=11), True, ip="192.0.2.88"),  # too late
    ]
    [m] = _hits(_read(tmp_path, rules, [evs]), IDS["then"])
    groups = sorted(g["group"]["sourceIPAddress"] for g in m["correlation"]["groups"])
    # temporal ignores order (success then failure counts too); temporal_ordered does not
    assert groups == (["192.0.2.77", "203.0.113.9"] if kind == "temporal" else ["203.0.113.9"])


def test_generate_true_keeps_the_base_rules_reported(tmp_path: Path) -> None:
    rules = _rules(
        tmp_path,
        BURST.replace("level: high", "level: high\n  generate: true").replace(
            "  condition: {gte: 5}\nlevel: high\n  generate: true",
            "  condition: {gte: 5}\n  generate: true\nlevel: high",
        ),
    )
    doc = _read(tmp_path, rules, [[_login(T, False)]])
    assert [m["total"] for m in _hits(doc, "44444444-0000-0000-0000-000000000001")] == [1]


UNSUPPORTED = {
    "value_sum": (
        "type: value_sum\n  rules: [login_failed]\n  group-by: [sourceIPAddress]\n  timespan: 1h\n"
        "  condition: {gte: 3, field: additionalEventData.bytes}",
        "correlation type value_sum",
    ),
    "missing": (
        "type: event_count\n  rules: [nowhere]\n  group-by: [sourceIPAddress]\n  timespan: 1h\n  condition: {gte: 3}",
        "referenced rule 'nowhere'",
    ),
    "chain": (
        "type: event_count\n  rules: [44444444-0000-0000-0000-00000000000a]\n  group-by: [sourceIPAddress]\n"
        "  timespan: 1h\n  condition: {gte: 2}",
        "referenced rule '44444444-0000-0000-0000-00000000000a'",
    ),
    "field": (
        "type: event_count\n  rules: [login_failed]\n  group-by: [src_ip]\n  timespan: 1h\n  condition: {gte: 3}",
        "field 'src_ip' is not a CloudTrail record field",
    ),
}


@pytest.mark.parametrize("case", sorted(UNSUPPORTED))
def test_what_cannot_be_evaluated_is_reported_with_its_reason(tmp_path: Path, case: str) -> None:
    body, reason = UNSUPPORTED[case]
    rules = _rules(tmp_path, BURST, f"title: u\nid: 55555555-0000-0000-0000-000000000001\ncorrelation:\n  {body}\n")
    rs = load_ruleset(rules)
    assert [c.id for c in rs.correlations] == [IDS["burst"]]
    [u] = rs.unsupported
    assert u.id == "55555555-0000-0000-0000-000000000001" and reason in u.reason, u.reason


@pytest.mark.parametrize("kind", ["temporal", "temporal_ordered"])
def test_the_sql_engine_gives_the_stream_s_correlation_matches(tmp_path: Path, kind: str) -> None:
    rules = _rules(tmp_path, BURST, SPRAY, THEN_OK.replace("{kind}", kind))
    evs = [_login(T + timedelta(minutes=i), False, user=str(i)) for i in range(6)]
    evs += [
        _login(T + timedelta(minutes=7), True),
        _login(T, True, ip="192.0.2.77"),
        _login(T + timedelta(minutes=1), False, ip="192.0.2.77"),
    ]
    evs += [_login(T + timedelta(minutes=i), False, ip="198.51.100.1", user="a") for i in range(6)]
    for i, e in enumerate(evs):
        e["eventID"] = f"ev-{i:02d}"
    stream = _read(tmp_path, rules, [evs[:8], evs[8:]])
    duck = duck_read(tmp_path / "logs", "2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z", rules_dir=rules)
    assert {m["rule_id"] for m in stream["sigma"]["matches"]} == {IDS["burst"], IDS["spray"], IDS["then"]}
    assert duck["sigma"]["matches"] == stream["sigma"]["matches"]
    assert duck["sigma"]["correlations"] == stream["sigma"]["correlations"]
    assert duck["sigma"]["unsupported"] == stream["sigma"]["unsupported"] == []


def test_the_sql_engine_refuses_a_correlation_field_the_table_cannot_hold(tmp_path: Path) -> None:
    rules = _rules(tmp_path, BURST.replace("[sourceIPAddress]", "[sessionCredentialFromConsole]"))
    duck = duck_read(tmp_path, "2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z", rules_dir=rules)
    [u] = duck["sigma"]["unsupported"]
    assert u["id"] == IDS["burst"]
    assert u["reason"].startswith("SQL engine: correlation field sessionCredentialFromConsole")


CHECK = next(c for c in all_checks() if c.meta.id == "logs-sigma-matches")


def _check(doc: dict[str, Any]) -> list[Any]:
    snap = Snapshot(collected_at="2026-11-20T00:00:00Z", tool_version="t", log_evidence=doc)
    return run_check(snap, CHECK, Settings())


def test_a_firing_correlation_is_a_fail_finding(tmp_path: Path) -> None:
    rules = _rules(tmp_path, BURST)
    doc = _read(tmp_path, rules, [[_login(T + timedelta(minutes=i), False) for i in range(6)]])
    jsonschema.validate(doc, SCHEMA)
    [fail] = [r for r in _check(doc) if r.status is Status.FAIL]
    assert fail.resource_id == f"sigma:{IDS['burst']}" and "console login brute force" in fail.message
    assert fail.evidence["correlation"]["groups"][0]["count"] == 6


def test_past_the_bound_a_correlation_is_an_error_not_a_partial_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sigma_mod, "MAX_CORRELATION_EVENTS", 3)
    rules = _rules(tmp_path, BURST)
    doc = _read(tmp_path, rules, [[_login(T + timedelta(minutes=i), False) for i in range(6)]])
    assert _hits(doc, IDS["burst"]) == []
    [p] = [p for p in doc["file_problems"] if p["path"] == f"sigma correlation {IDS['burst']}"]
    assert p["kind"] == "unreadable" and "3 base-rule matches over the bound of 3" in p["reason"]
    assert {r.status for r in _check(doc)} == {Status.ERROR}


PLACEHOLDER = FIXTURES / "sigma" / "rules-placeholder"
PIPELINE = """name: our sign-in places
vars:
  Legitimate_IP_Ranges: ['198.51.100.*', '203.0.113.7']
transformations:
  - id: ip_field
    type: field_name_mapping
    mapping:
      src_ip: sourceIPAddress
  - id: no_country_in_cloudtrail
    type: drop_detection_item
    field_name_conditions:
      - type: include_fields
        fields: [src_country]
"""


def test_placeholders_are_filled_from_a_pipeline_file_in_the_rules_folder(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(PLACEHOLDER, rules)
    rs = load_ruleset(rules)  # no pipeline: the placeholder has no value, said so
    [u] = rs.unsupported
    assert "Legitimate_Countries" in u.reason and "vars:" in u.reason
    (rules / "pipeline.yml").write_text(PIPELINE)
    rs = load_ruleset(rules)
    assert rs.unsupported == [] and rs.pipelines == ["pipeline.yml"]
    [spec] = rs.specs
    ok = _login(T, True, ip="198.51.100.20")
    assert not evaluate(spec.node, ok)  # a legitimate range
    assert not evaluate(spec.node, {**ok, "sourceIPAddress": "203.0.113.7"})
    assert evaluate(spec.node, {**ok, "sourceIPAddress": "192.0.2.1"})
    assert not evaluate(spec.node, _login(T, False, ip="192.0.2.1"))


def test_a_pipeline_may_not_run_commands_or_fetch_files(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(PLACEHOLDER, rules)
    (rules / "pipeline.yml").write_text(
        "vars: {}\ntransformations:\n  - type: command_placeholders\n    command: ['id']\n"
    )
    rs = load_ruleset(rules)
    reasons = sorted(u.reason for u in rs.unsupported)
    assert reasons[1] == "processing pipeline refused: transformations command_placeholders not allowed"


def test_merged_evidence_of_several_buckets_keeps_correlations(tmp_path: Path) -> None:
    from auditor.logs import merge_evidence

    rules = _rules(tmp_path, BURST)
    a = _read(tmp_path / "a", rules, [[_login(T + timedelta(minutes=i), False) for i in range(5)]])
    b = _read(tmp_path / "b", rules, [[_login(T + timedelta(minutes=i), False, ip="192.0.2.5") for i in range(5)]])
    m = merge_evidence([a, b])
    assert [c["id"] for c in m["sigma"]["correlations"]] == [IDS["burst"]]
    [hit] = _hits(m, IDS["burst"])
    assert hit["total"] == 2
    assert sorted(g["group"]["sourceIPAddress"] for g in hit["correlation"]["groups"]) == ["192.0.2.5", "203.0.113.9"]

"""The stream and the DuckDB engine give identical rule matches on every log fixture."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditor.logs import read_local as stream_read
from auditor.logs.sql.duckdb_engine import NOT_COMPUTED
from auditor.logs.sql.duckdb_engine import read_local as duck_read
from tests.logs.factory import FIXTURES, WIDE
from tests.logs.test_checks import LOG_CHECKS, logs_only, run

RULES_DIR = FIXTURES / "sigma" / "rules"
SINCE, UNTIL = "2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z"
CORPORA = ["invictus/CloudTrail", "stratus/detonation-logs", "otrf", "forwarder", "malformed", "eventbridge"]


def _matches(doc: dict[str, Any], part: str) -> dict[tuple[Any, ...], tuple[int, list[tuple[str, str]]]]:
    rows = doc["rules"] if part == "rules" else doc["sigma"]["matches"]
    return {
        (m["rule_id"], m["account_id"], m["region"], m.get("resource")): (
            m["total"],
            [(e["eventTime"], e["eventID"]) for e in m["events"]],
        )
        for m in rows
    }


@pytest.fixture(scope="module", params=CORPORA)
def both(request: pytest.FixtureRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    root: Path = FIXTURES / request.param
    return (
        stream_read(root, WIDE, rules_dir=RULES_DIR, workers=1),
        duck_read(root, SINCE, UNTIL, rules_dir=RULES_DIR),
    )


def test_builtin_rule_matches_are_identical(both: tuple[dict[str, Any], dict[str, Any]]) -> None:
    stream, duck = both
    assert _matches(duck, "rules") == _matches(stream, "rules")


def test_sigma_matches_are_identical(both: tuple[dict[str, Any], dict[str, Any]]) -> None:
    stream, duck = both
    assert _matches(duck, "sigma") == _matches(stream, "sigma")


def test_files_events_and_problems_are_the_stream_s(both: tuple[dict[str, Any], dict[str, Any]]) -> None:
    stream, duck = both
    for key in ("files_read", "events_read", "events_outside_window", "files_unreadable", "file_problems"):
        assert duck[key] == stream[key], key


def test_sigma_rules_sql_cannot_hold_are_reported_not_dropped(both: tuple[dict[str, Any], dict[str, Any]]) -> None:
    stream, duck = both
    evaluated = {r["id"] for r in duck["sigma"]["rules"]}
    refused = {u["id"]: u["reason"] for u in duck["sigma"]["unsupported"]}
    for r in stream["sigma"]["rules"]:
        assert r["id"] in evaluated or refused.get(r["id"], "").startswith("SQL engine: ")


def test_the_whole_evidence_document_is_the_stream_s(both: tuple[dict[str, Any], dict[str, Any]]) -> None:
    """Coverage, rates, denied calls, failed logins and samples too (Sigma rule lists aside)."""
    stream, duck = both
    assert duck["not_computed"] == list(NOT_COMPUTED) == []
    assert duck["incomplete_rules"] == []
    for key, value in stream.items():
        if key != "sigma":
            assert duck[key] == value, key
    assert duck["sigma"]["matches"] == stream["sigma"]["matches"]


@pytest.mark.parametrize("module", LOG_CHECKS)
def test_every_logs_check_gives_the_same_findings(both: tuple[dict[str, Any], dict[str, Any]], module: str) -> None:
    stream, duck = both
    if module == "logs_sigma_matches":
        return
    assert run(module, logs_only(duck)) == run(module, logs_only(stream))


def test_the_fixtures_exercise_matches() -> None:
    """Guard against a vacuous comparison: the corpora do hold rule and Sigma matches."""
    doc = duck_read(FIXTURES / "stratus" / "detonation-logs", SINCE, UNTIL, rules_dir=RULES_DIR)
    assert doc["rules"] and doc["sigma"]["matches"]

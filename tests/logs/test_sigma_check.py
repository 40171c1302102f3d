"""Sigma detections appear as findings under the rule's id and title."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from auditor.engine.checkapi import Settings, Status
from auditor.engine.registry import all_checks
from auditor.engine.runner import run_check
from auditor.logs import LogWindow, read_local
from auditor.model.snapshot import Snapshot

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "logs"
STRATUS = FIXTURES / "stratus" / "detonation-logs"
WINDOW = LogWindow(datetime(2015, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC))
CHECK = next(c for c in all_checks() if c.meta.id == "logs-sigma-matches")


def _run(rules: Path | None):  # type: ignore[no-untyped-def]
    doc = read_local(STRATUS, WINDOW, rules_dir=rules, workers=1)
    snap = Snapshot(collected_at="2026-11-20T00:00:00Z", tool_version="t", log_evidence=doc)
    return run_check(snap, CHECK, Settings())


def test_matched_rules_are_fail_findings_named_by_rule() -> None:
    results = _run(FIXTURES / "sigma")
    fails = [r for r in results if r.status is Status.FAIL]
    assert fails
    backdoor = [r for r in fails if "AWS IAM Backdoor Users Keys" in r.message]
    assert backdoor and backdoor[0].resource_id == "sigma:0a5177f4-6ca9-44c2-aacf-d3f3d8b6e4d2"
    assert backdoor[0].evidence["events"][0]["eventName"] == "CreateAccessKey"
    assert Status.PASS in {r.status for r in results} or len(fails) == len(results)


def test_without_rules_it_is_not_applicable() -> None:
    results = _run(None)
    assert {r.status for r in results} == {Status.NOT_APPLICABLE}
    assert "--rules" in results[0].message


def test_with_rules_unreadable_files_are_an_error_never_a_pass(tmp_path: Path) -> None:
    (tmp_path / "broken.json.gz").write_bytes(b"\x1f\x8b\x08\x00 not gzip at all")
    doc = read_local(tmp_path, WINDOW, rules_dir=FIXTURES / "sigma", workers=1)
    snap = Snapshot(collected_at="2026-11-20T00:00:00Z", tool_version="t", log_evidence=doc)
    statuses = {r.status for r in run_check(snap, CHECK, Settings())}
    assert statuses == {Status.ERROR}

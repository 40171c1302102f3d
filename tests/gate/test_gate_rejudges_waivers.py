"""Issue 17 item 4: the gate re-derives every waiver from the baseline it is given.

A results file from ``scan --baseline`` carries WAIVED findings; a gate with a
stricter baseline (or after the waivers expired) must judge them again as the
failures they were.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

from auditor.app.cli import main
from auditor.engine.checkapi import Severity, Status
from auditor.engine.results import Results
from auditor.engine.results_io import load_results
from auditor.gate.baseline import Baseline, Waiver
from auditor.gate.decision import apply_baseline
from tests.gate.builders import ACCOUNT, finding, results

TODAY = date(2026, 11, 23)
WAIVER = Waiver(
    check="bucket-versioning",
    reason="Object Lock covers it",
    owner="secops@example.com",
    expires=date(2026, 12, 31),
    account=ACCOUNT,
    resource="arn:aws:s3:::acme-*",
    origin="scan.yaml:5",
)


def _scanned_with_waiver() -> Results:
    """What ``scan --baseline scan.yaml`` writes: the FAIL already WAIVED."""
    raw = results([finding("bucket-versioning", Status.FAIL, Severity.CRITICAL)])
    return apply_baseline(raw, Baseline(path="scan.yaml", waivers=(WAIVER,)), today=TODAY).results


def test_waived_results_keep_the_status_the_waiver_replaced(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text(json.dumps(_scanned_with_waiver().to_dict()), encoding="utf-8")
    (f,) = load_results(path).findings
    assert f.status is Status.WAIVED and f.waived_status is Status.FAIL


def test_strict_baseline_fails_results_waived_by_another_baseline() -> None:
    out = apply_baseline(_scanned_with_waiver(), Baseline(path="strict.yaml"), today=TODAY)
    (f,) = out.results.findings
    assert f.status is Status.FAIL and f.waiver is None and f.severity is Severity.CRITICAL
    assert out.results.summary["by_status"]["FAIL"] == 1 and not out.applied_waivers


def test_expired_waiver_no_longer_covers_results_waived_at_scan_time() -> None:
    later = date(2027, 1, 15)
    out = apply_baseline(_scanned_with_waiver(), Baseline(path="scan.yaml", waivers=(WAIVER,)), today=later)
    assert out.results.findings[0].status is Status.FAIL
    assert out.expired_waivers == (WAIVER,)


def test_the_same_baseline_still_waives_in_the_gate() -> None:
    out = apply_baseline(_scanned_with_waiver(), Baseline(path="scan.yaml", waivers=(WAIVER,)), today=TODAY)
    assert out.results.findings[0].status is Status.WAIVED and len(out.applied_waivers) == 1
    assert not out.stale_waivers


def test_waived_without_a_recorded_status_is_judged_as_fail_with_its_severity() -> None:
    hand_made = replace(finding("bucket-versioning", Status.WAIVED, Severity.HIGH), waiver={"reason": "trust me"})
    for recorded in (None, Status.PASS, Status.WAIVED, Status.NOT_APPLICABLE):
        res = results([replace(hand_made, waived_status=recorded)])
        (f,) = apply_baseline(res, Baseline(path="strict.yaml"), today=TODAY).results.findings
        assert f.status is Status.FAIL and f.severity is Severity.HIGH, recorded


def test_gate_cli_fails_stale_waivers_from_the_scan(tmp_path: Path) -> None:
    res = tmp_path / "results.json"
    res.write_text(json.dumps(_scanned_with_waiver().to_dict()), encoding="utf-8")
    strict = tmp_path / "strict.yaml"
    strict.write_text("version: 1\nfail_on: high\n", encoding="utf-8")
    assert main(["gate", str(res), "--baseline", str(strict), "--quiet"]) == 1
    # A results file from before waived_status existed: the field is simply absent.
    doc = json.loads(res.read_text(encoding="utf-8"))
    del doc["findings"][0]["waived_status"]
    res.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["gate", str(res), "--baseline", str(strict), "--quiet"]) == 1

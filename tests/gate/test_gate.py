"""Gate outcomes: waivers with expiry, stale waivers, overrides, required checks, drift, exit codes."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from auditor.app.cli import main
from auditor.engine.checkapi import Severity, Status
from auditor.gate.baseline import Baseline, Waiver
from auditor.gate.decision import apply_baseline, diff
from tests.gate.builders import ACCOUNT, finding, results

TODAY = date(2026, 11, 23)


def _waiver(expires: date, resource: str = "arn:aws:s3:::acme-*", check: str = "bucket-versioning") -> Waiver:
    return Waiver(
        check=check,
        reason="Object Lock covers it",
        owner="secops@example.com",
        expires=expires,
        account=ACCOUNT,
        resource=resource,
        origin="b.yaml:7",
    )


def test_active_waiver_turns_fail_into_waived_and_control_passes() -> None:
    res = results([finding("bucket-versioning", Status.FAIL)])
    out = apply_baseline(res, Baseline(path="b.yaml", waivers=(_waiver(date(2027, 1, 1)),)), today=TODAY)
    (f,) = out.results.findings
    assert f.status is Status.WAIVED and f.waiver is not None and f.waiver["owner"] == "secops@example.com"
    assert out.results.frameworks[0].controls[0].status == "PASS"
    assert out.results.frameworks[0].controls[0].waived
    assert not out.stale_waivers and not out.expired_waivers


def test_expired_waiver_stops_counting_and_is_reported() -> None:
    res = results([finding("bucket-versioning", Status.FAIL)])
    w = _waiver(date(2026, 11, 22))
    out = apply_baseline(res, Baseline(path="b.yaml", waivers=(w,)), today=TODAY)
    assert out.results.findings[0].status is Status.FAIL
    assert out.expired_waivers == (w,)
    # The expiry day itself still counts.
    still = apply_baseline(res, Baseline(path="b.yaml", waivers=(_waiver(TODAY),)), today=TODAY)
    assert still.results.findings[0].status is Status.WAIVED


def test_waiver_matching_nothing_is_stale_and_error_is_never_waived() -> None:
    res = results([finding("bucket-versioning", Status.ERROR), finding("bucket-mfa-delete", Status.PASS)])
    out = apply_baseline(res, Baseline(path="b.yaml", waivers=(_waiver(date(2027, 1, 1)),)), today=TODAY)
    assert [f.status for f in out.results.findings] == [Status.ERROR, Status.PASS]
    assert len(out.stale_waivers) == 1


def test_waiver_glob_does_not_match_other_resources_or_accounts() -> None:
    res = results(
        [
            finding("bucket-versioning", Status.FAIL, resource="other-bucket"),
            finding("bucket-versioning", Status.FAIL, account="999999999999"),
        ]
    )
    out = apply_baseline(res, Baseline(path="b.yaml", waivers=(_waiver(date(2027, 1, 1)),)), today=TODAY)
    assert all(f.status is Status.FAIL for f in out.results.findings)


def test_overrides_and_missing_required_checks() -> None:
    res = results([finding("trail-insights", Status.FAIL, Severity.LOW)])
    out = apply_baseline(
        res,
        Baseline(path="b.yaml", checks=("trail-enabled",), severity_overrides={"trail-insights": Severity.CRITICAL}),
        today=TODAY,
    )
    by_check = {f.check_id: f for f in out.results.findings}
    assert by_check["trail-insights"].severity is Severity.CRITICAL
    assert by_check["trail-enabled"].status is Status.ERROR
    assert out.missing_checks == ("trail-enabled",)


def test_drift_classifies_new_resolved_still_and_regressions() -> None:
    before = results([finding("a", Status.FAIL), finding("b", Status.PASS), finding("c", Status.FAIL)])
    after = results(
        [finding("a", Status.FAIL), finding("b", Status.FAIL), finding("c", Status.PASS), finding("d", Status.FAIL)]
    )
    d = diff(before, after)
    assert {f.check_id for f in d.new} == {"b", "d"}
    assert {f.check_id for f in d.resolved} == {"c"}
    assert {f.check_id for f in d.still_failing} == {"a"}
    assert {f.check_id for f in d.regressions} == {"b"}


def _write(path: Path, res: object) -> Path:
    path.write_text(json.dumps(res.to_dict()))  # type: ignore[attr-defined]
    return path


def test_gate_command_exit_codes(tmp_path: Path, capsys: object) -> None:
    baseline = tmp_path / "baseline.yaml"
    baseline.write_text("version: 1\nfail_on: high\n")
    failing = _write(tmp_path / "fail.json", results([finding("bucket-versioning", Status.FAIL)]))
    low = _write(tmp_path / "low.json", results([finding("bucket-versioning", Status.FAIL, Severity.LOW)]))
    error = _write(tmp_path / "err.json", results([finding("bucket-versioning", Status.ERROR)]))
    passing = _write(tmp_path / "ok.json", results([finding("bucket-versioning", Status.PASS)]))
    assert main(["gate", str(failing), "--baseline", str(baseline)]) == 1
    assert main(["gate", str(low), "--baseline", str(baseline)]) == 0
    assert main(["gate", str(low), "--baseline", str(baseline), "--fail-on", "low"]) == 1
    assert main(["gate", str(error), "--baseline", str(baseline)]) == 3
    assert main(["gate", str(error), "--baseline", str(baseline), "--allow-incomplete"]) == 0
    assert main(["gate", str(passing), "--baseline", str(baseline), "--previous", str(failing)]) == 0
    assert main(["gate", str(passing), "--baseline", str(tmp_path / "missing.yaml")]) == 2
    needs_hipaa = tmp_path / "hipaa.yaml"
    needs_hipaa.write_text("version: 1\nframeworks: [hipaa]\n")
    assert main(["gate", str(passing), "--baseline", str(needs_hipaa)]) == 3

"""Roll-up semantics: how the results of a control's checks decide its verdict."""

from __future__ import annotations

from dataclasses import replace

import pytest

from auditor.engine.checkapi import Settings, Severity, Status
from auditor.engine.results import ControlVerdict, Finding, Results, ScanInfo
from auditor.mapping.frameworks import (
    CONTROL_STATUSES,
    Control,
    Framework,
    RetentionProfile,
    apply_mappings,
    framework_verdict,
    manual_controls,
    recompute_verdicts,
)


def finding(check_id: str, status: Status, resource: str = "r1") -> Finding:
    return Finding(
        id=f"{check_id}:{resource}:{status.value}",
        check_id=check_id,
        title=check_id,
        status=status,
        severity=Severity.MEDIUM,
        account_id="111111111111",
        region="us-east-1",
        resource_type="AwsCloudTrailTrail",
        resource_id=resource,
        message="m",
    )


def control(cid: str, *checks: str, automation: str = "automated") -> Control:
    return Control(
        id=cid,
        title=f"title {cid}",
        description="d",
        section="s",
        automation=automation,
        checks=tuple(checks),
        notes="n" if automation != "automated" else "",
    )


def framework(*controls: Control, fid: str = "fw") -> Framework:
    return Framework(
        id=fid,
        title="FW",
        version="1",
        publisher="p",
        url="https://example.org",
        description="d",
        controls=tuple(controls),
        source="test",
    )


def verdict_of(ctrl: Control, findings: list[Finding]) -> ControlVerdict:
    (result,) = framework_verdict(framework(ctrl), findings).controls
    return result


A, B = "trail-enabled", "trail-multi-region"


def test_control_passes_when_every_result_passes() -> None:
    fs = [finding(A, Status.PASS), finding(B, Status.PASS, "r2")]
    v = verdict_of(control("c", A, B), fs)
    assert v.status == "PASS"
    assert set(v.findings) == {f.id for f in fs}
    assert v.waived is False
    assert v.unassessed_checks == ()


@pytest.mark.parametrize(
    ("results", "status"),
    [
        pytest.param(
            [(A, Status.PASS, "r1"), (A, Status.FAIL, "r2"), (B, Status.PASS, "r1")], "FAIL", id="one-failure-fails"
        ),
        pytest.param([(A, Status.PASS, "r1"), (B, Status.ERROR, "r1")], "NOT_ASSESSED", id="error-is-never-pass"),
        pytest.param([(A, Status.NOT_APPLICABLE, "r1"), (B, Status.PASS, "r1")], "PASS", id="not-applicable-neutral"),
        pytest.param([(A, Status.ERROR, "r1"), (B, Status.FAIL, "r1")], "FAIL", id="failure-beats-error"),
    ],
)
def test_the_deciding_result_sets_the_verdict_and_is_the_only_finding_named(
    results: list[tuple[str, Status, str]], status: str
) -> None:
    """In each case the second result decides the control's verdict."""
    fs = [finding(check, st, resource) for check, st, resource in results]
    v = verdict_of(control("c", A, B), fs)
    assert v.status == status
    assert v.findings == (fs[1].id,)


def test_waived_counts_as_passed_but_is_shown() -> None:
    fs = [finding(A, Status.PASS), finding(B, Status.WAIVED)]
    v = verdict_of(control("c", A, B), fs)
    assert v.status == "PASS"
    assert v.waived is True
    assert fs[1].id in v.findings


def test_control_whose_checks_did_not_run_is_not_assessed() -> None:
    v = verdict_of(control("c", A, B), [finding("bucket-exists", Status.PASS)])
    assert v.status == "NOT_ASSESSED"
    assert v.findings == ()
    assert v.unassessed_checks == (A, B)


def test_partly_run_control_is_judged_on_its_results_and_lists_the_missing_checks() -> None:
    v = verdict_of(control("c", A, B), [finding(A, Status.PASS)])
    assert v.status == "PASS"
    assert v.unassessed_checks == (B,)


def test_only_not_applicable_results_give_not_applicable_not_pass() -> None:
    fs = [finding(A, Status.NOT_APPLICABLE), finding(B, Status.NOT_APPLICABLE)]
    v = verdict_of(control("c", A, B), fs)
    assert v.status == "NOT_APPLICABLE"
    assert set(v.findings) == {f.id for f in fs}


def test_waived_and_failed_together_fail() -> None:
    v = verdict_of(control("c", A, B), [finding(A, Status.WAIVED), finding(B, Status.FAIL)])
    assert v.status == "FAIL"


def test_manual_control_is_manual_whatever_ran() -> None:
    manual = control("m", automation="manual")
    v = verdict_of(manual, [finding(A, Status.FAIL)])
    assert v.status == "MANUAL"
    assert v.notes == "n"
    assert v.findings == ()


def test_partial_control_rolls_up_like_an_automated_one() -> None:
    v = verdict_of(control("p", A, automation="partial"), [finding(A, Status.FAIL)])
    assert (v.status, v.automation) == ("FAIL", "partial")


def test_score_is_passed_over_passed_plus_failed() -> None:
    fw = framework(
        control("p1", A),
        control("p2", A),
        control("p3", A),
        control("f1", B),
        control("na", "bucket-exists"),  # not assessed: no result
        control("e", "bucket-versioning"),  # not assessed: error
        control("n", "trail-insights"),  # not applicable
        control("m", automation="manual"),
    )
    fs = [
        finding(A, Status.PASS),
        finding(B, Status.FAIL),
        finding("bucket-versioning", Status.ERROR),
        finding("trail-insights", Status.NOT_APPLICABLE),
    ]
    v = framework_verdict(fw, fs)
    assert v.counts == {
        "PASS": 3,
        "FAIL": 1,
        "NOT_ASSESSED": 2,
        "NOT_APPLICABLE": 1,
        "MANUAL": 1,
    }
    assert v.score == pytest.approx(3 / 4)
    assert [c.id for c in manual_controls(v)] == ["m"]


def test_score_is_none_when_nothing_was_assessed() -> None:
    fw = framework(control("c", A), control("m", automation="manual"))
    v = framework_verdict(fw, [finding(A, Status.ERROR)])
    assert v.score is None
    assert set(v.counts) == set(CONTROL_STATUSES)


def test_score_is_zero_when_everything_assessed_failed() -> None:
    v = framework_verdict(framework(control("c", A)), [finding(A, Status.FAIL)])
    assert v.score == 0.0


def test_apply_mappings_fills_controls_per_framework_and_leaves_unmapped_findings_empty() -> None:
    fw1 = framework(control("1.1", A), control("1.2", A, B), fid="one")
    fw2 = framework(control("X", B), fid="two")
    fs = [finding(A, Status.PASS), finding(B, Status.FAIL), finding("bucket-exists", Status.PASS)]
    mapped, verdicts = apply_mappings(fs, [fw1, fw2])
    assert mapped[0].controls == {"one": ["1.1", "1.2"]}
    assert mapped[1].controls == {"one": ["1.2"], "two": ["X"]}
    assert mapped[2].controls == {}
    assert [f.id for f in mapped] == [f.id for f in fs]
    assert [v.id for v in verdicts] == ["one", "two"]
    assert [c.status for c in verdicts[0].controls] == ["PASS", "FAIL"]
    assert verdicts[1].controls[0].findings == (fs[1].id,)


def test_apply_mappings_leaves_the_input_findings_untouched() -> None:
    fs = [finding(A, Status.PASS)]
    apply_mappings(fs, [framework(control("c", A))])
    assert fs[0].controls == {}


# ----------------------------------------------------------------- retention needs

SIX_YEARS = Control(
    id="164.316(b)(2)(i)",
    title="t",
    description="d",
    section="s",
    automation="partial",
    checks=("bucket-retention",),
    notes="n",
    min_retention_days=2190,
)


def test_retention_control_is_not_assessed_under_a_weaker_profile() -> None:
    fs = [finding("bucket-retention", Status.PASS)]
    pci = RetentionProfile("pci", 365, 90, "")
    (v,) = framework_verdict(framework(SIX_YEARS), fs, pci).controls
    assert v.status == "NOT_ASSESSED"
    assert v.findings == (fs[0].id,)


def test_retention_control_passes_under_a_strict_enough_profile() -> None:
    fs = [finding("bucket-retention", Status.PASS)]
    (v,) = framework_verdict(framework(SIX_YEARS), fs, RetentionProfile("sox", 2555, 90, "")).controls
    assert v.status == "PASS"


def test_retention_control_accepts_the_engine_settings_as_the_profile() -> None:
    fs = [finding("bucket-retention", Status.PASS)]
    _, (fv,) = apply_mappings(fs, [framework(SIX_YEARS)], Settings(retention_days=2190))
    assert fv.controls[0].status == "PASS"


def test_retention_control_without_a_profile_cannot_pass() -> None:
    fs = [finding("bucket-retention", Status.PASS)]
    (v,) = framework_verdict(framework(SIX_YEARS), fs).controls
    assert v.status == "NOT_ASSESSED"


def test_retention_failure_stays_a_failure_under_a_weaker_profile() -> None:
    fs = [finding("bucket-retention", Status.FAIL)]
    (v,) = framework_verdict(framework(SIX_YEARS), fs, RetentionProfile("pci", 365, 90, "")).controls
    assert v.status == "FAIL"


def test_hot_retention_need_is_compared_too() -> None:
    ctrl = replace(SIX_YEARS, min_retention_days=365, min_hot_retention_days=90)
    fs = [finding("bucket-retention", Status.PASS)]
    cold = RetentionProfile("cold", 400, 30, "")
    assert framework_verdict(framework(ctrl), fs, cold).controls[0].status == "NOT_ASSESSED"


# ----------------------------------------------------------------- re-roll-up (gate)


def test_recompute_follows_a_waiver_and_keeps_the_framework() -> None:
    fw = framework(control("c", A, B), control("m", automation="manual"), fid="one")
    failing = [finding(A, Status.PASS), finding(B, Status.FAIL)]
    _, (before,) = apply_mappings(failing, [fw])
    assert before.controls[0].status == "FAIL"
    waived = [failing[0], replace(failing[1], status=Status.WAIVED)]
    (after,) = recompute_verdicts(waived, [before])
    assert (after.id, after.title, after.version) == (before.id, before.title, before.version)
    assert after.controls[0].status == "PASS" and after.controls[0].waived is True
    assert after.controls[1].status == "MANUAL"
    assert after.score == 1.0


def test_recompute_keeps_a_retention_shortfall() -> None:
    fs = [finding("bucket-retention", Status.PASS)]
    _, (before,) = apply_mappings(fs, [framework(SIX_YEARS)], RetentionProfile("pci", 365, 90, ""))
    assert before.controls[0].retention_satisfied is False
    (after,) = recompute_verdicts(fs, [before])
    assert after.controls[0].status == "NOT_ASSESSED"


def test_recompute_survives_a_results_round_trip() -> None:
    fs = [finding(A, Status.FAIL)]
    mapped, verdicts = apply_mappings(fs, [framework(control("c", A))])
    doc = Results(
        scan=ScanInfo(id="s", started_at="t", finished_at="t"), findings=tuple(mapped), frameworks=tuple(verdicts)
    ).to_dict()
    again = Results.from_dict(doc)
    assert recompute_verdicts(again.findings, again.frameworks) == verdicts

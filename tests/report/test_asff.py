"""ASFF output: every finding is a valid BatchImportFindings member, statuses map as documented."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from auditor.engine.checkapi import Status
from auditor.engine.results import Results
from auditor.report import render
from auditor.report.asff import asff_findings
from tests.report.asff_model import batch_import_input, problems
from tests.report.sample import HOSTILE, sample_results


@pytest.fixture(scope="module")
def results() -> Results:
    return sample_results()


@pytest.fixture(scope="module")
def findings(results: Results) -> list[dict[str, Any]]:
    return asff_findings(results)


def test_every_finding_is_valid_against_botocores_batch_import_findings_model(findings: list[dict[str, Any]]) -> None:
    assert findings
    assert problems(findings) == []


def test_the_validator_catches_a_missing_member_a_bad_enum_and_a_wrong_type(findings: list[dict[str, Any]]) -> None:
    broken = json.loads(json.dumps(findings[:1]))
    del broken[0]["GeneratorId"]
    broken[0]["Compliance"]["Status"] = "WARNINGS"
    broken[0]["Severity"]["Label"] = "SEVERE"
    broken[0]["Types"] = "not-a-list"
    found = "\n".join(problems(broken))
    assert "GeneratorId" in found and "WARNINGS" in found and "SEVERE" in found and "Types" in found


def test_the_model_is_the_installed_botocores() -> None:
    shape = batch_import_input()
    finding = shape.members["Findings"].member
    assert {
        "SchemaVersion",
        "Id",
        "ProductArn",
        "GeneratorId",
        "AwsAccountId",
        "CreatedAt",
        "UpdatedAt",
        "Title",
        "Description",
        "Resources",
    } <= set(finding.required_members)
    assert "NOT_AVAILABLE" in finding.members["Compliance"].members["Status"].enum


def test_statuses_map_to_compliance_workflow_and_record_state(results: Results, findings: list[dict[str, Any]]) -> None:
    seen = set()
    for f, a in zip(results.findings, findings, strict=True):
        seen.add(f.status)
        expected = {
            Status.PASS: ("PASSED", "RESOLVED", "ACTIVE"),
            Status.FAIL: ("FAILED", "NEW", "ACTIVE"),
            Status.ERROR: ("NOT_AVAILABLE", "NEW", "ACTIVE"),
            Status.WAIVED: ("FAILED", "SUPPRESSED", "ACTIVE"),
            Status.NOT_APPLICABLE: ("NOT_AVAILABLE", "RESOLVED", "ARCHIVED"),
        }[f.status]
        assert (a["Compliance"]["Status"], a["Workflow"]["Status"], a["RecordState"]) == expected
        assert a["ProductFields"]["trail-auditor/status"] == f.status.value
        if f.status is Status.PASS:
            assert a["Severity"]["Label"] == "INFORMATIONAL"
        if f.status is Status.ERROR:
            assert a["Description"].startswith("Not assessed: ")
    assert seen == set(Status)


def test_a_waived_finding_carries_a_note_with_reason_owner_and_expiry(
    results: Results, findings: list[dict[str, Any]]
) -> None:
    waived = [a for f, a in zip(results.findings, findings, strict=True) if f.status is Status.WAIVED]
    assert waived
    for a in waived:
        note = a["Note"]["Text"]
        assert "Object Lock" in note and "secops@example.com" in note and "2027-06-30" in note
        assert a["Note"]["UpdatedBy"] == "secops@example.com"


def test_ids_are_stable_and_unique_across_renders(results: Results, findings: list[dict[str, Any]]) -> None:
    ids = [a["Id"] for a in findings]
    assert len(set(ids)) == len(ids)
    later = replace(results, scan=replace(results.scan, id="another-scan", finished_at="2026-12-01T00:00:00Z"))
    assert [a["Id"] for a in asff_findings(later)] == ids


def test_product_arn_is_the_accounts_default_product_in_the_findings_region(findings: list[dict[str, Any]]) -> None:
    for a in findings:
        region, account = a["Region"], a["AwsAccountId"]
        assert a["ProductArn"] == f"arn:aws:securityhub:{region}:{account}:product/{account}/default"
        assert a["Resources"][0]["Region"] == region != "global"


def test_limits_hold_on_hostile_long_text(results: Results) -> None:
    f = replace(results.findings[0], title="T" * 5000, message=HOSTILE * 500, region="global", account_id="")
    a = asff_findings(replace(results, findings=(f,)))[0]
    assert len(a["Title"]) == 256 and len(a["Description"]) == 1024
    assert a["AwsAccountId"] == results.scan.accounts[0] and a["Region"] == results.scan.regions[0]
    assert problems([a]) == []


def test_the_format_writes_findings_asff_json(results: Results, tmp_path: Path) -> None:
    written = render(results, ["asff"], tmp_path)
    assert written == [tmp_path / "findings.asff.json"]
    assert json.loads(written[0].read_text(encoding="utf-8")) == asff_findings(results)


def test_a_re_evaluation_is_an_update_the_same_results_are_not(results: Results) -> None:
    first = asff_findings(results)[0]
    assert first["CreatedAt"] == first["UpdatedAt"] == results.scan.finished_at
    assert asff_findings(results)[0] == first
    later = replace(results, scan=replace(results.scan, evaluated_at="2026-12-01T08:00:00Z"))
    again = asff_findings(later)[0]
    assert (again["Id"], again["CreatedAt"], again["UpdatedAt"]) == (
        first["Id"],
        first["CreatedAt"],
        "2026-12-01T08:00:00Z",
    )

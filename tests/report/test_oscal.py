"""OSCAL assessment results validate against NIST's OSCAL 1.2.3 JSON schema, with every pattern enforced."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from auditor.engine.results import Results
from auditor.report import render
from auditor.report.oscal import oscal_document, token
from tests.report.oscal_schema import assessment_results_validator, errors
from tests.report.sample import HOSTILE, sample_results


@pytest.fixture(scope="module")
def validator() -> Any:
    return assessment_results_validator()


@pytest.fixture(scope="module")
def results() -> Results:
    return sample_results()


def test_pythons_re_cannot_compile_the_schemas_patterns_so_regex_is_needed() -> None:
    with pytest.raises(re.error):
        re.compile(r"^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$")


def test_the_document_validates_against_nists_schema(validator: Any, results: Results) -> None:
    assert errors(validator, oscal_document(results)) == []


def test_the_validator_enforces_token_patterns_and_required_members(validator: Any, results: Results) -> None:
    doc = oscal_document(results)
    bad = json.loads(json.dumps(doc))
    bad["assessment-results"]["results"][0]["findings"][0]["target"]["target-id"] = "10.5.1"
    del bad["assessment-results"]["metadata"]["oscal-version"]
    found = "\n".join(errors(validator, bad))
    assert "10.5.1" in found and "oscal-version" in found


def test_one_result_per_framework_with_a_finding_per_judged_control(results: Results) -> None:
    ar = oscal_document(results)["assessment-results"]
    assert [r["props"][0]["value"] for r in ar["results"]] == [fw.id for fw in results.frameworks]
    for fw, result in zip(results.frameworks, ar["results"], strict=True):
        judged = [c for c in fw.controls if c.status in ("PASS", "FAIL", "NOT_ASSESSED")]
        assert len(result["findings"]) == len(judged)
        assert len(result["observations"]) == len(fw.controls)
        observations = {o["uuid"] for o in result["observations"]}
        for control, finding in zip(judged, result["findings"], strict=True):
            status = finding["target"]["status"]
            assert finding["target"]["target-id"] == token(control.id)
            assert {p["value"] for p in finding["props"] if p["name"] == "control-id"} == {control.id}
            assert finding["related-observations"][0]["observation-uuid"] in observations
            expected = {
                "PASS": ("satisfied", "pass"),
                "FAIL": ("not-satisfied", "fail"),
                "NOT_ASSESSED": ("not-satisfied", "other"),
            }[control.status]
            assert (status["state"], status["reason"]) == expected
            if control.status == "NOT_ASSESSED":
                assert status["remarks"].startswith("not assessed: ")
    assert any(c.status == "NOT_ASSESSED" for fw in results.frameworks for c in fw.controls)


def test_evidence_hashes_are_the_results_and_snapshot_sha256(results: Results, tmp_path: Path) -> None:
    render(results, ["json", "oscal"], tmp_path)
    doc = json.loads((tmp_path / "assessment-results.oscal.json").read_text(encoding="utf-8"))
    resources = {r["title"]: r for r in doc["assessment-results"]["back-matter"]["resources"]}
    results_hash = resources["results.json"]["rlinks"][0]["hashes"][0]
    assert results_hash == {
        "algorithm": "SHA-256",
        "value": hashlib.sha256((tmp_path / "results.json").read_bytes()).hexdigest(),
    }
    assert resources["snapshot"]["rlinks"][0]["hashes"][0]["value"] == results.scan.snapshot_sha256
    uuids = {r["uuid"] for r in resources.values()}
    for result in doc["assessment-results"]["results"]:
        for o in result["observations"]:
            assert {e["href"][1:] for e in o["relevant-evidence"]} <= uuids


def test_the_same_results_give_the_same_document_and_hostile_text_stays_valid(validator: Any, results: Results) -> None:
    assert oscal_document(results) == oscal_document(results)
    f = replace(results.findings[0], message=HOSTILE + "\n\n  trailing  ")
    hostile = replace(results, findings=(f, *results.findings[1:]))
    assert errors(validator, oscal_document(hostile)) == []


def test_a_result_without_frameworks_still_validates(validator: Any, results: Results) -> None:
    assert errors(validator, oscal_document(replace(results, frameworks=()))) == []

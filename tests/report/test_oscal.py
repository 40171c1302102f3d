"""OSCAL assessment results validate against NIST's OSCAL 1.2.3 JSON schema, with every pattern enforced."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import regex
from jsonschema.exceptions import ValidationError

from auditor.engine.results import Results
from auditor.report import render
from auditor.report.oscal import oscal_document, token
from tests.report.sample import HOSTILE, sample_results

SCHEMA = Path(__file__).resolve().parents[1] / "fixtures" / "oscal" / "oscal_complete_schema.json"
SCHEMA_SHA256 = "384324105c7a817af0f65b120a963146caa0e0d55d969cf0daf60e063b87a206"


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    """JSON Schema ``pattern`` with the ``regex`` engine, which knows ``\\p{L}`` (Python's ``re`` does not)."""
    if validator.is_type(instance, "string") and not regex.search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


OscalValidator = jsonschema.validators.extend(jsonschema.Draft7Validator, {"pattern": _pattern})


@pytest.fixture(scope="module")
def validator() -> Any:
    data = SCHEMA.read_bytes()
    assert hashlib.sha256(data).hexdigest() == SCHEMA_SHA256, "the vendored schema is NIST's file, unmodified"
    schema = json.loads(data)
    # The assessment-results branch of the complete schema's oneOf (NIST's own root for that model).
    root = next(b for b in schema["oneOf"] if "assessment-results" in b["required"])
    return OscalValidator({**root, "definitions": schema["definitions"]})


@pytest.fixture(scope="module")
def results() -> Results:
    return sample_results()


def _errors(validator: Any, doc: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator.iter_errors(doc)]


def test_pythons_re_cannot_compile_the_schemas_patterns_so_regex_is_needed() -> None:
    with pytest.raises(re.error):
        re.compile(r"^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$")


def test_the_document_validates_against_nists_schema(validator: Any, results: Results) -> None:
    assert _errors(validator, oscal_document(results)) == []


def test_the_validator_enforces_token_patterns_and_required_members(validator: Any, results: Results) -> None:
    doc = oscal_document(results)
    bad = json.loads(json.dumps(doc))
    bad["assessment-results"]["results"][0]["findings"][0]["target"]["target-id"] = "10.5.1"
    del bad["assessment-results"]["metadata"]["oscal-version"]
    errors = "\n".join(_errors(validator, bad))
    assert "10.5.1" in errors and "oscal-version" in errors


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
            expected = {"PASS": ("satisfied", "pass"), "FAIL": ("not-satisfied", "fail"),
                        "NOT_ASSESSED": ("not-satisfied", "other")}[control.status]
            assert (status["state"], status["reason"]) == expected
            if control.status == "NOT_ASSESSED":
                assert status["remarks"].startswith("not assessed: ")
    assert any(c.status == "NOT_ASSESSED" for fw in results.frameworks for c in fw.controls)


def test_evidence_hashes_are_the_results_and_snapshot_sha256(results: Results, tmp_path: Path) -> None:
    render(results, ["json", "oscal"], tmp_path)
    doc = json.loads((tmp_path / "assessment-results.oscal.json").read_text(encoding="utf-8"))
    resources = {r["title"]: r for r in doc["assessment-results"]["back-matter"]["resources"]}
    results_hash = resources["results.json"]["rlinks"][0]["hashes"][0]
    assert results_hash == {"algorithm": "SHA-256",
                            "value": hashlib.sha256((tmp_path / "results.json").read_bytes()).hexdigest()}
    assert resources["snapshot"]["rlinks"][0]["hashes"][0]["value"] == results.scan.snapshot_sha256
    uuids = {r["uuid"] for r in resources.values()}
    for result in doc["assessment-results"]["results"]:
        for o in result["observations"]:
            assert {e["href"][1:] for e in o["relevant-evidence"]} <= uuids


def test_the_same_results_give_the_same_document_and_hostile_text_stays_valid(validator: Any,
                                                                              results: Results) -> None:
    assert oscal_document(results) == oscal_document(results)
    f = replace(results.findings[0], message=HOSTILE + "\n\n  trailing  ")
    hostile = replace(results, findings=(f, *results.findings[1:]))
    assert _errors(validator, oscal_document(hostile)) == []


def test_a_result_without_frameworks_still_validates(validator: Any, results: Results) -> None:
    assert _errors(validator, oscal_document(replace(results, frameworks=()))) == []

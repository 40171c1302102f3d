"""SARIF semantics: not assessed is "open", never a failure; waived results stay, with their suppression."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from auditor.engine.checkapi import Status
from auditor.engine.results import Results
from auditor.report.sarif import sarif_document
from tests.report.sample import sample_results

SCHEMA = Path(__file__).resolve().parents[2] / "auditor" / "schemas" / "vendor" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def results() -> Results:
    return sample_results()


@pytest.fixture(scope="module")
def run(results: Results) -> dict[str, Any]:
    doc = sarif_document(results)
    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).validate(doc)
    run: dict[str, Any] = doc["runs"][0]
    return run


def _by_status(run: dict[str, Any], status: str) -> list[dict[str, Any]]:
    return [r for r in run["results"] if r["properties"]["status"] == status]


def test_not_assessed_results_are_open_with_level_none_not_failures(run: dict[str, Any], results: Results) -> None:
    not_assessed = _by_status(run, "ERROR")
    assert len(not_assessed) == sum(f.status is Status.ERROR for f in results.findings) > 0
    for r in not_assessed:
        assert r["kind"] == "open" and r["level"] == "none"
        assert r["message"]["text"].startswith("Not assessed: ")
    # SARIF 3.27.10: level is "none" exactly when kind is not "fail".
    assert all((r["kind"] == "fail") == (r["level"] != "none") for r in run["results"])


def test_collection_errors_are_tool_execution_notifications(run: dict[str, Any], results: Results) -> None:
    invocation = run["invocations"][0]
    notes = invocation["toolExecutionNotifications"]
    assert len(notes) == len(results.scan.errors) == 1
    note = notes[0]
    assert note["level"] == "error" and note["descriptor"]["id"] == "collection-error"
    assert note["message"]["text"] == "cloudtrail:GetEventSelectors failed with AccessDenied in 222222222222/eu-west-1"
    assert note["properties"]["error_code"] == "AccessDenied"
    assert invocation["executionSuccessful"] is True
    assert [d["id"] for d in run["tool"]["driver"]["notifications"]] == ["collection-error"]


def test_a_scan_without_collection_errors_has_no_notifications(results: Results) -> None:
    clean = replace(results, scan=replace(results.scan, errors=()))
    assert "toolExecutionNotifications" not in sarif_document(clean)["runs"][0]["invocations"][0]


def test_waived_results_are_emitted_with_their_suppression(run: dict[str, Any], results: Results) -> None:
    waived = _by_status(run, "WAIVED")
    assert len(waived) == sum(f.status is Status.WAIVED for f in results.findings) > 0
    for r in waived:
        assert r["kind"] == "fail" and r["level"] == "note"  # bucket-mfa-delete is LOW severity
        assert r["suppressions"] == [
            {
                "kind": "external",
                "status": "accepted",
                "justification": "Object Lock in compliance mode protects the objects",
                "properties": {"owner": "secops@example.com", "expires": "2027-06-30"},
            }
        ]
    assert not any("suppressions" in r for r in run["results"] if r["properties"]["status"] != "WAIVED")


def test_the_schema_rejects_a_suppression_of_an_unknown_kind(run: dict[str, Any]) -> None:
    doc = {"version": "2.1.0", "runs": [json.loads(json.dumps(run))]}
    waived = next(r for r in doc["runs"][0]["results"] if "suppressions" in r)
    waived["suppressions"][0]["kind"] = "baseline"
    validator = jsonschema.Draft4Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert not validator.is_valid(doc)

"""OCSF enum values checked against the official compiled OCSF 1.3.0 schema (PyPI package ocsf-json-schema).

The vendored JSON Schema export carries the enum ids only; the compiled schema
also carries each id's caption and meaning, so these tests hold the words as
well as the numbers.
"""

from __future__ import annotations

import importlib.resources
import json
from typing import Any

import pytest

from auditor.engine.checkapi import Status
from auditor.engine.results import Results
from auditor.report.ocsf import OCSF_VERSION, ocsf_findings
from tests.report.sample import sample_results


@pytest.fixture(scope="module")
def ocsf() -> dict[str, Any]:
    compiled = importlib.resources.files("ocsf_json_schema") / "ocsf" / f"{OCSF_VERSION}.json"
    schema: dict[str, Any] = json.loads(compiled.read_text(encoding="utf-8"))
    assert schema["version"] == OCSF_VERSION
    return schema


@pytest.fixture(scope="module")
def results() -> Results:
    return sample_results()


def _enum(attribute: dict[str, Any]) -> dict[int, str]:
    return {int(k): v["caption"] for k, v in attribute["enum"].items()}


def test_not_assessed_is_an_unknown_compliance_status_not_a_warning(results: Results, ocsf: dict[str, Any]) -> None:
    captions = _enum(ocsf["objects"]["compliance"]["attributes"]["status_id"])
    errors = [e for e in ocsf_findings(results) if e["status_code"] == "ERROR"]
    assert errors
    for e in errors:
        assert e["compliance"]["status_id"] == 0 and captions[0] == "Unknown" == e["compliance"]["status"]
        assert e["compliance"]["status_detail"].startswith("not assessed: ")


def test_every_status_id_and_caption_is_the_schemas(results: Results, ocsf: dict[str, Any]) -> None:
    compliance = _enum(ocsf["objects"]["compliance"]["attributes"]["status_id"])
    finding = _enum(ocsf["classes"]["compliance_finding"]["attributes"]["status_id"])
    severity = _enum(ocsf["classes"]["compliance_finding"]["attributes"]["severity_id"])
    seen = set()
    for e in ocsf_findings(results):
        seen.add(e["status_code"])
        cid = e["compliance"]["status_id"]
        # 99 is "Other": the caption is then ours, in ``status`` (OCSF's rule for 99).
        assert e["compliance"]["status"] == (compliance[cid] if cid != 99 else "Not Applicable")
        assert e["status"] == finding[e["status_id"]]
        assert e["severity"] == severity[e["severity_id"]]
    assert seen == {s.value for s in Status}


def test_the_class_is_compliance_finding(ocsf: dict[str, Any]) -> None:
    cls = ocsf["classes"]["compliance_finding"]
    assert cls["uid"] == 2003 and cls["caption"] == "Compliance Finding"
    assert {"compliance", "finding_info", "resources", "cloud"} <= set(cls["attributes"])

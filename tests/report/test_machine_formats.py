"""JSON, CSV, SARIF, JUnit and OCSF outputs, validated by real parsers and vendored schemas."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from auditor.engine.checkapi import Status
from auditor.engine.results import Results
from auditor.report import ReportError, ReportOptions, render, render_to, renderer_for
from tests.report.sample import HOSTILE, hostile_results

VENDOR = Path(__file__).resolve().parents[2] / "auditor" / "schemas" / "vendor"


@pytest.fixture(scope="module")
def results() -> Results:
    return hostile_results()


@pytest.fixture(scope="module")
def out(results: Results, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("reports")
    written = render(results, ["json", "csv", "sarif", "junit", "ocsf"], folder, ReportOptions())
    return {p.name: p for p in written}


def _load(name: str) -> Any:
    return json.loads((VENDOR / name).read_text(encoding="utf-8"))


def _count(results: Results, *statuses: Status) -> int:
    return sum(f.status in statuses for f in results.findings)


def test_render_writes_every_requested_file(out: dict[str, Path]) -> None:
    assert set(out) == {
        "results.json",
        "findings.csv",
        "findings-controls-pci-dss-4.0.1.csv",
        "findings-controls-cis-aws-5.0.csv",
        "results.sarif",
        "junit.xml",
        "ocsf.json",
    }


def test_json_is_the_results_document_as_is(out: dict[str, Path], results: Results) -> None:
    data = json.loads(out["results.json"].read_text(encoding="utf-8"))
    assert data == json.loads(json.dumps(results.to_dict()))
    assert Results.from_dict(data) == results


def test_sarif_validates_against_the_sarif_2_1_0_schema(out: dict[str, Path]) -> None:
    doc = json.loads(out["results.sarif"].read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(_load("sarif-schema-2.1.0.json"), format_checker=jsonschema.FormatChecker()).validate(
        doc
    )


def test_sarif_has_one_rule_per_check_and_only_fail_error_and_waived_results(
    out: dict[str, Path], results: Results
) -> None:
    run = json.loads(out["results.sarif"].read_text(encoding="utf-8"))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted({f.check_id for f in results.findings})
    assert len(run["results"]) == _count(results, Status.FAIL, Status.ERROR, Status.WAIVED)
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        loc = r["locations"][0]
        assert loc["physicalLocation"]["artifactLocation"]["uri"].startswith("aws/")
        assert loc["logicalLocations"][0]["kind"] == "resource"
        assert r["level"] in {"error", "warning", "note", "none"}
        assert r["partialFingerprints"]["primaryLocationLineHash"].startswith("f-")
    not_assessed = [r for r in run["results"] if r["properties"]["status"] == "ERROR"]
    assert not_assessed and all(r["message"]["text"].startswith("Not assessed") for r in not_assessed)
    critical = next(r for r in rules if r["id"] == "trail-multi-region")
    assert critical["properties"]["security-severity"] == "9.5"
    assert critical["defaultConfiguration"]["level"] == "error"


def test_ocsf_findings_validate_against_the_compliance_finding_schema(out: dict[str, Path], results: Results) -> None:
    events = json.loads(out["ocsf.json"].read_text(encoding="utf-8"))
    assert len(events) == len(results.findings)
    validator = jsonschema.Draft202012Validator(
        _load("ocsf-1.3.0-compliance_finding.schema.json"), format_checker=jsonschema.FormatChecker()
    )
    for event in events:
        validator.validate(event)
        assert event["class_uid"] == 2003 and event["type_uid"] == 200301


def test_ocsf_maps_status_severity_controls_and_cloud(out: dict[str, Path], results: Results) -> None:
    events = {e["finding_info"]["uid"]: e for e in json.loads(out["ocsf.json"].read_text(encoding="utf-8"))}
    expected = {"PASS": 1, "FAIL": 3, "WAIVED": 3, "ERROR": 0, "NOT_APPLICABLE": 99}
    for f in results.findings:
        e = events[f.id]
        assert e["compliance"]["status_id"] == expected[f.status.value]
        assert e["compliance"]["control"] == f.check_id
        assert e["compliance"]["requirements"] == sorted(f"{fw}:{c}" for fw, ids in f.controls.items() for c in ids)
        assert e["cloud"]["account"]["uid"] == f.account_id
        assert e["status_id"] == (3 if f.status is Status.WAIVED else 1)
    crit = next(e for e in events.values() if e["finding_info"]["analytic"]["uid"] == "trail-multi-region")
    assert crit["severity_id"] == 5 and crit["metadata"]["product"]["name"] == "trail-auditor"


def test_ocsf_schema_rejects_a_broken_event(out: dict[str, Path]) -> None:
    event = json.loads(out["ocsf.json"].read_text(encoding="utf-8"))[0]
    del event["compliance"]["standards"]
    validator = jsonschema.Draft202012Validator(_load("ocsf-1.3.0-compliance_finding.schema.json"))
    assert not validator.is_valid(event)


def test_junit_parses_with_counts_per_status(out: dict[str, Path], results: Results) -> None:
    root = ET.parse(out["junit.xml"]).getroot()  # noqa: S314 - our own output
    assert root.tag == "testsuites"
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(results.findings) == int(root.get("tests", "-1"))
    assert (
        len(root.findall("./testsuite/testcase/failure"))
        == _count(results, Status.FAIL)
        == int(root.get("failures", "-1"))
    )
    assert (
        len(root.findall("./testsuite/testcase/error"))
        == _count(results, Status.ERROR)
        == int(root.get("errors", "-1"))
    )
    skipped = _count(results, Status.NOT_APPLICABLE, Status.WAIVED)
    assert len(root.findall("./testsuite/testcase/skipped")) == skipped == int(root.get("skipped", "-1"))
    suites = root.findall("testsuite")
    assert {s.get("name") for s in suites} == {f.check_id for f in results.findings}
    for s in suites:
        assert int(s.get("tests", "0")) == len(s.findall("testcase"))


def test_junit_carries_hostile_text_as_text(out: dict[str, Path]) -> None:
    root = ET.parse(out["junit.xml"]).getroot()  # noqa: S314 - our own output
    messages = [el.get("message", "") for el in root.iter("failure")]
    assert any(HOSTILE in m for m in messages)
    assert any("\ufffd[31mred\ufffd" in m for m in messages)  # control characters replaced, XML stays valid


def test_findings_csv_parses_back_one_row_per_finding(out: dict[str, Path], results: Results) -> None:
    with out["findings.csv"].open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(results.findings)
    assert [r["id"] for r in rows] == [f.id for f in results.findings]
    big = next(r for r in rows if "bucket_policy" in r["evidence"])
    assert len(json.loads(big["evidence"])["bucket_policy"]) == 100_000  # the CSV is the full record


def test_csv_cells_cannot_run_as_spreadsheet_formulas(out: dict[str, Path]) -> None:
    with out["findings.csv"].open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    formula = [r["resource_id"] for r in rows if "HYPERLINK" in r["resource_id"]]
    assert formula and all(v.startswith("'=") for v in formula)
    assert not any(v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())


def test_controls_csv_per_framework(out: dict[str, Path], results: Results) -> None:
    for fw in results.frameworks:
        with out[f"findings-controls-{fw.id}.csv"].open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert [r["control_id"] for r in rows] == [c.id for c in fw.controls]
        assert [r["status"] for r in rows] == [c.status for c in fw.controls]


def test_render_to_stdout_for_text_formats(results: Results) -> None:
    buf = io.StringIO()
    assert render_to(results, "sarif", "-", ReportOptions(), stdout=buf) == []
    assert json.loads(buf.getvalue())["version"] == "2.1.0"


def test_render_to_file_writes_csv_siblings(results: Results, tmp_path: Path) -> None:
    written = render_to(results, "CSV", tmp_path / "sub" / "audit.csv", ReportOptions())
    assert [p.name for p in written] == [
        "audit.csv",
        "audit-controls-pci-dss-4.0.1.csv",
        "audit-controls-cis-aws-5.0.csv",
    ]


def test_pdf_cannot_go_to_stdout(results: Results) -> None:
    with pytest.raises(ReportError, match="binary"):
        render_to(results, "pdf", "-", ReportOptions(), stdout=io.StringIO())


def test_unknown_format_fails_before_anything_is_written(results: Results, tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="unknown report format 'xlsx'"):
        render(results, ["json", "xlsx"], tmp_path / "out", ReportOptions())
    assert not (tmp_path / "out").exists()


def test_report_options_reject_bad_page_size() -> None:
    with pytest.raises(ReportError, match="A4 or Letter"):
        ReportOptions(page_size="A3")  # type: ignore[arg-type]


def test_every_registered_format_has_a_renderer() -> None:
    for fmt in ("json", "html", "pdf", "csv", "sarif", "junit", "ocsf"):
        r = renderer_for(fmt)
        assert r.name == fmt and r.extension.startswith(".")

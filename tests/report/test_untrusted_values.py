"""Machine formats with hostile values: link schemes and lone surrogates (issue 17, item 11)."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

import pytest

from auditor.engine.results import Results
from auditor.model.textsafe import safe_https_url
from auditor.report import ReportOptions, render, render_to
from auditor.report.html import render_html
from auditor.report.ocsf import ocsf_findings
from auditor.report.sarif import sarif_document
from auditor.report.viewmodel import build_view
from tests.report.sample import sample_results

FORMATS = ["json", "html", "csv", "sarif", "junit", "ocsf"]


def _with(results: Results, **changes: object) -> Results:
    findings = tuple(replace(f, **changes) for f in results.findings)  # type: ignore[arg-type]
    return replace(results, findings=findings)


def _remediation_url(url: str) -> Results:
    results = sample_results()
    findings = tuple(
        replace(f, remediation={**f.remediation, "summary": "fix it", "url": url}) for f in results.findings
    )
    checks = tuple({**c, "remediation": {**dict(c.get("remediation") or {}), "url": url}} for c in results.checks)
    return replace(results, findings=findings, checks=checks)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "data:text/html,<b>x</b>",
        "http://evil.example/",
        "https://",
        "https://evil.example/\nx",
        " https://evil.example/",
        "vbscript:msgbox(1)",
    ],
)
def test_only_https_links_reach_ocsf_sarif_or_html(url: str) -> None:
    results = _remediation_url(url)
    for event in ocsf_findings(results):
        assert "references" not in event.get("remediation", {})
    for rule in sarif_document(results)["runs"][0]["tool"]["driver"]["rules"]:
        assert "helpUri" not in rule
    assert 'href="' + url not in render_html(build_view(results, ReportOptions()))


def test_https_links_are_kept_everywhere() -> None:
    url = "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/x.html"
    results = _remediation_url(url)
    assert all(e["remediation"]["references"] == [url] for e in ocsf_findings(results) if "remediation" in e)
    assert all(r["helpUri"] == url for r in sarif_document(results)["runs"][0]["tool"]["driver"]["rules"])
    assert f'href="{url}"' in render_html(build_view(results, ReportOptions()))


def test_safe_https_url() -> None:
    assert safe_https_url("https://example.com/a?b=c#d") == "https://example.com/a?b=c#d"
    for bad in ("javascript:x", "https:///path", "https://a b", "https://a\u202eb", "//example.com", ""):
        assert safe_https_url(bad) is None


@pytest.mark.parametrize("fmt", FORMATS)
def test_lone_surrogate_is_replaced_not_a_crash(fmt: str, tmp_path: Path) -> None:
    results = _with(sample_results(), message="bad \ud800 text", resource_id="r-\udfff")
    [*_paths] = render(results, [fmt], tmp_path)
    text = "".join(p.read_text(encoding="utf-8") for p in tmp_path.iterdir())
    assert "bad \ufffd text" in text
    out = io.StringIO()
    render_to(results, fmt, "-", stdout=out)
    assert "\ud800" not in out.getvalue() and "\udfff" not in out.getvalue()
    out.getvalue().encode("utf-8")


def test_json_output_with_surrogates_is_valid_utf8_json(tmp_path: Path) -> None:
    results = _with(sample_results(), message="\ud83d alone")
    [path] = render(results, ["json"], tmp_path)
    doc = json.loads(path.read_bytes().decode("utf-8"))
    assert all(f["message"] == "\ufffd alone" for f in doc["findings"])

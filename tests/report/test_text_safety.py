"""Reports with bidi overrides and control characters in hostile text (issue 17, item 6)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from auditor.engine.checkapi import Status
from auditor.engine.results import Results, summarise
from auditor.report.html import render_html
from auditor.report.interface import ReportOptions
from auditor.report.viewmodel import build_view
from tests.report.sample import sample_results
from tests.report.test_history_section import history_results

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_UNSAFE = re.compile("[\u202a-\u202e\u2066-\u2069\x00-\x08\x0b-\x1f\x7f-\x9f]")
FORGED = "trail\u202egnp.exe\u2066x\u2069\x1b]52;c;ZXZpbA==\x07\x9b2J"


def _hostile_text_results() -> Results:
    results = sample_results()
    findings = list(results.findings)
    for i, f in enumerate(findings):
        if f.status is Status.FAIL:
            events = [{"eventName": "StopLogging", "userAgent": FORGED, "file": f"AWSLogs/{FORGED}.json.gz"}]
            findings[i] = replace(
                f,
                message=f"single-region {FORGED}",
                resource_id=FORGED,
                resource_arn=None,
                evidence={**f.evidence, "events": events, FORGED: FORGED},
            )
    return replace(results, findings=tuple(findings), summary=summarise(findings))


def test_bidi_overrides_and_isolates_never_reach_the_html_report() -> None:
    html = render_html(build_view(_hostile_text_results(), ReportOptions(generated_at="2026-11-20T13:00:00Z")))
    assert not any(ch in html for ch in BIDI)
    assert "\x1b" not in html and "\x07" not in html and "\x9b" not in html
    assert "trail\ufffdgnp.exe" in html  # visibly replaced, not silently removed


_SKIP_KEYS = frozenset({"status", "severity", "level", "automation", "format", "schema_version", "version"})


def _poison(value: Any, key: str | None = None) -> Any:
    """Every free-text string of a results document with controls and bidi characters appended."""
    if isinstance(value, dict):
        return {(k + FORGED if key == "evidence" else k): _poison(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_poison(v, key) for v in value]
    if isinstance(value, str) and key not in _SKIP_KEYS and not value.endswith("Z"):
        return value + FORGED
    return value


def test_no_string_field_of_a_results_file_brings_controls_or_bidi_into_the_report(tmp_path: Path) -> None:
    """A results file is attacker-writable: poison every field (history included) and look for leaks."""
    poisoned = Results.from_dict(_poison(history_results(tmp_path).to_dict()))
    html = render_html(build_view(poisoned, ReportOptions(org_name="Org" + FORGED, label="L" + FORGED)))
    leaked = [html[max(0, m.start() - 60) : m.start()] for m in _UNSAFE.finditer(html)]
    assert leaked == []
    assert html.count("\ufffd") > 100  # the poison did reach the page, replaced

"""Reports with bidi overrides and control characters in hostile text (issue 17, item 6)."""

from __future__ import annotations

from dataclasses import replace

from auditor.checkapi import Status
from auditor.report.html import render_html, view_for
from auditor.report.interface import ReportOptions
from auditor.results import Results, summarise
from tests.report.sample import sample_results

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
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
    html = render_html(view_for(_hostile_text_results(), ReportOptions(generated_at="2026-11-20T13:00:00Z")))
    assert not any(ch in html for ch in BIDI)
    assert "\x1b" not in html and "\x07" not in html and "\x9b" not in html
    assert "trail\ufffdgnp.exe" in html  # visibly replaced, not silently removed

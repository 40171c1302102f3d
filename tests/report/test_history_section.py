"""Scan history in the HTML/PDF reports: change since the last scan, score trend, history problems.

The history is produced by the real :func:`auditor.gate.history.record` over a
local store of three scans, so the report is tested against what scheduled
scans actually attach to the results, not a hand-written imitation.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pypdf
import pytest

from auditor.engine.checkapi import Severity, Status
from auditor.engine.results import Finding, Results, ScanInfo, finding_id, summarise
from auditor.gate.history import LocalStore, record
from auditor.report.html import render_html
from auditor.report.interface import ReportOptions
from auditor.report.pdf import render_pdf_bytes
from auditor.report.viewmodel import MAX_DRIFT_ROWS, build_view
from tests.report.sample import SCRIPT, sample_results

OPTIONS = ReportOptions(org_name="Acme Payments Ltd", generated_at="2026-11-20T13:00:00Z")
FIRST_ID = "scan-2026-11-18T12-00-00Z-aaaa"
PREVIOUS_ID = "scan-2026-11-19T12-00-00Z-bbbb"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"

#: A failure of the previous scan whose resource is gone from the current scan.
GONE = Finding(
    id=finding_id("trail-multi-region", "111111111111", "ap-south-1", "old-trail"),
    check_id="trail-multi-region",
    title="A multi-region trail records management events",
    status=Status.FAIL,
    severity=Severity.CRITICAL,
    account_id="111111111111",
    region="ap-south-1",
    resource_type="AwsCloudTrailTrail",
    resource_id="old-trail",
    resource_arn=None,
    message="no",
)


def _scan(results: Results, scan_id: str, finished_at: str) -> ScanInfo:
    return replace(results.scan, id=scan_id, started_at=finished_at, finished_at=finished_at)


def _with_scores(results: Results, scores: dict[str, float | None]) -> Results:
    """The same results with the given framework scores; a framework scored None is dropped."""
    frameworks = tuple(replace(fw, score=scores[fw.id]) for fw in results.frameworks if scores[fw.id] is not None)
    return replace(results, frameworks=frameworks)


def _previous(current: Results) -> Results:
    """The scan before: the multi-region trail failures passed (so now they regress), the
    validation check failed (so now it is resolved), and a trail now gone failed."""
    findings: list[Finding] = []
    for f in current.findings:
        if f.check_id == "trail-multi-region" and f.status is Status.FAIL:
            findings.append(replace(f, status=Status.PASS))
        elif f.check_id == "trail-log-file-validation" and f.account_id == "111111111111" and f.region == "us-east-1":
            findings.append(replace(f, status=Status.FAIL))
        else:
            findings.append(f)
    findings.append(GONE)
    return replace(current, findings=tuple(findings), summary=summarise(findings))


def history_results(store_dir: Path, *, hostile: bool = False) -> Results:
    """Three scans recorded in a local history store; returns the third with its history attached.

    Scan 2 has no CIS score, so the CIS line has a gap. ``hostile`` puts a
    script tag into the previous scan's id and an unreadable entry into the
    store, whose error message (naming the key) lands in history.problems.
    """
    store = LocalStore(store_dir)
    current = sample_results()
    previous_id = f"{PREVIOUS_ID}{SCRIPT}" if hostile else PREVIOUS_ID
    first = _with_scores(
        replace(_previous(current), scan=_scan(current, FIRST_ID, "2026-11-18T12:00:00Z")),
        {"pci-dss-4.0.1": 0.5, "cis-aws-5.0": 0.4},
    )
    second = _with_scores(
        replace(_previous(current), scan=_scan(current, previous_id, "2026-11-19T12:00:00Z")),
        {"pci-dss-4.0.1": 0.667, "cis-aws-5.0": None},
    )
    third = _with_scores(
        replace(current, scan=_scan(current, "scan-2026-11-20T12-00-00Z-cccc", "2026-11-20T12:00:00Z")),
        {"pci-dss-4.0.1": 0.333, "cis-aws-5.0": 0.6},
    )
    record(store, first)
    record(store, second)
    if hostile:
        bad = store_dir / "2026/11/19/20261119T000000Z-broken.json"
        bad.write_text('{"not": "results", "x": "' + SCRIPT + '"}', encoding="utf-8")
    updated, _previous_scan, _location = record(store, third)
    if hostile and updated.history is not None:
        # record() names entries by their key, which cannot hold markup; a tampered
        # results.json can still carry any problem text.
        problems = [*updated.history["problems"], f"tampered entry {SCRIPT}"]
        updated = replace(updated, history={**updated.history, "problems": problems})
    return updated


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Results:
    return history_results(tmp_path_factory.mktemp("history"))


@pytest.fixture(scope="module")
def html(results: Results) -> str:
    return render_html(build_view(results, OPTIONS))


def _section(html: str) -> str:
    return html[html.index('id="history"') : html.index("</section>", html.index('id="history"'))]


def test_history_fixture_has_the_drift_the_tests_rely_on(results: Results) -> None:
    history = results.history
    assert history is not None and history["previous"]["scan_id"] == PREVIOUS_ID
    drift = history["drift"]
    assert len(drift["regressions"]) == 2 and len(drift["resolved"]) == 2
    assert GONE.id in drift["resolved"]
    assert [t["scan_id"] for t in history["trend"]][:2] == [FIRST_ID, PREVIOUS_ID]


def test_change_section_names_previous_scan_and_counts(results: Results, html: str) -> None:
    section = _section(html)
    assert "Change since the last scan" in section
    assert PREVIOUS_ID in section and "2026-11-19T12:00:00Z" in section
    drift = results.history["drift"] if results.history else {}
    counts = re.findall(r'<span class="badge [^"]+">([^<]+)</span></div><div class="n">(\d+)</div>', section)
    assert dict(counts) == {
        "New failures": str(len(drift["new"])),
        "Regressions": "2",
        "Still failing": str(len(drift["still_failing"])),
        "Resolved": "2",
    }


def test_summary_section_sits_between_summary_and_frameworks(html: str) -> None:
    assert html.index('id="summary"') < html.index('id="history"') < html.index('id="fw-pci-dss-4.0.1"')


def test_regressions_are_listed_first_with_their_check_and_resource(results: Results, html: str) -> None:
    section = _section(html)
    table = section[section.index("Regressions and new failures") : section.index("Resolved since the last scan")]
    rows = re.findall(r"<tr>.*?</tr>", table, flags=re.S)[1:]
    assert rows and "Regression" in rows[0] and "trail-multi-region" in rows[0]
    assert 'href="#check-trail-multi-region"' in rows[0]
    assert "arn:aws:cloudtrail:eu-west-1:111111111111:trail/org-trail" in table
    assert sum("Regression<" in r for r in rows) == 2
    assert sum("New failure<" in r for r in rows) == len(rows) - 2


def test_resolved_finding_missing_from_this_scan_shows_its_id(html: str) -> None:
    section = _section(html)
    resolved = section[section.index("Resolved since the last scan") :]
    assert GONE.id in resolved
    assert "Not among this scan's findings" in resolved
    # The other resolved finding still exists and now passes.
    assert "trail-log-file-validation" in resolved and "s-pass" in resolved


def test_one_svg_trend_chart_per_framework_with_a_gap(html: str) -> None:
    section = _section(html)
    svgs = re.findall(r"<svg.*?</svg>", section, flags=re.S)
    assert len(svgs) == 2
    pci, cis = svgs
    assert len(re.findall(r"<circle", pci)) == 3 and len(re.findall(r"<polyline", pci)) == 1
    # CIS had no score in scan 2: two dots, no line across the gap.
    assert len(re.findall(r"<circle", cis)) == 2 and "<polyline" not in cis
    for svg in svgs:
        texts = re.findall(r">([^<]+)</(?:text|title)>", svg)
        assert all(re.fullmatch(r"\d{1,3}%|\d{4}-\d{2}-\d{2}", t) for t in texts), texts
        assert re.fullmatch(r"[\d. ,]*", "".join(re.findall(r'points="([^"]*)"', svg)))


def test_trend_table_lists_recent_scores_newest_first(html: str) -> None:
    section = _section(html)
    table = section[section.index("PCI DSS 4.0.1") : section.index("CIS AWS Foundations Benchmark 5.0")]
    cells = re.findall(r"<td>([^<]*)</td>", table)
    assert cells[:3] == ["2026-11-20T12:00:00Z", "33%", "-33 pts"]
    assert "67%" in cells and "50%" in cells


def test_trend_chart_with_a_single_scan_draws_one_dot() -> None:
    results = replace(
        sample_results(),
        history={
            "previous": None,
            "drift": None,
            "problems": [],
            "trend": [{"scan_id": "s1", "finished_at": "2026-11-20T12:00:00Z", "scores": {"pci-dss-4.0.1": 1.0}}],
        },
    )
    view = build_view(results)
    assert view.history is not None
    (chart,) = view.history.trend
    assert len(chart.points) == 1 and chart.segments == ()
    assert chart.points[0].y == chart.plot_top
    assert chart.x_labels[0].text == "2026-11-20"


def test_first_scan_says_so_in_one_line(tmp_path: Path) -> None:
    updated, previous, _ = record(LocalStore(tmp_path), sample_results())
    assert previous is None
    section = _section(render_html(build_view(updated, OPTIONS)))
    assert "first scan in this history" in section
    assert "Regressions and new failures" not in section and "New failures" not in section


def test_no_history_means_no_section() -> None:
    out = render_html(build_view(sample_results(), OPTIONS))
    assert 'id="history"' not in out
    assert "Change since the last scan" not in out and "Score trend" not in out


def test_hostile_scan_id_and_problem_are_escaped(tmp_path: Path) -> None:
    out = render_html(build_view(history_results(tmp_path, hostile=True), OPTIONS))
    section = _section(out)
    assert SCRIPT not in out
    assert f"{PREVIOUS_ID}{ESCAPED_SCRIPT}" in section
    problems = section[section.index("Problems reading the history") :]
    assert "20261119T000000Z-broken.json" in problems
    assert f"tampered entry {ESCAPED_SCRIPT}" in problems
    assert len(re.findall(r"<script", out, flags=re.I)) == 1


def test_malformed_history_is_shown_as_absent_not_a_crash() -> None:
    tampered: dict[str, Any] = {
        "previous": {"scan_id": SCRIPT, "finished_at": 7},
        "drift": {"new": "not-a-list", "regressions": [{"x": 1}], "resolved": ["f-unknown"]},
        "trend": [
            "junk",
            {"scan_id": SCRIPT, "finished_at": SCRIPT, "scores": {SCRIPT: float("nan")}},
            {"scan_id": "s2", "finished_at": "2026-11-20", "scores": {SCRIPT: 7.5, "x": True}},
        ],
        "problems": [SCRIPT, 3],
    }
    view = build_view(replace(sample_results(), history=tampered))
    assert view.history is not None and view.history.new_count == 0 and view.history.regression_count == 0
    out = render_html(build_view(replace(sample_results(), history=tampered), OPTIONS))
    assert SCRIPT not in out and ESCAPED_SCRIPT in _section(out)
    chart = next(t for t in view.history.trend if t.framework_id == SCRIPT)
    assert [p.label for p in chart.points] == ["8%"]  # 7.5 is taken as a percentage; NaN is a gap


def test_long_drift_lists_are_capped_with_a_note(results: Results) -> None:
    assert results.history is not None
    many = [f"f-{i:016x}" for i in range(MAX_DRIFT_ROWS + 7)]
    history = {**results.history, "drift": {**results.history["drift"], "new": many, "regressions": []}}
    view = build_view(replace(results, history=history))
    assert view.history is not None
    assert len(view.history.changes) == MAX_DRIFT_ROWS and view.history.changes_omitted == 7
    out = render_html(build_view(replace(results, history=history), OPTIONS))
    assert "7 more regressions and new failures not shown" in out


def test_pdf_shows_the_change_section_and_previous_scan(results: Results) -> None:
    reader = pypdf.PdfReader(io.BytesIO(render_pdf_bytes(results, OPTIONS)))
    text = "".join("".join((p.extract_text() or "").split()) for p in reader.pages)
    assert "Changesincethelastscan" in text
    assert PREVIOUS_ID in text
    assert "Scoretrend" in text

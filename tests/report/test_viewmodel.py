"""The view model: bounded output, safe text, figures computed once."""

from __future__ import annotations

from auditor.engine.checkapi import Status
from auditor.engine.results import Finding, Results
from auditor.report.interface import ReportOptions
from auditor.report.viewmodel import MAX_LIST_ROWS, anchor, as_text, build_view, clip
from tests.report.sample import sample_results, scaled_results


def test_clip_marks_truncation_with_original_length() -> None:
    assert clip("a" * 30, 10) == "aaaaaaaaaa… (truncated, 30 characters)"
    assert clip("short", 10) == "short"


def test_clip_replaces_control_characters() -> None:
    assert clip("a\x1b[31mb\x00c\td", 100) == "a\ufffd[31mb\ufffdc\td"


def test_as_text_renders_structures_as_bounded_json() -> None:
    assert as_text({"b": [1, 2], "a": True}, 100) == '{"a": true, "b": [1, 2]}'
    assert as_text(None, 10) == ""
    assert as_text(False, 10) == "false"
    assert as_text({"k": "v" * 500}, 50).endswith("(truncated, 509 characters)")


def test_anchor_hashes_untame_ids() -> None:
    assert anchor("check", "trail-enabled") == "check-trail-enabled"
    hashed = anchor("check", '"><script>')
    assert hashed.startswith("check-") and "<" not in hashed and '"' not in hashed


def _in_scope(results: Results) -> list[Finding]:
    mapped = {cid for fw in results.frameworks for c in fw.controls for cid in c.checks}
    return [f for f in results.findings if f.check_id in mapped]


def test_summary_counts_match_the_findings_in_scope_of_the_selected_frameworks() -> None:
    results = sample_results()
    view = build_view(results)
    inside = _in_scope(results)
    assert 0 < len(inside) < len(results.findings)  # the sample has checks no framework maps
    counts = {c.key: c.value for c in view.status_counts}
    for status in Status:
        assert counts[status.value.lower()] == sum(f.status is status for f in inside)
    assert view.total_findings == len(inside)
    assert sum(sum(row.counts) for row in view.severity_matrix) == len(inside)
    # Nothing is lost: the rest is counted under the scope limits, check by check.
    assert view.out_of_scope_results == len(results.findings) - len(inside)
    assert {o.check_id for o in view.out_of_scope} == {f.check_id for f in results.findings} - {
        f.check_id for f in inside
    }
    outside_needing = [f.id for f in results.findings if f not in inside and f.status is not Status.PASS]
    assert [r.id for r in view.out_of_scope_rows] == outside_needing  # listed on screen (HTML)


def test_detailed_rows_are_capped_per_check_for_large_scans() -> None:
    results = scaled_results(5000)
    assert len(results.findings) == 5000
    view = build_view(results, ReportOptions(max_rows_per_check=25))
    assert all(len(g.rows) <= 25 for g in view.check_groups)
    # Identical results in several places share one row that names them all.
    shown = sum(len(g.rows) + sum(len(r.also) for r in g.rows) + g.omitted_rows for g in view.check_groups)
    # Every FAIL, ERROR and WAIVED result is detailed or counted as omitted; NOT_APPLICABLE is counted only.
    needing = (Status.FAIL, Status.ERROR, Status.WAIVED)
    assert shown == sum(f.status in needing for f in _in_scope(results))
    assert sum(g.not_applicable_count for g in view.check_groups) == sum(
        f.status is Status.NOT_APPLICABLE for f in _in_scope(results)
    )
    assert any(g.omitted_rows for g in view.check_groups)
    assert len(view.not_assessed.rows) <= MAX_LIST_ROWS and view.not_assessed.omitted > 0
    assert all(len(c.findings) <= 6 for fw in view.frameworks for c in fw.controls)


def test_checks_are_ordered_worst_first() -> None:
    view = build_view(sample_results())
    worst = [g.worst for g in view.check_groups]
    order = ["FAIL", "ERROR", "WAIVED", "PASS", "NOT_APPLICABLE"]
    assert worst == sorted(worst, key=order.index)


def test_manual_controls_are_separated_from_the_matrix() -> None:
    view = build_view(sample_results())
    pci = next(fw for fw in view.frameworks if fw.id == "pci-dss-4.0.1")
    assert {c.id for c in pci.manual} == {"10.4.1.1", "12.10.1"}
    assert not {c.id for c in pci.controls} & {"10.4.1.1", "12.10.1"}

"""The view model: bounded output, safe text, figures computed once."""

from __future__ import annotations

from auditor.engine.checkapi import Status
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


def test_summary_counts_match_the_findings() -> None:
    results = sample_results()
    view = build_view(results)
    counts = {c.key: c.value for c in view.status_counts}
    for status in Status:
        assert counts[status.value.lower()] == sum(f.status is status for f in results.findings)
    assert view.total_findings == len(results.findings)
    assert sum(sum(row.counts) for row in view.severity_matrix) == len(results.findings)


def test_detailed_rows_are_capped_per_check_for_large_scans() -> None:
    results = scaled_results(5000)
    assert len(results.findings) == 5000
    view = build_view(results, max_rows_per_check=25)
    assert all(len(g.rows) <= 25 for g in view.check_groups)
    shown = sum(len(g.rows) + g.omitted_rows for g in view.check_groups)
    assert shown == sum(f.status is not Status.PASS for f in results.findings)
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

"""Structured evidence is summarised in finding rows: nested events are counted, not dumped."""

from __future__ import annotations

from auditor.report.viewmodel import MAX_EVIDENCE_CELL, summarise_value


def test_list_of_offenders_shows_scalars_and_counts_nested_events() -> None:
    offenders = [
        {"principal": f"arn:aws:iam::1:user/u{i}", "total": 25, "events": [{"eventName": "X"}] * 20} for i in range(8)
    ]
    text = summarise_value(offenders, MAX_EVIDENCE_CELL)
    assert "principal=arn:aws:iam::1:user/u0" in text and "events=[20 entries]" in text
    assert "eventName" not in text
    assert "and 3 more (full list in the JSON/CSV)" in text


def test_long_values_are_capped() -> None:
    text = summarise_value({"k": "x" * 10_000}, MAX_EVIDENCE_CELL)
    assert len(text) < MAX_EVIDENCE_CELL + 80 and "truncated" in text


def test_scalars_and_empty_lists() -> None:
    assert summarise_value(42, 100) == "42"
    assert summarise_value([], 100) == "(none)"
    assert summarise_value({"window": {"since": "a", "until": "b"}}, 100) == "window={2 fields}"

"""The history blocks of the summary: drift against the previous scan and score-trend geometry.

``Results.history`` is read from stored results, so every field is type-checked
here; the chart is laid out in Python so that the SVG template prints numbers only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from auditor.engine.results import Finding, Results
from auditor.report.viewtext import (
    MAX_DRIFT_ROWS,
    MAX_LIST_ROWS,
    STATUS_LABELS,
    TREND_MAX_X_LABELS,
    TREND_TABLE_ROWS,
    clip,
)
from auditor.report.viewtypes import AxisLabel, DriftRow, HistoryView, TrendChart, TrendPoint, TrendRow

_DRIFT_KIND_LABELS: Mapping[str, str] = {
    "regression": "Regression",
    "new": "New failure",
    "resolved": "Resolved",
}
#: Trend entries plotted at most: a tampered history must not make a chart of 100,000 points.
MAX_TREND_POINTS = 60
#: Frameworks charted at most, for the same reason.
MAX_TREND_FRAMEWORKS = 20
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _items(value: Any) -> list[Any]:
    """A JSON array as a list; anything else (a tampered history entry) as empty."""
    return list(value) if isinstance(value, list | tuple) else []


def _ids(drift: Mapping[str, Any] | None, key: str) -> list[str]:
    """Finding ids of one drift class, de-duplicated, order kept."""
    if drift is None:
        return []
    return list(dict.fromkeys(str(v) for v in _items(drift.get(key)) if isinstance(v, str | int)))


def history_view(results: Results, check_anchor: Mapping[str, str], limit: int) -> HistoryView | None:
    """The history blocks, or None when the results carry no history (not a scheduled scan).

    ``Results.history`` is read from a stored results.json, so every field is
    checked for its type here and anything malformed is shown as absent
    rather than crashing the report.
    """
    raw = results.history
    if not isinstance(raw, Mapping):
        return None
    short = min(limit, 300)
    by_id = {f.id: f for f in results.findings}
    previous = raw.get("previous")
    prev: Mapping[str, Any] = previous if isinstance(previous, Mapping) else {}
    drift_raw = raw.get("drift")
    drift = drift_raw if isinstance(drift_raw, Mapping) else None
    new = _ids(drift, "new")
    resolved = _ids(drift, "resolved")
    regressions = _ids(drift, "regressions")
    still = _ids(drift, "still_failing")
    regression_set = set(regressions)
    # Regressions are new failures too (they passed last time); list them first, once.
    change_ids = regressions + [fid for fid in new if fid not in regression_set]

    def worst_first(fid: str) -> tuple[int, int, str, str]:
        f = by_id.get(fid)
        if f is None:
            return (2, 0, "", fid)
        return (0 if fid in regression_set else 1, -f.severity.rank, f.check_id, f.resource_id)

    shown_changes = sorted(change_ids, key=worst_first)[:MAX_DRIFT_ROWS]
    changes = tuple(
        _drift_row(fid, "regression" if fid in regression_set else "new", by_id, check_anchor, short, limit)
        for fid in shown_changes
    )
    resolved_rows = tuple(
        _drift_row(fid, "resolved", by_id, check_anchor, short, limit) for fid in resolved[:MAX_DRIFT_ROWS]
    )
    entries = [e for e in _items(raw.get("trend")) if isinstance(e, Mapping)][-MAX_TREND_POINTS:]
    return HistoryView(
        first_scan=not prev,
        previous_scan_id=clip(str(prev.get("scan_id") or "unknown"), short),
        previous_finished_at=clip(str(prev.get("finished_at") or "unknown"), 80),
        previous_key=clip(str(prev.get("key") or ""), short),
        drift_known=drift is not None,
        new_count=len(new),
        resolved_count=len(resolved),
        still_failing_count=len(still),
        regression_count=len(regressions),
        changes=changes,
        changes_total=len(change_ids),
        resolved=resolved_rows,
        resolved_total=len(resolved),
        scans=len(entries),
        trend=_trend_charts(results, entries, short),
        problems=tuple(clip(str(p), limit) for p in _items(raw.get("problems"))[:MAX_LIST_ROWS]),
    )


def _drift_row(
    fid: str,
    kind: str,
    by_id: Mapping[str, Finding],
    check_anchor: Mapping[str, str],
    short: int,
    limit: int,
) -> DriftRow:
    f = by_id.get(fid)
    if f is None:
        return DriftRow(
            finding_id=clip(fid, 80),
            kind=kind,
            kind_label=_DRIFT_KIND_LABELS[kind],
            known=False,
            check_id="",
            check_href="",
            severity="",
            status="",
            status_label="not in this scan",
            account_id="",
            region="",
            resource="",
        )
    return DriftRow(
        finding_id=clip(fid, 80),
        kind=kind,
        kind_label=_DRIFT_KIND_LABELS[kind],
        known=True,
        check_id=clip(f.check_id, short),
        check_href=f"#{check_anchor[f.check_id]}" if f.check_id in check_anchor else "#findings",
        severity=f.severity.value,
        status=f.status.value,
        status_label=STATUS_LABELS[f.status.value],
        account_id=clip(f.account_id, 80),
        region=clip(f.region, 80),
        resource=clip(f.resource_arn or f.resource_id, limit),
    )


def _percent(value: Any) -> float | None:
    """A stored score as a percentage; scores are fractions (0..1), and a few older ones percentages.

    Anything that is not a finite number in range is a gap, never a plotted 0.
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    if 0 <= value <= 1:
        return float(value) * 100
    if 1 < value <= 100:
        return float(value)
    return None


def _trend_charts(results: Results, entries: Sequence[Mapping[str, Any]], short: int) -> tuple[TrendChart, ...]:
    """One chart per framework that has a score in any stored scan, current frameworks first."""
    seen: dict[str, None] = {}
    for e in entries:
        scores = e.get("scores")
        if isinstance(scores, Mapping):
            seen.update((str(k), None) for k in scores)
    titles = {fw.id: f"{fw.title} {fw.version}".strip() for fw in results.frameworks}
    order = [fw.id for fw in results.frameworks if fw.id in seen] + [k for k in seen if k not in titles]
    return tuple(
        _trend_chart(fw_id, titles.get(fw_id, fw_id), entries, short) for fw_id in order[:MAX_TREND_FRAMEWORKS]
    )


def _date_label(finished_at: str) -> str:
    match = _DATE.match(finished_at)
    return match.group(0) if match else clip(finished_at, 12)


def _x_label_indices(n: int) -> list[int]:
    """Which scans get a date under the axis: all when few, else evenly spaced plus the last."""
    if n <= TREND_MAX_X_LABELS:
        return list(range(n))
    step = math.ceil((n - 1) / (TREND_MAX_X_LABELS - 1))
    picked = list(range(0, n, step))
    if picked[-1] != n - 1:
        if (n - 1) - picked[-1] < step / 2:
            picked.pop()
        picked.append(n - 1)
    return picked


def _trend_chart(fw_id: str, title: str, entries: Sequence[Mapping[str, Any]], short: int) -> TrendChart:
    width, height = 460, 150
    left, right, top, bottom = 44, 448, 10, 112
    pad = 14  # keeps the first and last dots off the axis lines
    n = len(entries)
    values: list[float | None] = []
    for e in entries:
        scores = e.get("scores")
        values.append(_percent(scores.get(fw_id)) if isinstance(scores, Mapping) else None)

    def x_of(i: int) -> float:
        if n <= 1:
            return round((left + right) / 2, 1)
        return round(left + pad + i * (right - left - 2 * pad) / (n - 1), 1)

    def y_of(p: float) -> float:
        return round(bottom - p * (bottom - top) / 100, 1)

    points: list[TrendPoint] = []
    segments: list[tuple[TrendPoint, ...]] = []
    run: list[TrendPoint] = []
    for i, p in enumerate(values):
        if p is None:
            if len(run) > 1:
                segments.append(tuple(run))
            run = []
            continue
        point = TrendPoint(x_of(i), y_of(p), f"{p:.0f}%")
        points.append(point)
        run.append(point)
    if len(run) > 1:
        segments.append(tuple(run))

    x_labels = []
    for i in _x_label_indices(n):
        text = _date_label(str(entries[i].get("finished_at") or ""))
        position = "middle" if n == 1 else "start" if i == 0 else "end" if i == n - 1 else "middle"
        x = x_of(i) - pad if position == "start" else x_of(i) + pad if position == "end" else x_of(i)
        x_labels.append(AxisLabel(at=x_of(i), x=x, y=bottom + 16, text=text, anchor=position))
    y_ticks = tuple(AxisLabel(at=y_of(v), x=left - 6, y=y_of(v) + 4, text=f"{v}%", anchor="end") for v in (0, 50, 100))

    recent: list[TrendRow] = []
    for i in range(n - 1, max(-1, n - 1 - TREND_TABLE_ROWS), -1):
        p = values[i]
        before = values[i - 1] if i > 0 else None
        change = f"{p - before:+.0f} pts" if p is not None and before is not None else "—"
        recent.append(
            TrendRow(
                scan_id=clip(str(entries[i].get("scan_id") or "unknown"), 80),
                finished_at=clip(str(entries[i].get("finished_at") or ""), 80),
                score="n/a" if p is None else f"{p:.0f}%",
                change=change,
            )
        )
    return TrendChart(
        framework_id=clip(fw_id, short),
        title=clip(title, short),
        width=width,
        height=height,
        plot_left=left,
        plot_right=right,
        plot_top=top,
        plot_bottom=bottom,
        y_ticks=y_ticks,
        x_labels=tuple(x_labels),
        segments=tuple(segments),
        points=tuple(points),
        gaps=sum(1 for v in values if v is None),
        recent=tuple(recent),
    )

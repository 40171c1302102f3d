"""Equally excessive hours resolve to the earliest, whatever order the counts were merged in."""

from __future__ import annotations

from auditor.logs.aggregate import Params, Partial
from auditor.logs.document import anomalies


def _partial(hour_order: list[str]) -> Partial:
    hours = [f"2026-11-{d:02d}T{h:02d}" for d in (1, 2) for h in range(24)]
    part = Partial()
    part.event_hours[("111111111111", "us-east-1")] = set(hours)
    counts = {h: 1 for h in hours}
    spikes = {h: 100 for h in hour_order}
    part.hourly[("call", "111111111111", "us-east-1", "DeleteTrail")] = {**spikes, **counts, **spikes}
    return part


def test_equal_spikes_report_the_earliest_hour_in_either_merge_order() -> None:
    params = Params(since="2026-11-01T00:00:00Z", until="2026-11-03T00:00:00Z")
    early, late = "2026-11-01T05", "2026-11-02T07"
    for order in ([early, late], [late, early]):
        (found,) = anomalies(_partial(order), params)
        assert found["hour"] == early + ":00:00Z", order

"""Sigma correlation rules judged over the window from their base rules' matches.

``event_count``, ``value_count``, ``temporal`` and ``temporal_ordered``
(:func:`correlate`); the readers keep each base rule's matches as
:data:`CorrelationEvent` tuples, bounded by ``sigma.MAX_CORRELATION_EVENTS``.
"""

from __future__ import annotations

import calendar
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from auditor.logs.sigma_match import as_text, field_values, json_text


@dataclass(frozen=True)
class CorrelationSpec:
    """A Sigma correlation rule we evaluate over the window (:func:`correlate`)."""

    id: str
    title: str
    level: str
    path: str
    #: event_count, value_count, temporal or temporal_ordered.
    type: str
    #: Ids of the base rules, in the order the correlation lists them.
    rules: tuple[str, ...]
    #: group-by field names as the rule writes them (aliases included).
    group_by: tuple[str, ...]
    timespan: int
    #: (operator, count): gt, gte, lt, lte, eq or neq.
    condition: tuple[str, float]
    #: value_count: the field whose distinct values are counted (per base rule, aliases applied).
    value_field: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "id": self.id,
            "title": self.title,
            "level": self.level,
            "path": self.path,
            "correlation": self.type,
            "rules": list(self.rules),
            "group_by": list(self.group_by),
            "timespan_seconds": self.timespan,
            "condition": {self.condition[0]: self.condition[1]},
        }


#: Correlation types evaluated by :func:`correlate`.
CORRELATION_TYPES = ("event_count", "value_count", "temporal", "temporal_ordered")

#: One base-rule match kept for a correlation:
#: (eventTime, eventID, base rule id, group values, value_count value, account, region, sample).
CorrelationEvent = tuple[str, str, str, tuple[str | None, ...], str | None, str, str, dict[str, Any]]


def group_value(event: dict[str, Any], path: tuple[str, ...], limit: int = 2048) -> str | None:
    """A group-by (or value_count) field's value as text: None when absent or null.

    Several values (a list) are one value: their JSON text. Text is clipped to ``limit``.
    """
    vals = [v for v in field_values(event, path) if v is not None]
    if not vals:
        return None
    text = as_text(vals[0]) if len(vals) == 1 else json_text(vals)
    if text is None:
        return None
    return text if len(text) <= limit else text[:limit]


@lru_cache(maxsize=65536)
def _epoch(t: str) -> int:
    return calendar.timegm(datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ").timetuple())


_CONDITIONS: dict[str, Callable[[Any, Any], bool]] = {
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
    "eq": operator.eq,
    "neq": operator.ne,
}


def _ordered(window: Sequence[CorrelationEvent], rules: tuple[str, ...]) -> int:
    """How many of ``rules`` match in their order within the window, starting with its first event."""
    if not window or window[0][2] != rules[0]:
        return 0
    k = 1
    for ev in window[1:]:
        if k < len(rules) and ev[2] == rules[k]:
            k += 1
    return k


def correlate(spec: CorrelationSpec, events: Sequence[CorrelationEvent]) -> list[dict[str, Any]]:
    """The groups for which the correlation fires, each with its first firing window.

    Windows are anchored at each base-rule match of the group and last
    ``timespan`` seconds (half-open: an event exactly ``timespan`` after the
    anchor is outside). ``event_count`` counts the window's events,
    ``value_count`` the distinct non-null values of the field, ``temporal``
    the distinct base rules, ``temporal_ordered`` the base rules matched in
    the listed order from the anchor on. The first window (earliest anchor)
    whose count meets the condition is the group's match.
    """
    op, want = spec.condition
    test = _CONDITIONS[op]
    groups: dict[tuple[str | None, ...], list[CorrelationEvent]] = {}
    for ev in events:
        groups.setdefault(ev[3], []).append(ev)
    out: list[dict[str, Any]] = []
    for group, evs in groups.items():
        evs.sort(key=lambda e: (e[0], e[1], e[2], str(e[7].get("file"))))  # whatever the merge order
        times = [_epoch(e[0]) for e in evs]
        j = 0
        values: dict[str, int] = {}
        rules: dict[str, int] = {}
        for i in range(len(evs)):
            j = max(j, i)
            while j < len(evs) and times[j] < times[i] + spec.timespan:
                v = evs[j][4]
                if v is not None:
                    values[v] = values.get(v, 0) + 1
                rules[evs[j][2]] = rules.get(evs[j][2], 0) + 1
                j += 1
            if spec.type == "event_count":
                count = j - i
            elif spec.type == "value_count":
                count = len(values)
            elif spec.type == "temporal":
                count = len(rules)
            else:
                count = _ordered(evs[i:j], spec.rules)
            if test(count, want):
                window = evs[i:j]
                out.append(
                    {
                        "group": dict(zip(spec.group_by, group, strict=True)),
                        "window_start": window[0][0],
                        "window_end": window[-1][0],
                        "count": count,
                        "events_in_window": len(window),
                        "account_id": window[0][5],
                        "region": window[0][6],
                        "events": [e[7] for e in window],
                    }
                )
                break
            v = evs[i][4]
            if v is not None:
                values[v] -= 1
                if not values[v]:
                    del values[v]
            rules[evs[i][2]] -= 1
            if not rules[evs[i][2]]:
                del rules[evs[i][2]]
    out.sort(key=lambda h: (h["window_start"], str(h["group"])))
    return out

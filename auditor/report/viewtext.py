"""Text safety for the report view: every value a template prints passes :func:`clip`.

Everything taken from AWS or from log files is hostile text: resource names,
user agents, messages and evidence values can hold markup, control characters
or 100 KB strings. :func:`clip` is the single gate they all pass; autoescaping
in the templates does the HTML escaping.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from auditor.engine.checkapi import Severity, Status
from auditor.model.excerpt import MAX_EXCERPT, error_excerpt
from auditor.model.textsafe import clean_text

#: Order in which statuses are shown: what needs action first.
STATUS_ORDER: tuple[Status, ...] = (
    Status.FAIL,
    Status.ERROR,
    Status.WAIVED,
    Status.PASS,
    Status.NOT_APPLICABLE,
)
STATUS_LABELS: Mapping[str, str] = {
    "FAIL": "Fail",
    "ERROR": "Not assessed (error)",
    "WAIVED": "Waived",
    "PASS": "Pass",
    "NOT_APPLICABLE": "Not applicable",
}
SEVERITY_ORDER: tuple[Severity, ...] = tuple(sorted(Severity, key=lambda s: -s.rank))

#: Log-event columns shown first when present; any other keys follow, sorted.
EVENT_KEYS: tuple[str, ...] = (
    "eventTime",
    "eventName",
    "eventSource",
    "principal",
    "sourceIPAddress",
    "userAgent",
    "awsRegion",
    "eventID",
    "file",
)
#: Fixed fills (SVG presentation attributes, so print and screen agree without CSS).
BAR_COLORS: Mapping[str, str] = {
    "fail": "#b3261e",
    "error": "#8a4b00",
    "waived": "#5b4a9e",
    "pass": "#1e6b34",
    "not_applicable": "#6b6b6b",
    "critical": "#7b0d0d",
    "high": "#b3261e",
    "medium": "#b06000",
    "low": "#3b6ea5",
    "info": "#6b6b6b",
}
MAX_EVENTS_PER_FINDING = 50
MAX_EVENT_BLOCKS = 40
MAX_LIST_ROWS = 200
MAX_COMPACT_RESOURCES = 60
MAX_CONTROL_LINKS = 6
#: Rows of the "change since the last scan" tables (new failures, resolved).
MAX_DRIFT_ROWS = 50
#: Recent scans listed under each score-trend chart.
TREND_TABLE_ROWS = 5
#: Dates printed under a trend chart's x axis at most (more would overlap).
TREND_MAX_X_LABELS = 6

_SAFE_ID = re.compile(r"[A-Za-z0-9_.:-]{1,80}")


def clip(value: str, limit: int) -> str:
    """Replace control and bidi characters and cap ``value`` at ``limit`` characters.

    :func:`auditor.model.textsafe.clean_text` does the replacing (line feeds kept:
    messages and CLI snippets span lines). The marker states the original
    length so a reader knows how much is missing and where to find it (the
    JSON/CSV keep the full value).
    """
    text = clean_text(value, multiline=True)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… (truncated, {len(value)} characters)"


#: Characters of one evidence value in a finding row; the JSON/CSV keep everything.
MAX_EVIDENCE_CELL = 600
#: Entries of a list shown in a finding row's evidence cell.
MAX_EVIDENCE_ENTRIES = 5


def _scalar_pairs(mapping: Mapping[Any, Any], limit: int) -> str:
    parts = []
    for k, v in mapping.items():
        if isinstance(v, Mapping):
            parts.append(f"{k}={{{len(v)} fields}}")
        elif isinstance(v, list | tuple):
            parts.append(f"{k}=[{len(v)} entries]")
        else:
            parts.append(f"{k}={as_text(v, limit)}")
    return "; ".join(parts)


def summarise_value(value: Any, limit: int) -> str:
    """Evidence as a short text: scalars as-is, mappings as k=v pairs, lists by their first entries.

    Nested lists (for example the events behind each offender) are counted, not
    expanded: the events appear in the report's log-evidence section and in full
    in the JSON and CSV outputs. Keeps finding rows small enough to paginate.
    """
    if isinstance(value, Mapping):
        return clip(_scalar_pairs(value, limit), limit)
    if isinstance(value, list | tuple):
        if not value:
            return "(none)"
        shown = [
            _scalar_pairs(v, limit) if isinstance(v, Mapping) else as_text(v, limit)
            for v in value[:MAX_EVIDENCE_ENTRIES]
        ]
        more = len(value) - MAX_EVIDENCE_ENTRIES
        tail = f" … and {more} more (full list in the JSON/CSV)" if more > 0 else ""
        return clip(" | ".join(shown), limit) + tail
    return as_text(value, limit)


def as_text(value: Any, limit: int) -> str:
    """Any JSON value as display text: strings as-is, the rest as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return clip(value, limit)
    if isinstance(value, bool | int | float):
        return str(value).lower() if isinstance(value, bool) else str(value)
    try:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return clip(text, limit)


def anchor(prefix: str, raw: str) -> str:
    """An HTML id derived from data: kept readable when it is tame, hashed otherwise."""
    if _SAFE_ID.fullmatch(raw):
        return f"{prefix}-{raw}"
    return f"{prefix}-{hashlib.sha256(raw.encode('utf-8', 'replace')).hexdigest()[:16]}"


def reason_text(message: str, limit: int) -> str:
    """A finding's message as safe text; a web page pasted into an error becomes a short tag-free excerpt.

    :func:`auditor.model.excerpt.error_excerpt` decides what is a page (and
    bounds it to its own short length); other messages are only clipped.
    """
    excerpt = error_excerpt(message, min(limit, MAX_EXCERPT))
    if "<" in message and excerpt.count("<") < message.count("<"):
        return clip(excerpt, limit)
    return clip(message, limit)

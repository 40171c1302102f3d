"""Structured evidence as sentences a reader can follow, never as ``key=[N entries]`` internals.

Each evidence kind the checks produce has its own rendering: metric-filter
comparisons name the CIS clauses a filter lacks, alarm paths name the trail
and why it breaks, policy statements read as "Deny s3:* when ...", trail
verdicts as "trail: verdict (reason)", digest failures as "kind: path (detail)".
Anything else falls back to a readable "label: value" line per entry. Lists
show their first entries and say how many more the JSON/CSV hold. Every
value passes :func:`auditor.report.viewtext.clip`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from auditor.report.viewtext import MAX_EVIDENCE_ENTRIES, as_text, clip

#: Evidence keys not shown in a finding row (the events have their own section; the window is on the cover).
HIDDEN_KEYS = frozenset({"events", "window"})
#: Bookkeeping shown on screen only: the PDF keeps to the facts that decide the result.
SCREEN_ONLY_KEYS = frozenset(
    {
        "parameters",
        "events_outside_window",
        "events_malformed",
        "events_read",
        "files_read",
        "total",
        "rules",
        "cis",
        "threshold",
        "window_minutes",
        "log_prefixes",
        "profile",
        "price_per_100k_events_usd",
        "digest_tolerance_hours",
        "tolerance_hours",
        "max_age_hours",
        "rules_evaluated",
        "unsupported",
        "level",
        "rule_id",
        "title",
        "failures_listed",
        "range",
        "log_group",
    }
)


def label(key: str) -> str:
    """An evidence key as a heading: ``log_file_validation_enabled`` -> ``Log file validation enabled``."""
    text = str(key).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _scalar(value: Any, limit: int) -> str:
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return clip(value, limit)
    if isinstance(value, int | float):
        return as_text(value, limit)
    if isinstance(value, Mapping):
        return _fields(value, limit, depth=1)
    if isinstance(value, list | tuple):
        return _joined([_scalar(v, limit) for v in value[:MAX_EVIDENCE_ENTRIES]], len(value))
    return as_text(value, limit)


def _joined(parts: Sequence[str], total: int) -> str:
    if not total:
        return "none"
    more = total - len(parts)
    return ", ".join(parts) + (f" and {more} more" if more > 0 else "")


def _fields(mapping: Mapping[Any, Any], limit: int, depth: int = 0) -> str:
    """A mapping as ``Label: value, Label: value``; one nesting level, deeper ones summarised by name."""
    parts = []
    for k, v in mapping.items():
        if depth > 0 and isinstance(v, Mapping | list | tuple) and v:
            parts.append(f"{label(str(k)).lower()} ({len(v)})")
        else:
            parts.append(f"{label(str(k)).lower()}: {_scalar(v, limit)}")
    return clip("; ".join(parts), limit) if parts else "none"


def _lines(values: Sequence[Any], one: Callable[[Any, int], str], limit: int) -> str:
    shown = [one(v, limit) for v in values[:MAX_EVIDENCE_ENTRIES]]
    more = len(values) - len(shown)
    tail = [f"… and {more} more (full list in results.json and findings.csv)"] if more > 0 else []
    return "\n".join(shown + tail) if shown else "none"


def _filter(entry: Any, limit: int, cis: str = "") -> str:
    if not isinstance(entry, Mapping):
        return _scalar(entry, limit)
    name = clip(str(entry.get("filter") or entry.get("name") or "?"), 120)
    clause = f"CIS {clip(cis, 20)} " if cis else "the required "
    if entry.get("satisfies"):
        return f"filter '{name}' satisfies {clause}pattern"
    missing = [clip(str(m), 200) for m in entry.get("missing") or () if isinstance(m, str)]
    extra = [clip(str(m), 200) for m in entry.get("extra_restrictions") or () if isinstance(m, str)]
    text = f"filter '{name}' lacks {clause}clause{'s' if len(missing) != 1 else ''}: " + (
        _joined(missing[:MAX_EVIDENCE_ENTRIES], len(missing)) if missing else "none listed"
    )
    if extra:
        text += f"; and narrows it with {_joined(extra[:3], len(extra))}"
    return clip(text, limit)


def _path(entry: Any, limit: int) -> str:
    if not isinstance(entry, Mapping):
        return _scalar(entry, limit)
    trail = str(entry.get("trail") or "?").rsplit("/", 1)[-1]
    return clip(f"trail {trail}: {entry.get('status', '?')} — {entry.get('message', '')}", limit)


def _trail(entry: Any, limit: int) -> str:
    if not isinstance(entry, Mapping):
        return _scalar(entry, limit)
    name = str(entry.get("arn") or entry.get("name") or "?")
    verdict = entry.get("verdict")
    reason = entry.get("reason")
    if verdict is None and reason is None:
        return _fields(entry, limit, depth=1)
    return clip(f"{name}: {verdict or '?'}" + (f" ({reason})" if reason else ""), limit)


def _statement(entry: Any, limit: int) -> str:
    """A policy statement (as the checks record it) in one sentence."""
    if not isinstance(entry, Mapping):
        return _scalar(entry, limit)
    lowered = {str(k).lower(): v for k, v in entry.items()}
    effect = lowered.get("effect")
    actions = lowered.get("action") or lowered.get("actions")
    if effect is None and actions is None:
        sid = lowered.get("sid")
        rest = {k: v for k, v in entry.items() if str(k).lower() != "sid"}
        head = f"statement {clip(str(sid), 80)}: " if sid else ""
        return clip(head + _fields(rest, limit, depth=1), limit)
    parts = [f"statement {clip(str(lowered['sid']), 80)}:" if lowered.get("sid") else "statement:"]
    parts.append(str(effect or "?"))
    parts.append(_scalar(actions, 200))
    if lowered.get("resource") or lowered.get("resources"):
        parts.append("on " + _scalar(lowered.get("resource") or lowered.get("resources"), 200))
    if lowered.get("condition"):
        parts.append("when " + _scalar(lowered.get("condition"), 300))
    return clip(" ".join(parts), limit)


def _digest_failure(entry: Any, limit: int) -> str:
    if not isinstance(entry, Mapping):
        return _scalar(entry, limit)
    kind = label(str(entry.get("failure_kind") or entry.get("kind") or "failure"))
    detail = entry.get("detail")
    return clip(f"{kind}: {entry.get('path', '?')}" + (f" ({detail})" if detail else ""), limit)


def _counts(value: Any, limit: int) -> str:
    if not isinstance(value, Mapping):
        return _scalar(value, limit)
    return clip(", ".join(f"{label(str(k)).lower()}: {_scalar(v, 40)}" for k, v in value.items()) or "none", limit)


def _entry(value: Any, limit: int) -> str:
    return _fields(value, limit, depth=1) if isinstance(value, Mapping) else _scalar(value, limit)


def _filters(value: Sequence[Any], limit: int, cis: str) -> str:
    """Filter comparisons: which clauses each filter lacks; filters lacking every clause are named together."""
    clause = f"CIS {clip(cis, 20)}" if cis else "the required pattern"
    entries = [e for e in value if isinstance(e, Mapping)]
    other = [_scalar(e, limit) for e in value if not isinstance(e, Mapping)]
    needed: dict[str, None] = {}
    for e in entries:
        needed.update((str(m), None) for m in e.get("missing") or ())
    lines: list[str] = []
    unrelated: list[str] = []
    groups: dict[tuple[tuple[str, ...], tuple[str, ...], bool], list[str]] = {}
    for e in entries:
        name = clip(str(e.get("filter") or e.get("name") or "?"), 120)
        missing = tuple(str(m) for m in e.get("missing") or ())
        if not e.get("satisfies") and needed and set(missing) == set(needed):
            unrelated.append(name)
            continue
        extra = tuple(str(m) for m in e.get("extra_restrictions") or ())
        groups.setdefault((missing, extra, bool(e.get("satisfies"))), []).append(name)
    for (missing, extra, satisfies), names in groups.items():
        lines.append(
            _filter(
                {
                    "filter": "', '".join(names),
                    "missing": list(missing),
                    "extra_restrictions": list(extra),
                    "satisfies": satisfies,
                },
                limit,
                cis,
            )
        )
    if unrelated:
        shown = [f"'{n}'" for n in unrelated[:MAX_EVIDENCE_ENTRIES]]
        lines.append(
            clip(
                f"{_joined(shown, len(unrelated))} match{'es' if len(unrelated) == 1 else ''} "
                f"none of the {len(needed)} {clause} clause{'s' if len(needed) != 1 else ''}",
                limit,
            )
        )
    return _lines(lines + other, lambda v, n: str(v), limit)


def human(key: str, value: Any, limit: int, evidence: Mapping[str, Any], message: str = "") -> str:
    """One evidence value as readable text (lines separated by newlines).

    ``message`` is the finding's own message: alarm paths that only repeat it are left out.
    """
    if key == "filters" and isinstance(value, list | tuple):
        return _filters(value, limit, str(evidence.get("cis") or ""))
    if key == "paths" and isinstance(value, list | tuple):
        kept = [v for v in value if not (isinstance(v, Mapping) and str(v.get("message") or "") in message)]
        return _lines(kept, _path, limit) if kept else "as stated above"
    if key == "trails" and isinstance(value, list | tuple):
        return _lines(value, _trail, limit)
    if key.endswith("statements") and isinstance(value, list | tuple):
        return _lines(value, _statement, limit)
    if key == "failures" and isinstance(value, list | tuple):
        return _lines(value, _digest_failure, limit)
    if key in ("failure_counts", "counts") or (key.endswith("_access") and isinstance(value, Mapping)):
        return _counts(value, limit)
    if isinstance(value, list | tuple):
        return _lines(value, _entry, limit)
    if isinstance(value, Mapping):
        if any(isinstance(v, list | tuple) and v and isinstance(v[0], Mapping) for v in value.values()):
            return "\n".join(f"{label(str(k))}: {_entry(v, limit)}" for k, v in value.items())
        return _fields(value, limit)
    return _scalar(value, limit)

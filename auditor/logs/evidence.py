"""Combine evidence documents, and read them back for the logs-* checks.

Several trails deliver to several buckets; the scan reads each and merges the
documents. Counts and per-hour/per-minute aggregates add up exactly; rate
anomalies are computed per document (each bucket's own baseline) and are
concatenated. The same event delivered to two buckets (an organisation trail
and an account trail) is counted in both: the document cannot deduplicate
events it no longer holds, which is why ``sources`` lists every input.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from auditor.logs.aggregate import (
    EVIDENCE_SCHEMA_VERSION,
    PRINCIPAL_SAMPLES,
    SAMPLES,
    keep_earliest,
)


def hours_from_ranges(ranges: Iterable[Sequence[str]]) -> set[str]:
    """Every hour stamp in [first, last] hour ranges (the inverse of :func:`hours_to_ranges`)."""
    out: set[str] = set()
    for first, last in ranges:
        cur = datetime.fromisoformat(first.replace("Z", "+00:00"))
        end = datetime.fromisoformat(last.replace("Z", "+00:00"))
        while cur <= end:
            out.add(cur.strftime("%Y-%m-%dT%H:00:00Z"))
            cur += timedelta(hours=1)
    return out


def hours_to_ranges(hours: set[str]) -> list[list[str]]:
    """Contiguous [first, last] runs of hour stamps."""
    out: list[list[str]] = []
    prev: datetime | None = None
    for h in sorted(hours):
        cur = datetime.fromisoformat(h.replace("Z", "+00:00"))
        if prev is not None and cur - prev == timedelta(hours=1):
            out[-1][1] = h
        else:
            out.append([h, h])
        prev = cur
    return out


def _merge_counts(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + v
    return out


def merge_evidence(docs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One document from several (several trails' buckets)."""
    if not docs:
        raise ValueError("merge_evidence needs at least one document")
    if len(docs) == 1:
        return dict(docs[0])
    rules: dict[tuple[Any, ...], dict[str, Any]] = {}
    for d in docs:
        for r in d.get("rules", []):
            k = (r["rule_id"], r["account_id"], r["region"], r.get("resource"))
            cur = rules.setdefault(k, {**r, "total": 0, "events": []})
            cur["total"] += r["total"]
            cur["events"] = keep_earliest([*cur["events"], *r["events"]], SAMPLES)
    sig: dict[tuple[Any, ...], dict[str, Any]] = {}
    unsupported: dict[str, dict[str, Any]] = {}
    evaluated: dict[str, dict[str, Any]] = {}
    #: Sigma correlations are judged per document (per bucket read): their matches merge like others
    correlations: dict[str, dict[str, Any]] = {}
    for d in docs:
        s = d.get("sigma", {})
        for m in s.get("matches", []):
            sk = (m["rule_id"], m["account_id"], m["region"])
            first = sk not in sig
            cur = sig.setdefault(sk, {**m, "total": 0, "events": []})
            cur["total"] += m["total"]
            cur["events"] = keep_earliest([*cur["events"], *m["events"]], SAMPLES)
            corr = m.get("correlation")
            if isinstance(corr, dict) and not first:  # a correlation firing in several buckets: all its groups
                groups = [*cur["correlation"]["groups"], *corr.get("groups", [])]
                cur["correlation"] = {**cur["correlation"], "groups": groups[:SAMPLES]}
        for u in s.get("unsupported", []):
            unsupported[u["path"] + u["id"]] = u
        for e in s.get("rules", []):
            evaluated[e["path"] + e["id"]] = e
        for c in s.get("correlations", []):
            correlations[c["path"] + c["id"]] = c
    cov: dict[tuple[str, str], dict[str, Any]] = {}
    for d in docs:
        for c in d.get("coverage", []):
            ck = (c["account_id"], c["region"])
            if ck not in cov:
                cov[ck] = {
                    **c,
                    "days": dict(c["days"]),
                    "eh": hours_from_ranges(c["event_hours"]),
                    "fh": hours_from_ranges(c["file_hours"]),
                    "first_writes": list(c["first_writes"]),
                }
                continue
            cur = cov[ck]
            cur["events"] += c["events"]
            cur["writes"] += c["writes"]
            for day, (n, w) in c["days"].items():
                old = cur["days"].get(day, [0, 0])
                cur["days"][day] = [old[0] + n, old[1] + w]
            cur["eh"] |= hours_from_ranges(c["event_hours"])
            cur["fh"] |= hours_from_ranges(c["file_hours"])
            cur["first_writes"] = keep_earliest([*cur["first_writes"], *c["first_writes"]], SAMPLES)
    coverage = []
    for ck in sorted(cov):
        c = cov[ck]
        eh, fh = c.pop("eh"), c.pop("fh")
        coverage.append(
            {
                **c,
                "days": dict(sorted(c["days"].items())),
                "event_hours": hours_to_ranges(eh),
                "file_hours": hours_to_ranges(fh),
            }
        )
    logins: dict[tuple[str, str, str], dict[str, Any]] = {}
    for d in docs:
        for lg in d.get("console_login_failures", []):
            lk = (lg["account_id"], lg["key_type"], lg["key"])
            cur = logins.setdefault(lk, {**lg, "minutes": {}, "events": []})
            cur["minutes"] = _merge_counts(cur["minutes"], lg["minutes"])
            cur["events"] = keep_earliest([*cur["events"], *lg["events"]], PRINCIPAL_SAMPLES)
    denied: dict[tuple[str, str], dict[str, Any]] = {}
    for d in docs:
        for dn in d.get("access_denied", []):
            dk = (dn["account_id"], dn["principal"])
            cur = denied.setdefault(dk, {**dn, "hours": {}, "total": 0, "events": []})
            cur["hours"] = _merge_counts(cur["hours"], dn["hours"])
            cur["total"] += dn["total"]
            cur["events"] = keep_earliest([*cur["events"], *dn["events"]], PRINCIPAL_SAMPLES)
    windows = [d["window"] for d in docs]
    return {
        "schema_version": EVIDENCE_SCHEMA_VERSION,
        "window": {
            "since": min(w["since"] for w in windows),
            "until": max(w["until"] for w in windows),
        },
        "sources": [s for d in docs for s in d.get("sources", [])],
        "parameters": dict(docs[0].get("parameters", {})),
        "files_read": sum(d.get("files_read", 0) for d in docs),
        "files_with_problems": sum(d.get("files_with_problems", 0) for d in docs),
        "files_unreadable": sum(d.get("files_unreadable", 0) for d in docs),
        "events_read": sum(d.get("events_read", 0) for d in docs),
        "events_outside_window": sum(d.get("events_outside_window", 0) for d in docs),
        "events_malformed": sum(d.get("events_malformed", 0) for d in docs),
        "file_problems": [p for d in docs for p in d.get("file_problems", [])],
        "coverage": coverage,
        "rules": [rules[k] for k in sorted(rules, key=str)],
        "console_login_failures": [logins[x] for x in sorted(logins)],
        "access_denied": [denied[d] for d in sorted(denied)],
        "rate_anomalies": [a for d in docs for a in d.get("rate_anomalies", [])],
        "sigma": {
            "rules": list(evaluated.values()),
            "unsupported": list(unsupported.values()),
            "correlations": list(correlations.values()),
            "matches": [sig[k] for k in sorted(sig, key=str)],
        },
    }

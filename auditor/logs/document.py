"""The evidence document from merged aggregates: ranges, rate anomalies, the JSON-ready shape.

The stream (:mod:`auditor.logs`) and the SQL engine (:mod:`auditor.logs.sql.duckdb_engine`)
both fill a :class:`~auditor.logs.aggregate.Partial` and turn it into the document here, so
the two engines share one definition of the document.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from auditor.logs import sigma as sigma_mod
from auditor.logs.aggregate import EVIDENCE_SCHEMA_VERSION, PRINCIPAL_SAMPLES, SAMPLES, Params, Partial, keep_earliest
from auditor.logs.rules import RULES


def _ranges(hours: set[str]) -> list[list[str]]:
    """Contiguous runs of hours, as [first, last] ISO hour strings."""
    out: list[list[str]] = []
    prev: datetime | None = None
    for h in sorted(hours):
        try:
            cur = datetime.strptime(h, "%Y-%m-%dT%H")
        except ValueError:
            continue
        if prev is not None and cur - prev == timedelta(hours=1):
            out[-1][1] = h
        else:
            out.append([h, h])
        prev = cur
    return [[a + ":00:00Z", b + ":00:00Z"] for a, b in out]


def anomalies(part: Partial, params: Params) -> list[dict[str, Any]]:
    """Hours whose count of one write API (or one error code) stands far above its baseline.

    Baseline per (account, region, name): the hours from that scope's first to
    last active hour, zeros included, leaving out the hour being judged
    (mean + k*stdev), with a minimum volume so that quiet APIs cannot trigger.
    """
    spans: dict[tuple[str, str], int] = {}
    for ak, hours in part.event_hours.items():
        r = _ranges(hours)
        if r:
            first = datetime.fromisoformat(r[0][0].replace("Z", "+00:00"))
            last = datetime.fromisoformat(r[-1][1].replace("Z", "+00:00"))
            spans[ak] = int((last - first).total_seconds() // 3600) + 1
    out: list[dict[str, Any]] = []
    for (kind, acct, region, name), counts in part.hourly.items():
        n_hours = spans.get((acct, region), 0)
        if n_hours < params.anomaly_min_hours:
            continue
        total = sum(counts.values())
        sq = sum(c * c for c in counts.values())
        worst: dict[str, Any] | None = None
        for hour, c in sorted(counts.items()):  # ties go to the earliest hour, whatever the merge order
            if c < params.anomaly_min_count:
                continue
            m = (total - c) / (n_hours - 1)
            var = max((sq - c * c) / (n_hours - 1) - m * m, 0.0)
            sd = math.sqrt(var)
            threshold = m + params.anomaly_k * sd
            if c > threshold and (worst is None or c - threshold > worst["excess"]):
                worst = {
                    "kind": "api_call" if kind == "call" else "api_error",
                    "account_id": acct,
                    "region": region,
                    "name": name,
                    "hour": hour + ":00:00Z",
                    "count": c,
                    "baseline_mean": round(m, 3),
                    "baseline_stdev": round(sd, 3),
                    "threshold": round(threshold, 3),
                    "baseline_hours": n_hours,
                    "excess": c - threshold,
                }
        if worst is not None:
            worst["excess"] = round(worst["excess"], 3)
            out.append(worst)
    out.sort(key=lambda a: (a["kind"], a["account_id"], a["region"], a["name"]))
    return out


def to_document(
    part: Partial,
    params: Params,
    sources: Sequence[str],
    sigma_rules: Sequence[sigma_mod.SigmaRuleSpec] = (),
    unsupported: Sequence[sigma_mod.UnsupportedRule] = (),
    correlations: Sequence[sigma_mod.CorrelationSpec] = (),
) -> dict[str, Any]:
    """The JSON-ready evidence document (what Snapshot.log_evidence holds)."""
    rule_meta = {r.id: r for r in RULES}
    rules_out = []
    for (rid, acct, region, res), b in sorted(part.rules.items()):
        r = rule_meta[rid]
        rules_out.append(
            {
                "rule_id": rid,
                "check_id": r.check_id,
                "title": r.title,
                "account_id": acct,
                "region": region,
                "resource": res or None,
                "total": b.total,
                "events": keep_earliest(b.events),
            }
        )
    sigma_meta = {s.id: s for s in sigma_rules}
    sigma_out = []
    for (sid, acct, region), b in sorted(part.sigma.items()):
        spec = sigma_meta.get(sid)
        if spec is not None and not spec.standalone:
            continue  # only a correlation's base rule (Sigma generate: false)
        sigma_out.append(
            {
                "rule_id": sid,
                "title": spec.title if spec else sid,
                "level": spec.level if spec else "",
                "account_id": acct,
                "region": region,
                "total": b.total,
                "events": keep_earliest(b.events),
            }
        )
    coverage = []
    for ak in sorted(set(part.days) | set(part.file_hours)):
        per_day = part.days.get(ak, {})
        coverage.append(
            {
                "account_id": ak[0],
                "region": ak[1],
                "events": sum(v[0] for v in per_day.values()),
                "writes": sum(v[1] for v in per_day.values()),
                "days": {d: list(v) for d, v in sorted(per_day.items())},
                "event_hours": _ranges(part.event_hours.get(ak, set())),
                "file_hours": _ranges(part.file_hours.get(ak, set())),
                "first_writes": keep_earliest(part.writes[ak].events) if ak in part.writes else [],
            }
        )
    logins = [
        {
            "account_id": a,
            "key_type": kt,
            "key": k,
            "minutes": dict(sorted(m.items())),
            "events": keep_earliest(part.login_samples[(a, kt, k)].events, PRINCIPAL_SAMPLES),
        }
        for (a, kt, k), m in sorted(part.login_failures.items())
    ]
    denied = [
        {
            "account_id": a,
            "principal": p,
            "hours": dict(sorted(h.items())),
            "total": sum(h.values()),
            "events": keep_earliest(part.denied_samples[(a, p)].events, PRINCIPAL_SAMPLES),
        }
        for (a, p), h in sorted(part.denied.items())
    ]
    corr_out, corr_problems = correlation_matches(part, correlations)
    problems = sorted([*part.problems, *corr_problems], key=lambda p: (p["path"], p["reason"]))
    return {
        "schema_version": EVIDENCE_SCHEMA_VERSION,
        "window": {"since": params.since, "until": params.until},
        "sources": list(sources),
        "parameters": {
            "max_file_bytes": params.max_bytes,
            "max_file_values": params.max_values,
            "anomaly_k": params.anomaly_k,
            "anomaly_min_count": params.anomaly_min_count,
            "anomaly_min_hours": params.anomaly_min_hours,
            "samples": SAMPLES,
        },
        "files_read": part.files_read,
        "files_with_problems": len({p["path"] for p in problems}),
        "files_unreadable": len({p["path"] for p in problems if p["kind"] == "unreadable"}),
        "events_read": part.events_read,
        "events_outside_window": part.events_outside_window,
        "events_malformed": sum(int(p.get("malformed_records", 0)) for p in problems),
        "file_problems": problems,
        "coverage": coverage,
        "rules": rules_out,
        "console_login_failures": logins,
        "access_denied": denied,
        "rate_anomalies": anomalies(part, params),
        "sigma": {
            "rules": sigma_mod.summarise_rules(sigma_rules),
            "unsupported": [u.to_dict() for u in unsupported],
            "correlations": [c.to_dict() for c in correlations],
            "matches": sigma_out + corr_out,
        },
    }


def correlation_matches(
    part: Partial, correlations: Sequence[sigma_mod.CorrelationSpec]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Sigma correlations judged over the window: matches per (rule, account, region), and problems.

    A correlation whose base-rule matches passed the bound is not judged on
    part of them: it is an unreadable problem (its checks ERROR) with the reason.
    """
    out: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    for c in correlations:
        dropped = part.correlation_dropped.get(c.id, 0)
        if dropped:
            problems.append(
                {
                    "path": f"sigma correlation {c.id}",
                    "reason": f"{dropped} base-rule matches over the bound of {sigma_mod.MAX_CORRELATION_EVENTS} "
                    "kept per correlation: not judged on part of the window",
                    "kind": "unreadable",
                    "account_id": None,
                    "region": None,
                }
            )
            continue
        per_scope: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for hit in sigma_mod.correlate(c, part.correlation.get(c.id, ())):
            per_scope.setdefault((hit["account_id"], hit["region"]), []).append(hit)
        for (acct, region), hits in sorted(per_scope.items()):
            events = keep_earliest([e for h in hits for e in h["events"]])
            out.append(
                {
                    "rule_id": c.id,
                    "title": c.title,
                    "level": c.level,
                    "account_id": acct,
                    "region": region,
                    "total": len(hits),
                    "events": events,
                    "correlation": {
                        "type": c.type,
                        "timespan_seconds": c.timespan,
                        "condition": {c.condition[0]: c.condition[1]},
                        "groups": [
                            {k: v for k, v in h.items() if k not in ("events", "account_id", "region")}
                            for h in hits[: sigma_mod.CORRELATION_GROUPS]
                        ],
                    },
                }
            )
    return out, problems

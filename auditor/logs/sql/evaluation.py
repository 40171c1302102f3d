"""Running the statements and judging their rows, the same for every engine.

Statements run through a :data:`Connection`: the embedded DuckDB connection,
or anything with ``rows(sql)`` (:class:`RowSource`, the Athena runner).
:func:`run_plan` runs the passes of :func:`~auditor.logs.sql.targets.plan`
(a counts pass and a samples pass) and fills the stream's
:class:`~auditor.logs.aggregate.Partial` from their rows: the aggregations,
each rule's matches (rows SQL decided, plus residual rows the stream's
evaluators judge) and the candidate rows of the Sigma correlations' base
rules, which :func:`feed_correlations` judges with the stream's evaluator
before the stream's :func:`~auditor.logs.sigma.correlate` judges the window.
:func:`run_rule` runs one rule's own statements (``queries``), the form
investigations and the compiler's tests use.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import duckdb
from sqlglot import exp

from auditor.logs import sigma as sigma_mod
from auditor.logs.aggregate import Bucket, Partial, keep_earliest, sample
from auditor.logs.parse import as_text, get_path
from auditor.logs.rules import Rule
from auditor.logs.sql import passes, queries
from auditor.logs.sql.compiler import compile_builtin, compile_sigma
from auditor.logs.sql.loader import TABLE, event_of
from auditor.logs.sql.targets import Candidates, Target, plan

Row = dict[str, Any]


@dataclass(frozen=True)
class RuleRun:
    """Matches of one rule per (account, region, resource)."""

    buckets: dict[tuple[str, str, str], Bucket]
    #: Why the result is incomplete (residual over the cap), or None.
    incomplete: str | None = None


@dataclass(frozen=True)
class CandidateRows:
    """A correlation base rule's candidate rows (empty when ``incomplete`` says why they were not kept)."""

    rows: list[Row]
    incomplete: str | None = None


class RowSource(Protocol):
    """Anything else that runs a statement and returns its rows (the Athena runner)."""

    def rows(self, sql: str) -> list[dict[str, Any]]:
        """The statement's rows as column -> value."""
        ...


#: Where statements run: the embedded DuckDB connection, or a remote query service.
Connection = duckdb.DuckDBPyConnection | RowSource


def fetch(con: Connection, sql: str) -> list[Row]:
    """One statement's rows as column -> value, whichever engine runs it."""
    if not isinstance(con, duckdb.DuckDBPyConnection):
        return con.rows(sql)
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _over_cap(total: int) -> str | None:
    if total <= queries.RESIDUAL_CAP:
        return None
    return f"more than {queries.RESIDUAL_CAP} rows need the stream's evaluator"


def _judge_residual(
    buckets: dict[tuple[str, str, str], Bucket],
    rows: Sequence[Row],
    judge: Callable[[dict[str, Any]], bool],
    resource_field: tuple[str, ...] | None,
) -> None:
    """Residual rows the stream's judge matches, into the buckets (keyed by the stream's resource text)."""
    for row in rows:
        ev = event_of(row)
        if not judge(ev):
            continue
        res = ""
        if resource_field is not None:
            res = as_text(get_path(ev, resource_field)) or ""  # the stream's key (aggregate.process_events)
        b = buckets.setdefault((row["_account"], row["_region"], res), Bucket())
        b.total += 1
        b.events.append(sample(ev, row["_file"], res or None))
    for b in buckets.values():
        keep_earliest(b.events)


@functools.lru_cache(maxsize=1024)
def statements(
    rule: Rule | sigma_mod.SigmaRuleSpec, scope: queries.Scope, render: Callable[[exp.Expr], str], table: str = TABLE
) -> tuple[str | None, str | None]:
    """A rule's (match, residual) statements as DuckDB text (compiled once per rule and scope).

    Raises :class:`~auditor.logs.sql.compiler.Unsupported` for a rule SQL cannot hold.
    """
    compiled = compile_builtin(rule) if isinstance(rule, Rule) else compile_sigma(rule)
    match = queries.match_query(table, compiled, scope)
    resid = queries.residual_query(table, compiled, scope)
    return None if match is None else render(match), None if resid is None else render(resid)


def run_rule(
    con: Connection,
    sql: tuple[str | None, str | None],
    judge: Callable[[dict[str, Any]], bool],
    resource_field: tuple[str, ...] | None = None,
) -> RuleRun:
    """Count and earliest samples per scope: SQL-decided rows plus residual rows the stream judges."""
    match_sql, resid_sql = sql
    buckets: dict[tuple[str, str, str], Bucket] = {}
    for row in fetch(con, match_sql) if match_sql is not None else ():
        key = (row["_account"], row["_region"], row["_resource"] or "")
        b = buckets.setdefault(key, Bucket())
        b.total = int(row["_total"])
        b.events.append(sample(event_of(row), row["_file"], key[2] or None))
    rows = fetch(con, resid_sql) if resid_sql is not None else []
    incomplete = _over_cap(len(rows))
    _judge_residual(buckets, [] if incomplete else rows, judge, resource_field)
    return RuleRun(buckets, incomplete)


def fill_counts(part: Partial, rows: Sequence[Row]) -> None:
    """The counts pass's rows into the partial: days, hours, rates, denied calls, failed logins."""
    for r in rows:
        acct, n, grouping = r["_account"], int(r["_n"]), int(r["_set"])
        if grouping == passes.COUNTS:
            region, hour = r["_region"], r["_hour"]
            ak = (acct, region)
            day = part.days.setdefault(ak, {}).setdefault(hour[:10], [0, 0])
            day[0] += n
            part.event_hours.setdefault(ak, set()).add(hour)
            if r["_write"]:
                day[1] += n
                h = part.hourly.setdefault(("call", acct, region, r["_name"]), {})
                h[hour] = h.get(hour, 0) + n
            if r["_error"] is not None:
                h = part.hourly.setdefault(("error", acct, region, r["_error"]), {})
                h[hour] = h.get(hour, 0) + n
        elif grouping == passes.DENIED:
            part.denied.setdefault((acct, r["_dkey"]), {})[r["_hour"]] = n
        elif grouping == passes.LOGIN_USER:
            part.login_failures.setdefault((acct, "user", r["_luser"]), {})[r["_minute"]] = n
        elif grouping == passes.LOGIN_IP:
            part.login_failures.setdefault((acct, "ip", r["_lip"]), {})[r["_minute"]] = n


def _residual_rows(rows_of: dict[int, list[Row]], index: int) -> tuple[list[Row], str | None]:
    """A sampler's residual rows from a samples pass, or none and why (past the cap)."""
    rows = rows_of.get(2 * index + 1, [])
    incomplete = _over_cap(int(rows[0]["_total"])) if rows else None
    return ([] if incomplete else rows), incomplete


def _sampler_run(
    rows_of: dict[int, list[Row]],
    index: int,
    judge: Callable[[dict[str, Any]], bool],
    resource_field: tuple[str, ...] | None,
) -> RuleRun:
    """One rule's matches from a samples pass: SQL-decided rows plus residual rows the stream judges."""
    buckets: dict[tuple[str, str, str], Bucket] = {}
    for row in rows_of.get(2 * index, ()):
        key = (row["_account"], row["_k1"], row["_k2"] or "")
        b = buckets.setdefault(key, Bucket())
        b.total = int(row["_total"])
        b.events.append(sample(event_of(row), row["_file"], key[2] or None))
    rows, incomplete = _residual_rows(rows_of, index)
    _judge_residual(buckets, rows, judge, resource_field)
    return RuleRun(buckets, incomplete)


def _fill_aggregation_samples(part: Partial, label: str, rows: Sequence[Row]) -> None:
    for r in rows:
        if label == passes.FIRST_WRITES:
            key: tuple[str, ...] = (r["_account"], r["_k1"])
            store: dict[Any, Bucket] = part.writes
        elif label == passes.DENIED_SAMPLES:
            key, store = (r["_account"], r["_k1"]), part.denied_samples
        else:
            kind = "user" if label == passes.LOGIN_USER_SAMPLES else "ip"
            key, store = (r["_account"], kind, r["_k1"]), part.login_samples
        store.setdefault(key, Bucket()).events.append(sample(event_of(r), r["_file"]))


#: Runs one pass (its rows, or None when it gave no result: the caller recorded why).
Guard = Callable[[passes.Pass, Callable[[], list[Row]]], list[Row] | None]


def _unguarded(_p: passes.Pass, call: Callable[[], list[Row]]) -> list[Row] | None:
    return call()


@dataclass
class PlanRun:
    """What the passes gave: each rule's run and each candidates' rows (by index; absent: its pass failed)."""

    rules: dict[int, RuleRun]
    candidates: dict[int, CandidateRows]
    #: Statements run (or refused by the guard).
    statements: int


def run_plan(
    con: Connection,
    part: Partial,
    scope: queries.Scope,
    rules: Sequence[Target],
    render: Callable[[exp.Expr], str] = queries.duckdb,
    table: str = TABLE,
    guard: Guard = _unguarded,
    candidates: Sequence[Candidates] = (),
) -> PlanRun:
    """Run every pass; fill the partial's aggregations; return each rule's run and each candidates' rows.

    A pass the guard gives no rows for leaves its parts unfilled (the caller recorded the failure).
    """
    out = PlanRun({}, {}, 0)
    n_agg = len(passes.aggregation_samplers())
    offset = 0
    planned = plan(table, scope, rules, candidates)
    for p in planned:
        sql = render(p.stmt)
        rows = guard(p, functools.partial(fetch, con, sql))
        if not p.samplers:
            if rows is not None:
                fill_counts(part, rows)
            continue
        if rows is None:
            if offset < n_agg:  # the counts stand; their samples are lost with this pass (recorded)
                for dk in part.denied:
                    part.denied_samples.setdefault(dk, Bucket())
                for lk in part.login_failures:
                    part.login_samples.setdefault(lk, Bucket())
        else:
            rows_of: dict[int, list[Row]] = {}
            for r in rows:
                rows_of.setdefault(int(r["_h"]), []).append(r)
            for i, s in enumerate(p.samplers):
                g = offset + i
                if g < n_agg:
                    _fill_aggregation_samples(part, s.label, rows_of.get(2 * i, []))
                elif g < n_agg + len(rules):
                    t = rules[g - n_agg]
                    out.rules[g - n_agg] = _sampler_run(rows_of, i, t.judge, t.resource_field)
                else:
                    got, why = _residual_rows(rows_of, i)
                    out.candidates[g - n_agg - len(rules)] = CandidateRows(got, why)
        offset += len(p.samplers)
    out.statements = len(planned)
    return out


def store_run(part: Partial, target: Target, run: RuleRun) -> None:
    """A rule's matches into the partial (built-in rules by resource, Sigma rules per scope)."""
    for (acct, region, res), b in run.buckets.items():
        if target.kind == "builtin":
            part.rules[(target.rule_id, acct, region, res)] = b
        else:
            part.sigma[(target.rule_id, acct, region)] = b


def feed_correlations(
    part: Partial,
    correlations: Sequence[sigma_mod.CorrelationSpec],
    candidates: Sequence[Candidates],
    fetched: dict[int, CandidateRows],
) -> tuple[list[sigma_mod.CorrelationSpec], list[tuple[str, str]]]:
    """Feed the correlations' base-rule matches into ``part``, as the stream's pass does.

    SQL narrowed each base rule to its candidate rows (its upper bound); the
    stream's evaluator judges every candidate here and the stream's
    :func:`~auditor.logs.sigma.correlate` judges the window (in
    :func:`~auditor.logs.document.to_document`), so every engine gives the
    stream's matches. Returns the correlations judged, and (id, why) of those
    incomplete (a base rule past the candidate cap): not judged on part of the
    window, their check ERRORs. A correlation whose candidates' pass failed is
    neither (the caller recorded the failure).
    """
    at = {c.spec.id: i for i, c in enumerate(candidates)}
    judged: list[sigma_mod.CorrelationSpec] = []
    incomplete: list[tuple[str, str]] = []
    for corr in correlations:
        got = {rid: fetched.get(at[rid]) for rid in dict.fromkeys(corr.rules)}
        if any(g is None for g in got.values()):
            continue
        over = next((rid for rid, g in got.items() if g is not None and g.incomplete), None)
        if over is not None:
            incomplete.append((corr.id, f"more than {queries.RESIDUAL_CAP} candidate rows for base rule {over}"))
        else:
            judged.append(corr)
    ok = {c.id for c in judged}
    for i, cand in enumerate(candidates):
        links = [(cid, g, v) for cid, g, v in cand.spec.feeds if cid in ok and cid in cand.correlations]
        rows = fetched[i].rows if links and i in fetched else []
        for row in rows:
            ev = event_of(row)
            if not sigma_mod.evaluate(cand.spec.node, ev):
                continue
            s = sample(ev, row["_file"])
            acct, region = row["_account"], row["_region"]
            for cid, gpaths, vpath in links:
                group = tuple(sigma_mod.group_value(ev, gp) for gp in gpaths)
                value = sigma_mod.group_value(ev, vpath) if vpath is not None else None
                part.feed_correlation(
                    cid, [(ev["eventTime"], s["eventID"] or "", cand.spec.id, group, value, acct, region, s)]
                )
    return judged, incomplete

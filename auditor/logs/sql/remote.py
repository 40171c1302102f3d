"""The SQL evidence engine over a query service (Athena): the same statements, the same judges.

Nothing here talks to AWS: :mod:`auditor.aws.athena` provides a :class:`Runner`
(start, poll, paginate, cancel) and this module runs the passes of
:mod:`~auditor.logs.sql.passes` (a counts pass and a samples pass: two scans of
the window for every rule, not one per rule) through it, rendered in the Trino
dialect, and fills the same :class:`~auditor.logs.aggregate.Partial` the DuckDB
engine fills, with the same function (:func:`~auditor.logs.sql.evaluation.run_plan`).
Sigma correlations too: their base rules' candidate rows are samplers of the
samples pass (no scan of their own), judged by the stream's evaluator and the
stream's ``correlate`` as the DuckDB engine judges them.
The evidence document, and so every check, mapping and report, is the one the
other engines give.

Two differences from the DuckDB statements, both in what a row brings back:
Athena's GetQueryResults returns every value as text, and a ROW (struct) or
ARRAY value as Trino's display text, which cannot be read back reliably. The
row-returning statements therefore name the data columns instead of ``t.*``
and cast ``useridentity``, ``tlsdetails`` and ``resources`` to JSON
(:func:`athena_statement`); the runner reads values back by their column type.

Fail closed: a statement that failed, was cancelled, timed out or passed the
scan budget raises :class:`QueryFailed`; every rule and aggregation the pass
served is then recorded under ``failed_queries`` (one entry each, the same query
id) and as an unreadable problem of every scope, so the logs-* checks ERROR with
the query id and the reason instead of judging a partial result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from typing import Any

from sqlglot import exp

from auditor.logs import LogWindow
from auditor.logs import sigma as sigma_mod
from auditor.logs.aggregate import Params, Partial
from auditor.logs.document import to_document
from auditor.logs.sql import passes, queries, schema
from auditor.logs.sql.evaluation import RowSource, feed_correlations, run_plan, store_run
from auditor.logs.sql.targets import SIGMA_CHECK, correlation_targets, plan, targets
from auditor.model.errors import AuditorError

#: Athena's on-demand price: 5 US dollars per terabyte (10**12 bytes) scanned.
USD_PER_TB = 5.0
#: Struct and array columns, returned as JSON text (their display text is not parseable).
JSON_COLUMNS = ("useridentity", "tlsdetails", "resources")


class QueryFailed(AuditorError):
    """A statement that gave no complete result: failed, cancelled, timed out or over budget."""

    def __init__(self, query_id: str | None, reason: str) -> None:
        self.query_id = query_id
        self.reason = reason
        super().__init__(f"query {query_id or '(not started)'}: {reason}")


#: Runs one statement (Trino text) and returns its rows, typed; raises :class:`QueryFailed`.
Runner = RowSource


def _projection() -> list[exp.Expr]:
    out: list[exp.Expr] = []
    for c in schema.columns():
        col = exp.column(c.name, table="t")
        if c.name in JSON_COLUMNS:
            out.append(exp.alias_(exp.cast(col, exp.DataType.build("JSON")), c.name))
        else:
            out.append(col)
    return out


def athena_statement(stmt: exp.Expr) -> exp.Expr:
    """The statement with every ``t.*`` replaced by the data columns, structs and arrays as JSON."""
    out = stmt.copy()
    for select in out.find_all(exp.Select):
        exprs = select.expressions
        if any(isinstance(e, exp.Column) and isinstance(e.this, exp.Star) and e.table == "t" for e in exprs):
            new: list[exp.Expr] = []
            for e in exprs:
                if isinstance(e, exp.Column) and isinstance(e.this, exp.Star) and e.table == "t":
                    new.extend(_projection())
                else:
                    new.append(e)
            select.set("expressions", new)
    return out


def athena_text(stmt: exp.Expr) -> str:
    """What Athena runs for one statement (Trino dialect)."""
    return athena_statement(stmt).sql(dialect="trino")


def needed_columns() -> set[str]:
    """The columns every statement may read: the documented data columns and the partitions."""
    return {c.name for c in schema.columns()} | set(schema.PARTITIONS)


@dataclass
class Failure:
    """One statement that gave no result, and what it served."""

    serves: str
    query_id: str | None
    reason: str
    #: The checks it fed (None: every check).
    checks: tuple[str, ...] | None = None


@dataclass
class RemoteRun:
    """What running the statements recorded, besides the partial."""

    failures: list[Failure] = field(default_factory=list)


def evaluate(
    runner: Runner,
    part: Partial,
    params: Params,
    scope: queries.Scope,
    table: str,
    sources: Sequence[str],
    sigma_rules: Sequence[sigma_mod.SigmaRuleSpec] = (),
    unsupported: Sequence[sigma_mod.UnsupportedRule] = (),
    render: Callable[[exp.Expr], str] = athena_text,
    refused: str | None = None,
    correlations: Sequence[sigma_mod.CorrelationSpec] = (),
) -> dict[str, Any]:
    """The evidence document, every pass run through ``runner``.

    ``part`` already holds what is known without a query (files listed, their
    delivery hours, listing problems). ``refused``: why no statement may run at all
    (a table missing columns, a scan estimate over the budget); every part is then
    a failure with that reason. A pass that fails is a failure of every part it
    serves (each rule, each aggregation, each correlation's base-rule candidates),
    with its query id; a correlation whose candidates failed is not judged.
    """
    run = RemoteRun()
    queries.table_name(table)

    def guarded(p: passes.Pass, call: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]] | None:
        if refused is not None:
            run.failures.extend(Failure(s, None, refused, c) for s, c in p.serves)
            return None
        try:
            return call()
        except QueryFailed as exc:
            run.failures.extend(Failure(s, exc.query_id, exc.reason, c) for s, c in p.serves)
            return None

    rules, kept, dropped = targets(sigma_rules, unsupported)
    runnable, cands, refused_corr = correlation_targets(correlations, rules, kept)
    dropped += refused_corr
    got = run_plan(runner, part, scope, rules, render, table, guarded, cands)
    for i, t in enumerate(rules):
        done = got.rules.get(i)
        if done is None:
            continue
        store_run(part, t, done)
        if done.incomplete:
            run.failures.append(Failure(t.label, None, done.incomplete, t.checks))
    judged, corr_incomplete = feed_correlations(part, runnable, cands, got.candidates)
    run.failures.extend(Failure(f"sigma correlation {cid}", None, why, (SIGMA_CHECK,)) for cid, why in corr_incomplete)
    doc = to_document(part, params, sources, kept, dropped, judged)
    doc["engine"] = "athena"
    #: Athena applies the window inside each statement: events outside it are never counted.
    doc["not_computed"] = ["events_outside_window"]
    doc["failed_queries"] = [{"serves": f.serves, "query_id": f.query_id, "reason": f.reason} for f in run.failures]
    for f in run.failures:
        where = f"athena query {f.query_id}" if f.query_id else "athena (no query run)"
        problem: dict[str, Any] = {
            "path": f"{where}: {f.serves}",
            "reason": f.reason,
            "kind": "unreadable",
            "account_id": None,
            "region": None,
        }
        if f.checks is not None:  # only the checks it fed ERROR; a part feeding every check: all
            problem["checks"] = list(f.checks)
        doc["file_problems"].append(problem)
    doc["files_with_problems"] = len({p["path"] for p in doc["file_problems"]})
    doc["files_unreadable"] = len({p["path"] for p in doc["file_problems"] if p["kind"] == "unreadable"})
    return doc


def planned(
    scope: queries.Scope,
    table: str,
    sigma_rules: Sequence[sigma_mod.SigmaRuleSpec] = (),
    correlations: Sequence[sigma_mod.CorrelationSpec] = (),
) -> tuple[list[passes.Pass], list[sigma_mod.UnsupportedRule]]:
    """The statements :func:`evaluate` runs, in order, and the Sigma rules and correlations SQL cannot hold."""
    rules, kept, dropped = targets(sigma_rules)
    _, cands, refused = correlation_targets(correlations, rules, kept)
    return plan(table, scope, rules, cands), dropped + refused


def statement_count(
    scope: queries.Scope,
    table: str,
    sigma_rules: Sequence[sigma_mod.SigmaRuleSpec] = (),
    correlations: Sequence[sigma_mod.CorrelationSpec] = (),
) -> int:
    """How many statements :func:`evaluate` runs: each one scans the window's objects once."""
    return len(planned(scope, table, sigma_rules, correlations)[0])


def window_text(window: LogWindow) -> tuple[str, str]:
    """The window as the stream's Params holds it (until rounded up to a whole second)."""
    until = window.until + timedelta(microseconds=(1_000_000 - window.until.microsecond) % 1_000_000)
    return (
        window.since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def cost_usd(scanned_bytes: int) -> float:
    """Athena's on-demand price for bytes scanned (USD_PER_TB per 10**12 bytes)."""
    return round(scanned_bytes / 1e12 * USD_PER_TB, 6)

"""The statements both SQL engines run, built once as Trino ASTs.

Athena runs the Trino rendering; the DuckDB engine runs the same statement
transpiled by sqlglot (Trino -> DuckDB), so the local engine is the
executable twin of what Athena would run. Every statement restricts the
projected ``day`` partition to the window (one day of margin each side: a
file's key date is its delivery date, which may differ from an event's
date near midnight) and, when a scope is given, ``account`` and ``region``
to it; the exact window is then applied to ``eventtime`` as the stream does
(ISO text compared as text: since inclusive, until exclusive).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlglot
from sqlglot import exp

from auditor.logs.aggregate import SAMPLES
from auditor.logs.sql.compiler import FALSE, CompiledRule, and_, lit, not_
from auditor.model.errors import AuditorError

#: The scope an event belongs to, as :func:`auditor.logs.aggregate.scope_of` decides it
#: (the partitions stand for the account and region in the file's name).
ACCOUNT_SQL = (
    "COALESCE(NULLIF(recipientaccountid, ''), NULLIF(useridentity.accountid, ''), NULLIF(account, ''), 'unknown')"
)
REGION_SQL = "COALESCE(NULLIF(awsregion, ''), NULLIF(region, ''), 'unknown')"
#: Most residual rows fetched for one rule; more makes the rule's result incomplete (ERROR).
RESIDUAL_CAP = 100_000


@dataclass(frozen=True)
class Scope:
    """What a query may read: the window and, optionally, accounts and regions."""

    since: str
    until: str
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()


def _day(iso: str, delta: int) -> str:
    d = datetime.strptime(iso[:10], "%Y-%m-%d") + timedelta(days=delta)
    return d.strftime("%Y/%m/%d")


def scope_predicate(scope: Scope) -> exp.Expr:
    """Partition pruning plus the exact event-time window."""
    parts = [
        f"day >= {lit(_day(scope.since, -1))}",
        f"day <= {lit(_day(scope.until, 1))}",
        f"eventtime >= {lit(scope.since)}",
        f"eventtime < {lit(scope.until)}",
    ]
    if scope.accounts:
        parts.append(f"account IN ({', '.join(lit(a) for a in scope.accounts)})")
    if scope.regions:
        parts.append(f"region IN ({', '.join(lit(r) for r in scope.regions)})")
    return sqlglot.parse_one(" AND ".join(parts), read="trino")


def _resource(rule: CompiledRule) -> tuple[str, exp.Expr]:
    if rule.resource is None:
        return "''", FALSE
    value, amb = rule.resource
    return value.sql(dialect="trino"), amb


_TABLE_PART = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def table_name(name: str) -> str:
    """A ``[catalog.][db.]table`` name checked to be plain identifiers (it is pasted into SQL)."""
    parts = name.split(".")
    if not 1 <= len(parts) <= 3 or not all(_TABLE_PART.match(p) for p in parts):
        raise AuditorError(f"table name {name!r}: expected DB.TABLE made of letters, digits and _")
    return name


_WHERE = "__where__"


@functools.lru_cache(maxsize=64)
def _template(kind: str, table: str, res: str) -> exp.Expr:
    """A statement with a placeholder for its condition (parsed once per table and resource)."""
    keys = "_account, _region, _resource"
    if kind == "match":
        text = f"""
        SELECT * FROM (
          SELECT m.*,
                 count(*) OVER (PARTITION BY {keys}) AS _total,
                 row_number() OVER (PARTITION BY {keys} ORDER BY eventtime, COALESCE(eventid, '')) AS _rn
          FROM (
            SELECT t.*, "$path" AS _file, {ACCOUNT_SQL} AS _account, {REGION_SQL} AS _region, {res} AS _resource
            FROM {table} AS t
            WHERE {_WHERE}
          ) AS m
        ) AS ranked
        WHERE _rn <= {SAMPLES}
        ORDER BY {keys}, _rn
        """  # noqa: S608
    else:
        text = f"""
        SELECT t.*, "$path" AS _file, {ACCOUNT_SQL} AS _account, {REGION_SQL} AS _region
        FROM {table} AS t
        WHERE {_WHERE}
        ORDER BY eventtime, COALESCE(eventid, '')
        LIMIT {RESIDUAL_CAP + 1}
        """  # noqa: S608
    return sqlglot.parse_one(text, read="trino")


def _statement(kind: str, table: str, res: str, cond: exp.Expr) -> exp.Expr:
    # every value in the statement is a literal quoted by sqlglot; the table name is checked
    stmt = _template(kind, table_name(table), res).copy()
    for col in stmt.find_all(exp.Column):
        if col.name == _WHERE:
            col.replace(cond)
            break
    return stmt


def match_query(table: str, rule: CompiledRule, scope: Scope) -> exp.Expr | None:
    """Count and earliest samples per account, region (and resource) of the rows SQL decides.

    None when SQL decides no row by itself (every candidate is residual).
    """
    res, amb = _resource(rule)
    decided = and_(rule.bounds.lower, not_(amb))
    if decided.sql() == FALSE.sql():
        return None
    return _statement("match", table, res, and_(scope_predicate(scope), decided))


def residual_query(table: str, rule: CompiledRule, scope: Scope) -> exp.Expr | None:
    """The rows only the stream's evaluator can decide (None when SQL decides every row).

    At most :data:`RESIDUAL_CAP` + 1 rows: one more than the cap says the cap was passed.
    """
    _, amb = _resource(rule)
    decided = and_(rule.bounds.lower, not_(amb))
    undecided = and_(rule.bounds.upper, not_(decided))
    if undecided.sql() == FALSE.sql():
        return None
    return _statement("residual", table, "''", and_(scope_predicate(scope), undecided))


def candidates_query(table: str, rule: CompiledRule, scope: Scope) -> exp.Expr:
    """Every row the rule may match (its upper bound), earliest first, at most RESIDUAL_CAP + 1.

    For investigations (``trail-auditor query --sigma``): the caller keeps the rows the
    stream's evaluator matches, so the result is exact.
    """
    return _statement("residual", table, "''", and_(scope_predicate(scope), rule.bounds.upper))


def rule_statements(table: str, rules: Sequence[CompiledRule], scope: Scope) -> list[tuple[str, str, exp.Expr]]:
    """Every statement the rules need: (rule id, "match" or "residual", AST)."""
    out: list[tuple[str, str, exp.Expr]] = []
    for r in rules:
        match = match_query(table, r, scope)
        if match is not None:
            out.append((r.rule_id, "match", match))
        resid = residual_query(table, r, scope)
        if resid is not None:
            out.append((r.rule_id, "residual", resid))
    return out


def trino(stmt: exp.Expr) -> str:
    """The Athena (Trino) text of a statement."""
    return stmt.sql(dialect="trino")


def duckdb(stmt: exp.Expr) -> str:
    """The same AST rendered for DuckDB (tests hold it equal in effect to transpiling the Trino text)."""
    return stmt.sql(dialect="duckdb")


def duckdb_from_trino(text: str) -> str:
    """Trino text transpiled to DuckDB: how tests execute exactly what Athena would run."""
    return str(sqlglot.transpile(text, read="trino", write="duckdb")[0])


def via_trino(stmt: exp.Expr) -> str:
    """A statement's Trino text, parsed back by the Trino parser and transpiled to DuckDB."""
    return duckdb_from_trino(trino(stmt))

"""Investigations (`trail-auditor query`): one read-only statement over the window's events.

A user writes a single SELECT against the table name ``cloudtrail``; each
reference to it is replaced by a subquery over the real table restricted by
the same scope predicate every engine statement carries (day partitions of
the window, the accounts and regions, the exact event-time window), so a
query costs what its window costs on Athena and reads exactly the window
locally. Anything but one SELECT (DDL, INSERT, several statements) is refused
before it reaches an engine. A Sigma rule becomes the rows its SQL bounds may
match; the stream's evaluator then decides each row (:func:`sigma_candidates`).
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from auditor.logs.sigma import SigmaRuleSpec
from auditor.logs.sql import queries
from auditor.logs.sql.compiler import compile_sigma
from auditor.model.errors import AuditorError

#: The table name investigations are written against, on either engine.
NAME = "cloudtrail"
#: Most rows a Sigma investigation judges (one more says the cap was passed).
SIGMA_CAP = queries.RESIDUAL_CAP


def parse_select(sql: str) -> exp.Expr:
    """One SELECT (or WITH ... SELECT, UNION) statement in Trino syntax, else AuditorError."""
    try:
        parsed = [s for s in sqlglot.parse(sql, read="trino") if s is not None]
    except ParseError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "syntax error"
        raise AuditorError(f"SQL: cannot parse ({first})") from None
    if len(parsed) != 1:
        raise AuditorError(f"SQL: give exactly one statement (got {len(parsed)})")
    stmt = parsed[0]
    if not isinstance(stmt, exp.Query):
        raise AuditorError(f"SQL: only a SELECT is run (got {stmt.key.upper()})")
    for node in stmt.walk():
        if isinstance(node, exp.DDL | exp.DML | exp.Command):
            raise AuditorError(f"SQL: only a SELECT is run (found {node.key.upper()})")
    if not any(t.name == NAME and not t.db for t in stmt.find_all(exp.Table)):
        raise AuditorError("SQL: read the events from the table named " + NAME)
    return stmt


def windowed(sql: str, table: str, scope: queries.Scope) -> exp.Expr:
    """The statement with every ``cloudtrail`` reference the window's rows of ``table``."""
    stmt = parse_select(sql)
    queries.table_name(table)
    inner = sqlglot.parse_one(f"SELECT * FROM {table} WHERE TRUE", read="trino")  # noqa: S608 - checked name
    inner.set("where", exp.Where(this=queries.scope_predicate(scope)))
    for t in list(stmt.find_all(exp.Table)):
        if t.name == NAME and not t.db:
            alias = t.alias or NAME
            t.replace(exp.Subquery(this=inner.copy(), alias=exp.TableAlias(this=exp.to_identifier(alias))))
    return stmt


def sigma_candidates(spec: SigmaRuleSpec, table: str, scope: queries.Scope) -> exp.Expr:
    """Every row the rule may match (its SQL upper bound) in the window, earliest first, capped.

    Rows come back as the residual statement's rows (``t.*``, ``_file``, ``_account``,
    ``_region``); the caller keeps those the stream's evaluator matches.
    """
    rule = compile_sigma(spec)
    return queries.candidates_query(table, rule, scope)

"""--explain text: Trino statements, one per query, each restricted to the window and the scope."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from auditor.logs.rules import RULES
from auditor.logs.sql import passes, queries
from auditor.logs.sql.compiler import compile_builtin
from auditor.logs.sql.explain import explain

SCOPE = queries.Scope("2026-10-21T00:00:00Z", "2026-11-20T00:00:00Z", ("111111111111",), ("us-east-1", "eu-west-1"))


def _statements(text: str) -> list[exp.Expr]:
    return [s for s in sqlglot.parse(text, read="trino") if s is not None]


def test_one_terminated_statement_per_query_and_every_one_parses_as_trino() -> None:
    text = explain("db.cloudtrail", SCOPE)
    stmts = _statements(text)
    expected = len(passes.plan("t", SCOPE, [(r.id, compile_builtin(r)) for r in RULES]))
    assert len(stmts) == expected == text.count(";\n") == 2, "a counts pass and one samples pass"
    assert all(isinstance(s, exp.Select) for s in stmts)
    assert "-- 2 statements, each one scan of the window's objects" in text
    for r in RULES:  # every rule is named beside the statement that evaluates it
        assert "sampler" in text and f"rule {r.id} ({r.check_id})" in text


def test_every_statement_prunes_day_to_the_window_and_account_region_to_the_scope() -> None:
    for stmt in _statements(explain("db.cloudtrail", SCOPE, pretty=False)):
        sql = stmt.sql(dialect="trino")
        assert "day >= '2026/10/20'" in sql and "day <= '2026/11/21'" in sql
        assert "eventtime >= '2026-10-21T00:00:00Z'" in sql and "eventtime < '2026-11-20T00:00:00Z'" in sql
        assert "account IN ('111111111111')" in sql
        assert "region IN ('us-east-1', 'eu-west-1')" in sql
        assert "FROM db.cloudtrail" in sql


def test_a_hostile_rule_title_cannot_leave_its_comment() -> None:
    from auditor.logs.sql.explain import _comment

    assert _comment("x\nDROP TABLE t; --") == "-- x DROP TABLE t; --"

"""--explain text: the Trino statements the Athena engine runs, one per query, restricted to the window and scope."""

from __future__ import annotations

import shutil

import sqlglot
from sqlglot import exp

from auditor.aws.athena import remote_window
from auditor.logs import sigma as sigma_mod
from auditor.logs.rules import RULES
from auditor.logs.sql import passes, queries
from auditor.logs.sql.compiler import compile_builtin
from auditor.logs.sql.explain import explain
from tests.logs.sql.conftest import Athena
from tests.logs.sql.moto_athena import ACCOUNT, REGION, TABLE, WINDOW

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


DEMO_BURST = "c749db28-d954-4206-af05-a29fed8b68bf"


def _demo_rules() -> sigma_mod.Ruleset:
    from auditor.app.demo import demo_rules_dir

    return sigma_mod.load_ruleset(demo_rules_dir())


def test_every_sampler_is_named_sigma_rules_correlations_and_evidence_samples_included() -> None:
    text = explain("db.cloudtrail", SCOPE, _demo_rules())
    assert len(_statements(text)) == 2
    for label in (passes.FIRST_WRITES, passes.DENIED_SAMPLES, passes.LOGIN_USER_SAMPLES, passes.LOGIN_IP_SAMPLES):
        assert f": {label}\n" in text, label
    assert f"-- {passes.COUNTS_LABEL}" not in text and f"GROUPING SETS: {passes.COUNTS_LABEL}\n" in text
    assert "sigma a22a925b-091e-46d6-b8f4-620f509669a3 (logs-sigma-matches)" in text
    assert f"sigma correlation {DEMO_BURST}: base rule a22a925b-091e-46d6-b8f4-620f509669a3 candidates" in text
    # the value_sum correlation is not run, and says why
    assert (
        "sigma 5b8f3c1e-7d0a-4a43-9f0e-2c6d1e8b7a90 (denied_secrets_burst.yml): not run: correlation type value_sum"
        in (text)
    )


def test_the_statements_are_exactly_those_the_athena_engine_runs(athena: Athena) -> None:
    """Sigma rules and a correlation loaded: what --explain prints is what Athena received, in order."""
    from auditor.app.demo import demo_rules_dir

    shutil.copytree(demo_rules_dir(), athena.rules, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.py", "_*"))
    doc = athena.read()
    assert doc["failed_queries"] == [] and DEMO_BURST in {c["id"] for c in doc["sigma"]["correlations"]}
    scope = queries.Scope(*remote_window(WINDOW), (ACCOUNT,), (REGION,))
    text = explain(TABLE, scope, sigma_mod.load_ruleset(athena.rules), pretty=False)
    printed = [line.removesuffix(";") for line in text.splitlines() if line and not line.startswith("--")]
    assert printed == athena.started and len(printed) == 2

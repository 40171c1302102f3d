"""The rule compiler: what compiles exactly, what goes to the residual, what is refused and why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlglot

from auditor.logs.aggregate import Params
from auditor.logs.rules import RULES, Rule
from auditor.logs.sql import duckdb_engine, queries
from auditor.logs.sql.compiler import Unsupported, compile_builtin, compile_pattern_expr
from auditor.semantics.filterpattern import compile_pattern

PARAMS = Params(since="2026-01-01T00:00:00Z", until="2026-02-01T00:00:00Z")
SCOPE = queries.Scope(PARAMS.since, PARAMS.until)


def _sql_matches(tmp_path: Path, pattern: str, values: list[Any], render: Any) -> list[bool]:
    """Which events (requestParameters.name = value) the compiled pattern matches in DuckDB."""
    evs = [
        {
            "eventTime": "2026-01-05T10:00:00Z",
            "eventName": "X",
            "eventSource": "s",
            "eventID": f"e{i}",
            "requestParameters": {"name": v},
        }
        for i, v in enumerate(values)
    ]
    (tmp_path / "logs.json").write_text(json.dumps({"Records": evs}))
    rule = Rule("probe", "logs-probe", "probe", pattern)
    loaded = duckdb_engine.load(tmp_path, PARAMS)
    run = duckdb_engine.run_rule(
        loaded.con, duckdb_engine.statements(rule, SCOPE, render), duckdb_engine.builtin_judge(rule)
    )
    hit = {e["eventID"] for b in run.buckets.values() for e in b.events}
    return [f"e{i}" in hit for i in range(len(values))]


@pytest.mark.parametrize("render", [queries.duckdb, queries.via_trino])
@pytest.mark.parametrize(
    "pattern",
    [
        '{ $.requestParameters.name = "a_b*" }',
        '{ $.requestParameters.name = "*%*" }',
        '{ $.requestParameters.name = "a\\\\*" }',
        '{ $.requestParameters.name != "a*" }',
        "{ $.requestParameters.name = 5 }",
        "{ $.requestParameters.name > 4 }",
        "{ $.requestParameters.name IS NULL }",
        "{ $.requestParameters.name IS TRUE }",
        "{ $.requestParameters.name NOT EXISTS }",
    ],
)
def test_cis_wildcards_numbers_and_missing_fields_match_as_in_the_stream(
    tmp_path: Path, pattern: str, render: Any
) -> None:
    values = ["a_b", "axb", "a_bzz", "a%b", "%", "a\\", "a\\x", "A_B", 5, 5.0, 1.5, 4, "5", True, None, [5], {}]
    want = [compile_pattern(pattern).matches({"requestParameters": {"name": v}}) for v in values]
    assert _sql_matches(tmp_path, pattern, values, render) == want


def test_builtin_rules_all_compile_and_pure_pattern_rules_need_no_residual() -> None:
    exact = {r.id for r in RULES if compile_builtin(r).exact}
    assert exact == {"trail-tampering", "cis-4.4", "cis-4.10", "cis-4.11", "cis-4.12", "cis-4.13", "cis-4.14"}
    # predicates (Python over a policy document) and resource fields that may hold non-strings go residual
    assert not compile_builtin(next(r for r in RULES if r.id == "inline-star-policy")).exact


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ('{ $.status = "x" }', "'status' is not a column of the Athena CloudTrail table"),
        ('{ $.resources[0].ARN = "x" }', "array indexes"),
        ("{ $.eventName = 5 }", "a number compared with the STRING column eventname"),
        ("{ $.requestParameters NOT EXISTS }", "existence of a JSON-text column as a whole"),
        ('{ $.userIdentity.credentialId = "x" }', "not a field of the table's userIdentity struct"),
        ("{ $.errorCode IS NULL }", "holds no JSON null or boolean"),
        ('{ $.requestParameters.a-b = "x" }', "not a plain identifier"),
    ],
)
def test_what_the_table_cannot_hold_is_refused_with_the_reason(pattern: str, reason: str) -> None:
    with pytest.raises(Unsupported) as info:
        compile_pattern_expr(compile_pattern(pattern).root)
    assert reason in info.value.reason


def test_trino_text_parses_back_to_the_same_statement() -> None:
    for r in RULES:
        c = compile_builtin(r)
        for _, _, stmt in queries.rule_statements("db.cloudtrail", [c], SCOPE):
            text = queries.trino(stmt)
            assert sqlglot.parse_one(text, read="trino").sql(dialect="trino") == text


def test_a_table_name_that_is_not_plain_identifiers_is_refused() -> None:
    from auditor.model.errors import AuditorError

    with pytest.raises(AuditorError, match="table name"):
        queries.match_query("db.t; DROP TABLE x", compile_builtin(RULES[0]), SCOPE)

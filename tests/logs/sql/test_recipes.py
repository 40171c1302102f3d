"""The investigation recipes of docs/sql-engine.md run, and find what they say they find."""

from __future__ import annotations

import re
from pathlib import Path

from auditor.logs.aggregate import Params
from auditor.logs.sql import adhoc, duckdb_engine, queries
from tests.logs.factory import FIXTURES

DOC = Path(__file__).resolve().parents[3] / "docs" / "sql-engine.md"


def test_every_recipe_runs_on_duckdb_and_finds_rows() -> None:
    recipes = re.findall(r"```sql\n(.*?)```", DOC.read_text().split("### Recipes", 1)[1], re.S)
    assert len(recipes) == 3
    since, until = "2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z"
    loaded = duckdb_engine.load(FIXTURES / "invictus" / "CloudTrail", Params(since, until))
    try:
        for sql in recipes:
            stmt = adhoc.windowed(sql, duckdb_engine.TABLE, queries.Scope(since, until))
            rows = loaded.con.execute(queries.via_trino(stmt)).fetchall()
            assert rows, sql
    finally:
        loaded.con.close()

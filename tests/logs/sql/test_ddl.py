"""athena-ddl: the CloudTrail table with partition projection over account, region and day."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from auditor.logs.sql import duckdb_engine, schema
from auditor.logs.sql.ddl import athena_ddl
from auditor.model.errors import AuditorError


def _properties(ddl: str) -> dict[str, str]:
    tree = sqlglot.parse_one(ddl.strip().rstrip(";"), read="athena")
    assert isinstance(tree, exp.Create) and tree.kind == "TABLE"
    out = {}
    for p in tree.find_all(exp.Property):
        if type(p) is exp.Property and isinstance(p.this, exp.Literal):
            out[p.this.this] = p.args["value"].this
    return out


def test_org_trail_location_template_reaches_account_region_and_day() -> None:
    ddl = athena_ddl("trail-bucket", "/logs/", "o-abcdefghij", ["111111111111", "222222222222"], ["eu-west-1"])
    props = _properties(ddl)
    assert props["storage.location.template"] == (
        "s3://trail-bucket/logs/AWSLogs/o-abcdefghij/${account}/CloudTrail/${region}/${day}"
    )
    assert "LOCATION 's3://trail-bucket/logs/AWSLogs/o-abcdefghij/'" in ddl
    assert props["projection.enabled"] == "true"
    assert props["projection.account.type"] == "enum"
    assert props["projection.account.values"] == "111111111111,222222222222"
    assert props["projection.region.values"] == "eu-west-1"
    assert props["projection.day.type"] == "date"
    assert props["projection.day.format"] == "yyyy/MM/dd"
    assert props["projection.day.range"] == "2013/11/01,NOW"


def test_without_accounts_or_regions_the_projection_is_injected() -> None:
    props = _properties(athena_ddl("trail-bucket"))
    assert props["projection.account.type"] == "injected"
    assert props["projection.region.type"] == "injected"
    assert props["storage.location.template"] == "s3://trail-bucket/AWSLogs/${account}/CloudTrail/${region}/${day}"


def test_columns_are_the_documented_cloudtrail_types_and_the_duckdb_twin_has_the_same() -> None:
    tree = sqlglot.parse_one(athena_ddl("trail-bucket").strip().rstrip(";"), read="athena")
    partitions = tree.find(exp.PartitionedByProperty)
    assert partitions is not None
    names = [c.name for c in tree.this.expressions] + [c.name for c in partitions.this.expressions]
    data = [c.name for c in schema.columns()]
    assert names == [*data, "account", "region", "day"]
    types = {c.name: c.athena for c in schema.columns()}
    for json_text in ("requestparameters", "responseelements", "additionaleventdata", "serviceeventdetails"):
        assert types[json_text] == "STRING"
    assert types["useridentity"].startswith("STRUCT<type:STRING")
    assert types["resources"].startswith("ARRAY<STRUCT<")
    assert set(duckdb_engine._duck_columns()) == {*data, "account", "region", "day", "$path"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bucket": "Bad_Bucket"}, "--bucket"),
        ({"bucket": "b-1", "prefix": "x' ) DROP"}, "--prefix"),
        ({"bucket": "b-1", "org_id": "org"}, "--org-id"),
        ({"bucket": "b-1", "accounts": ["12"]}, "--accounts"),
        ({"bucket": "b-1", "regions": ["us-east-1'"]}, "--regions"),
        ({"bucket": "b-1", "table": "t;x"}, "table name"),
    ],
)
def test_options_that_would_break_the_statement_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(AuditorError, match=message):
        athena_ddl(**kwargs)  # type: ignore[arg-type]

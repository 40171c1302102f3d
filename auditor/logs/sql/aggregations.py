"""The aggregations behind the continuity, rate, denied-call and failed-login checks, as SQL.

Each statement returns small results (counts per key and hour, and the
earliest samples per key), from which the engine fills the same
:class:`~auditor.logs.aggregate.Partial` fields the stream fills, so
:func:`~auditor.logs.document.to_document` (ranges, anomalies) is shared.
Definitions follow :func:`auditor.logs.aggregate.process_events`:

* a write: ``readOnly`` false, or absent and the API verb not a read verb;
  AWS service events excluded;
* an error: a non-empty ``errorCode``; denied: an error matching the CIS 4.1
  pattern (compiled by the same compiler as every rule);
* a failed console login: ``responseElements.ConsoleLogin`` the string
  ``Failure`` or ``errorMessage`` "Failed authentication", keyed by user and
  by source IP (``None`` when absent, as the stream writes ``str(None)``).
"""

from __future__ import annotations

import functools

import sqlglot
from sqlglot import exp

from auditor.logs.aggregate import _READ_PREFIXES, PRINCIPAL_SAMPLES, SAMPLES
from auditor.logs.sql.compiler import compile_pattern_expr, lit
from auditor.logs.sql.queries import ACCOUNT_SQL, REGION_SQL, Scope, scope_predicate, table_name
from auditor.semantics import cis

WRITE_SQL = (
    f"(COALESCE(readonly = 'false', FALSE) OR (readonly IS NULL AND NOT regexp_like(eventname, "
    f"{lit('^(' + '|'.join(_READ_PREFIXES) + ')')}))) AND COALESCE(eventtype <> 'AwsServiceEvent', TRUE)"
)
ERROR_SQL = "COALESCE(errorcode <> '', FALSE)"
PRINCIPAL_SQL = ("COALESCE(NULLIF(useridentity.arn, ''), NULLIF(useridentity.principalid, ''), "
                 "NULLIF(useridentity.type, ''), 'unknown')")
LOGIN_USER_SQL = ("COALESCE(NULLIF(useridentity.username, ''), NULLIF(useridentity.arn, ''), "
                  "NULLIF(useridentity.principalid, ''), 'unknown')")
LOGIN_FAILED_SQL = (
    "eventname = 'ConsoleLogin' AND (COALESCE(json_format(json_extract(responseelements, '$.ConsoleLogin')) "
    "= '\"Failure\"', FALSE) OR COALESCE(errormessage = 'Failed authentication', FALSE))"
)


@functools.lru_cache(maxsize=1)
def denied_sql() -> str:
    """CIS 4.1 (unauthorized API calls) as SQL; it needs no residual (held by a test)."""
    bounds = compile_pattern_expr(cis.compiled_intent(cis.item_by_number("4.1")).root)
    if not bounds.exact:  # pragma: no cover - the pattern only compares STRING columns
        raise AssertionError("CIS 4.1 must compile exactly")
    return bounds.lower.sql(dialect="trino")


def _parse(text: str) -> exp.Expr:
    return sqlglot.parse_one(text, read="trino")


def counts_query(table: str, scope: Scope) -> exp.Expr:
    """Events per scope, hour, API name, error code and write flag (days, hours, rates).

    Ordered by hour: the anomaly judge keeps the first of equally excessive hours, so
    the earliest one wins (the stream's own choice depends on file and merge order).
    """
    where = scope_predicate(scope).sql(dialect="trino")
    return _parse(f"""
    SELECT {ACCOUNT_SQL} AS _account, {REGION_SQL} AS _region, substr(eventtime, 1, 13) AS _hour,
           eventname AS _name, CASE WHEN {ERROR_SQL} THEN errorcode END AS _error,
           ({WRITE_SQL}) AS _write, count(*) AS _n
    FROM {table_name(table)}
    WHERE {where}
    GROUP BY 1, 2, 3, 4, 5, 6
    ORDER BY 3, 1, 2, 4, 5, 6
    """)  # noqa: S608


def samples_query(table: str, scope: Scope, cond: str, keys: dict[str, str], limit: int) -> exp.Expr:
    """The earliest ``limit`` rows per key where ``cond`` holds (keys: alias -> SQL)."""
    where = scope_predicate(scope).sql(dialect="trino")
    cols = ", ".join(f"{sql} AS {alias}" for alias, sql in keys.items())
    part = ", ".join(keys)
    return _parse(f"""
    SELECT * FROM (
      SELECT m.*, row_number() OVER (PARTITION BY {part} ORDER BY eventtime, COALESCE(eventid, '')) AS _rn
      FROM (SELECT t.*, "$path" AS _file, {cols} FROM {table_name(table)} AS t WHERE {where} AND ({cond})) AS m
    ) AS ranked
    WHERE _rn <= {limit}
    ORDER BY {part}, _rn
    """)  # noqa: S608


def grouped_query(table: str, scope: Scope, cond: str, keys: dict[str, str]) -> exp.Expr:
    """Counts per key where ``cond`` holds."""
    where = scope_predicate(scope).sql(dialect="trino")
    cols = ", ".join(f"{sql} AS {alias}" for alias, sql in keys.items())
    groups = ", ".join(str(i + 1) for i in range(len(keys)))
    return _parse(f"""
    SELECT {cols}, count(*) AS _n FROM {table_name(table)} WHERE {where} AND ({cond}) GROUP BY {groups}
    """)  # noqa: S608


def statements(table: str, scope: Scope) -> list[tuple[str, exp.Expr]]:
    """Every aggregation statement: (name, AST)."""
    denied = f"{ERROR_SQL} AND ({denied_sql()})"
    login_keys = {
        "user": {"_account": ACCOUNT_SQL, "_key": LOGIN_USER_SQL},
        "ip": {"_account": ACCOUNT_SQL, "_key": "COALESCE(sourceipaddress, 'None')"},
    }
    out = [
        ("counts", counts_query(table, scope)),
        ("first_writes", samples_query(table, scope, WRITE_SQL,
                                       {"_account": ACCOUNT_SQL, "_region": REGION_SQL}, SAMPLES)),
        ("denied_hours", grouped_query(table, scope, denied, {
            "_account": ACCOUNT_SQL, "_key": PRINCIPAL_SQL, "_hour": "substr(eventtime, 1, 13)"})),
        ("denied_samples", samples_query(table, scope, denied, {"_account": ACCOUNT_SQL, "_key": PRINCIPAL_SQL},
                                         PRINCIPAL_SAMPLES)),
    ]
    for kind, keys in login_keys.items():
        out.append((f"login_{kind}_minutes", grouped_query(
            table, scope, LOGIN_FAILED_SQL, {**keys, "_minute": "substr(eventtime, 1, 16)"})))
        out.append((f"login_{kind}_samples", samples_query(table, scope, LOGIN_FAILED_SQL, keys, PRINCIPAL_SAMPLES)))
    return out

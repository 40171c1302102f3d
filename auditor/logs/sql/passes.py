"""The evidence statements folded into as few scans of the window as possible.

The CloudTrail SerDe reads whole objects: every statement over the table scans
every object under the window's partitions, whatever it selects. So a run does
not issue one statement per rule; it issues

* one **counts** pass: a single SELECT with GROUPING SETS (one scan) giving the
  events per account, region, hour, API name, error code and write flag
  (continuity, rates), the denied calls per principal and hour, and the failed
  console logins per user and per source IP and minute;
* one **samples** pass (or a few, when the rules' SQL would pass Athena's
  statement-length limit): every *sampler* evaluated on each row. A sampler is
  a condition and the keys its matches are counted and sampled by: a rule
  (built-in or Sigma: account, region, resource; the earliest 50), the writes
  (account, region; 50), the denied calls (account, principal; 10), the failed
  logins (account, user or source IP; 10). Each row is flagged with the ids of
  the samplers it feeds (``CROSS JOIN UNNEST`` of an array of ids, NULL where
  the sampler does not hold), and window functions give each id's count and its
  earliest rows per key (``row_number() OVER (PARTITION BY id, keys ORDER BY
  eventtime, eventid)``). A rule's residual (rows only the stream's evaluator
  can decide) is a second id of the same sampler, counted and capped per rule.

Everything is built as Trino ASTs, so Athena runs the Trino rendering and the
DuckDB engine the same statement transpiled: one SQL, two dialects. The
conditions are the ones :mod:`~auditor.logs.sql.queries` and
:mod:`~auditor.logs.sql.aggregations` define (one compiler, nothing written twice).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from auditor.logs.aggregate import PRINCIPAL_SAMPLES, SAMPLES
from auditor.logs.sql import queries, schema
from auditor.logs.sql.aggregations import (
    ERROR_SQL,
    LOGIN_FAILED_SQL,
    LOGIN_USER_SQL,
    PRINCIPAL_SQL,
    WRITE_SQL,
    denied_sql,
)
from auditor.logs.sql.compiler import FALSE, CompiledRule, and_, not_
from auditor.logs.sql.queries import ACCOUNT_SQL, REGION_SQL, Scope, scope_predicate, table_name

#: Athena refuses a query string longer than 262,144 bytes; a samples pass is cut below this.
MAX_STATEMENT_BYTES = 240_000
#: What one pass's SQL costs besides the samplers' conditions (the skeleton, the column lists).
_OVERHEAD = 6_000
_IP_SQL = "COALESCE(sourceipaddress, 'None')"


@dataclass(frozen=True)
class Sampler:
    """One condition whose matching rows are counted and sampled per (account, key1, key2).

    ``label`` says what it serves (a rule, or an aggregation's samples);
    ``undecided`` the rows only the stream's evaluator can decide (FALSE: none).
    """

    label: str
    decided: exp.Expr
    undecided: exp.Expr
    key1: str
    key2: str
    limit: int
    #: The checks the sampler's rows feed (None: every check).
    checks: tuple[str, ...] | None = None


def _parse(text: str) -> exp.Expr:
    return sqlglot.parse_one(text, read="trino")


def rule_sampler(label: str, rule: CompiledRule, checks: tuple[str, ...] | None = None) -> Sampler:
    """A compiled rule as a sampler: matches per account, region and resource, the earliest 50."""
    if rule.resource is None:
        res, amb = "''", FALSE
    else:
        res, amb = rule.resource[0].sql(dialect="trino"), rule.resource[1]
    decided = and_(rule.bounds.lower, not_(amb))
    undecided = and_(rule.bounds.upper, not_(decided))
    return Sampler(label, decided, undecided, REGION_SQL, res, SAMPLES, checks)


def candidates_sampler(label: str, rule: CompiledRule, checks: tuple[str, ...] | None = None) -> Sampler:
    """Every row a rule may match (its upper bound) for the stream's evaluator: a Sigma correlation's base rule.

    Nothing is decided in SQL; the rows come back as a residual does, capped at
    :data:`~auditor.logs.sql.queries.RESIDUAL_CAP` + 1 (one more says the cap was passed).
    """
    return Sampler(label, FALSE, rule.bounds.upper, REGION_SQL, "''", SAMPLES, checks)


#: Labels of the aggregations' samplers (what they serve, in failed_queries and --explain).
FIRST_WRITES = "aggregation first writes (coverage)"
DENIED_SAMPLES = "aggregation denied-call samples"
LOGIN_USER_SAMPLES = "aggregation failed-login samples per user"
LOGIN_IP_SAMPLES = "aggregation failed-login samples per source IP"
#: The counts pass's label.
COUNTS_LABEL = "aggregations (coverage, rates, denied calls, console logins)"


@functools.lru_cache(maxsize=1)
def _aggregation_samplers() -> tuple[Sampler, ...]:
    return tuple(aggregation_samplers())


def aggregation_samplers() -> list[Sampler]:
    """The earliest writes per account and region, denied calls and failed logins per principal."""
    denied = f"{ERROR_SQL} AND ({denied_sql()})"
    return [
        Sampler(FIRST_WRITES, _parse(WRITE_SQL), FALSE, REGION_SQL, "''", SAMPLES, ("logs-unused-region-activity",)),
        Sampler(
            DENIED_SAMPLES,
            _parse(denied),
            FALSE,
            PRINCIPAL_SQL,
            "''",
            PRINCIPAL_SAMPLES,
            ("logs-unauthorized-api-calls",),
        ),
        Sampler(
            LOGIN_USER_SAMPLES,
            _parse(LOGIN_FAILED_SQL),
            FALSE,
            LOGIN_USER_SQL,
            "''",
            PRINCIPAL_SAMPLES,
            ("logs-console-login-failures",),
        ),
        Sampler(
            LOGIN_IP_SAMPLES,
            _parse(LOGIN_FAILED_SQL),
            FALSE,
            _IP_SQL,
            "''",
            PRINCIPAL_SAMPLES,
            ("logs-console-login-failures",),
        ),
    ]


def _decided_id(i: int) -> int:
    return 2 * i


def _undecided_id(i: int) -> int:
    return 2 * i + 1


def _size(s: Sampler) -> int:
    return len(s.decided.sql(dialect="trino").encode()) + len(s.undecided.sql(dialect="trino").encode()) + 200


def split(samplers: Sequence[Sampler], limit: int) -> list[list[Sampler]]:
    """Samplers packed, in order, into passes whose SQL stays under ``limit`` bytes.

    A sampler too large for any pass goes alone (Athena then refuses it: that pass fails, fail closed).
    """
    out: list[list[Sampler]] = []
    size = 0
    for s in samplers:
        n = _size(s)
        if not out or size + n > limit - _OVERHEAD:
            out.append([])
            size = 0
        out[-1].append(s)
        size += n
    return out


_DATA = tuple(c.name for c in schema.columns())


def _case(pairs: list[tuple[list[int], str]], default: str) -> str:
    """``CASE WHEN _h IN (ids) THEN value ... ELSE default END`` (one branch per distinct value)."""
    whens = " ".join(f"WHEN u._h IN ({', '.join(map(str, ids))}) THEN {value}" for ids, value in pairs if ids)
    return f"(CASE {whens} ELSE {default} END)" if whens else default


def _grouped(values: list[tuple[int, str]]) -> list[tuple[list[int], str]]:
    by: dict[str, list[int]] = {}
    for i, v in values:
        by.setdefault(v, []).append(i)
    return [(ids, v) for v, ids in by.items()]


def samples_statement(table: str, scope: Scope, samplers: Sequence[Sampler]) -> exp.Expr:
    """One scan evaluating every sampler on each row of the window (see the module's docstring).

    Rows: the data columns, ``_file``, ``_account``, ``_region``; ``_h`` the id (sampler
    ``_h // 2``, residual when odd); ``_k1``, ``_k2`` the sampler's keys (empty for a residual
    row, whose count and cap are per rule); ``_total`` the id's count for those keys; ``_rn``
    the row's rank by event time and id. At most the sampler's limit per key, and
    :data:`~auditor.logs.sql.queries.RESIDUAL_CAP` + 1 residual rows per rule.
    """
    keys: dict[str, str] = {}  # key SQL -> column

    def key(sql: str) -> str:
        if sql == "''":
            return "''"
        if sql == REGION_SQL:
            return "f._region"
        if sql not in keys:
            keys[sql] = f"_x{len(keys)}"
        return f"f.{keys[sql]}"

    flags: list[str] = []
    hits: list[str] = []
    conds: dict[str, exp.Expr] = {}
    k1: list[tuple[int, str]] = []
    k2: list[tuple[int, str]] = []
    lim: list[tuple[int, str]] = []
    resid_ids: list[int] = []
    for i, s in enumerate(samplers):
        d = f"_d{i}"
        conds[d] = s.decided
        flags.append(f"__{d}__ AS {d}")
        hits.append(f"CASE WHEN f.{d} THEN {_decided_id(i)} END")
        k1.append((_decided_id(i), key(s.key1)))
        k2.append((_decided_id(i), key(s.key2)))
        lim.append((_decided_id(i), str(s.limit)))
        if s.undecided.sql() != FALSE.sql():
            u = f"_u{i}"
            conds[u] = s.undecided
            flags.append(f"__{u}__ AS {u}")
            hits.append(f"CASE WHEN f.{u} THEN {_undecided_id(i)} END")
            resid_ids.append(_undecided_id(i))
    key_cols = [f"{sql} AS {col}" for sql, col in keys.items()]
    names = list(conds)
    data = ", ".join(f"f.{c}" for c in _DATA)
    # one row over the cap comes back when the cap is passed (the count says so too)
    lim.extend((r, str(queries.RESIDUAL_CAP + 1)) for r in resid_ids)
    k1_sql = _case(_grouped(k1), "''")
    k2_sql = _case(_grouped(k2), "''")
    lim_sql = _case(_grouped(lim), "0")
    account_sql = _case([(resid_ids, "''")], "f._account")
    parts = "_h, _k0, _k1, _k2"
    text = f"""
    SELECT * FROM (
      SELECT m.*,
             count(*) OVER (PARTITION BY {parts}) AS _total,
             row_number() OVER (PARTITION BY {parts} ORDER BY eventtime, COALESCE(eventid, ''), _file) AS _rn
      FROM (
        SELECT {data}, f._file, f._account, f._region, u._h AS _h,
               {account_sql} AS _k0, {k1_sql} AS _k1, {k2_sql} AS _k2, {lim_sql} AS _lim
        FROM (
          SELECT t.*, "$path" AS _file, {ACCOUNT_SQL} AS _account, {REGION_SQL} AS _region,
                 {", ".join([*key_cols, *flags])}
          FROM {table_name(table)} AS t
          WHERE __where__
        ) AS f
        CROSS JOIN UNNEST(ARRAY[{", ".join(hits)}]) AS u(_h)
        WHERE ({" OR ".join(f"f.{n}" for n in names)}) AND u._h IS NOT NULL
      ) AS m
    ) AS ranked
    WHERE _rn <= _lim
    ORDER BY {parts}, _rn
    """  # noqa: S608 - every value is a quoted literal or a compiled condition; the table name is checked
    stmt = _parse(text)
    fill = {f"__{n}__": c for n, c in conds.items()}
    fill["__where__"] = scope_predicate(scope)
    for col in list(stmt.find_all(exp.Column)):
        if col.name in fill:
            col.replace(fill[col.name].copy())
    return stmt


@functools.lru_cache(maxsize=8)
def _counts_template(table: str) -> exp.Expr:
    denied = f"{ERROR_SQL} AND ({denied_sql()})"
    return _parse(f"""
    SELECT _account, _region, _hour, _name, _error, _write, _dkey, _luser, _lip, _minute,
           grouping(_write, _dkey, _luser, _lip) AS _set, count(*) AS _n
    FROM (
      SELECT {ACCOUNT_SQL} AS _account, {REGION_SQL} AS _region, substr(eventtime, 1, 13) AS _hour,
             eventname AS _name, CASE WHEN {ERROR_SQL} THEN errorcode END AS _error, ({WRITE_SQL}) AS _write,
             CASE WHEN {denied} THEN {PRINCIPAL_SQL} END AS _dkey,
             CASE WHEN {LOGIN_FAILED_SQL} THEN {LOGIN_USER_SQL} END AS _luser,
             CASE WHEN {LOGIN_FAILED_SQL} THEN {_IP_SQL} END AS _lip,
             substr(eventtime, 1, 16) AS _minute
      FROM {table_name(table)}
      WHERE __where__
    ) AS e
    GROUP BY GROUPING SETS (
      (_account, _region, _hour, _name, _error, _write),
      (_account, _dkey, _hour),
      (_account, _luser, _minute),
      (_account, _lip, _minute)
    )
    HAVING (grouping(_dkey) = 1 OR _dkey IS NOT NULL) AND (grouping(_luser) = 1 OR _luser IS NOT NULL)
       AND (grouping(_lip) = 1 OR _lip IS NOT NULL)
    ORDER BY _set, _hour, _account, _region, _name, _error, _write, _dkey, _luser, _lip, _minute
    """)  # noqa: S608 - constant SQL; the table name is checked


#: ``_set`` of each grouping set's rows (grouping(_write, _dkey, _luser, _lip): 1 bits for the columns left out).
COUNTS, DENIED, LOGIN_USER, LOGIN_IP = 0b0111, 0b1011, 0b1101, 0b1110


def counts_statement(table: str, scope: Scope) -> exp.Expr:
    """One scan, four grouping sets: events per scope, hour, name, error and write flag;
    denied calls per principal and hour; failed logins per user and per source IP and minute.
    """
    stmt = _counts_template(table).copy()
    for col in stmt.find_all(exp.Column):
        if col.name == "__where__":
            col.replace(scope_predicate(scope))
            break
    return stmt


@dataclass(frozen=True)
class Pass:
    """One statement of a run: its name, the AST, and (samples passes) the samplers it evaluates."""

    name: str
    stmt: exp.Expr
    samplers: tuple[Sampler, ...] = ()

    @property
    def serves(self) -> list[tuple[str, tuple[str, ...] | None]]:
        """What the statement feeds: (label, the checks it feeds or None for every check).

        The counts pass feeds every check: its coverage says which scopes have events.
        """
        if not self.samplers:
            return [(COUNTS_LABEL, None)]
        return [(s.label, s.checks) for s in self.samplers]


def plan(
    table: str,
    scope: Scope,
    rules: Sequence[tuple[str, CompiledRule]],
    limit: int | None = None,
    feeds: Sequence[tuple[str, ...]] = (),
    extra: Sequence[Sampler] = (),
) -> list[Pass]:
    """Every statement of a run: the counts pass, then the samples pass(es) (rules after the aggregations' samples).

    ``limit``: most bytes of SQL per samples pass (default :data:`MAX_STATEMENT_BYTES`);
    ``feeds``: per rule, the checks it feeds (none given: every check); ``extra``: samplers
    after the rules' (the correlations' candidates, :func:`candidates_sampler`).
    """
    samplers = [
        *_aggregation_samplers(),
        *(rule_sampler(label, r, feeds[i] if i < len(feeds) else None) for i, (label, r) in enumerate(rules)),
        *extra,
    ]
    out = [Pass("counts", counts_statement(table, scope))]
    chunks = split(samplers, MAX_STATEMENT_BYTES if limit is None else limit)
    for n, chunk in enumerate(chunks, 1):
        name = "samples" if len(chunks) == 1 else f"samples {n}/{len(chunks)}"
        out.append(Pass(name, samples_statement(table, scope, chunk), tuple(chunk)))
    return out

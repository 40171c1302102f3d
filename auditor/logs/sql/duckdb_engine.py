"""The SQL evidence engine run embedded: DuckDB over a local folder of CloudTrail files.

Files are found and read exactly as the streaming reader does
(:func:`auditor.logs.reader.log_files`, :func:`auditor.logs.parse.file_text`),
with the same problems recorded, so an unreadable file is reported, never
skipped. The events are laid out with the Athena CloudTrail column types
(:mod:`auditor.logs.sql.schema`): JSON-text columns hold the JSON text of the
object, as Athena reads them. A plain CloudTrail file is projected by msgspec
and typed by DuckDB (:func:`load`, no Python per event); any other file is
decoded by :func:`auditor.logs.parse.decode_text` as the stream's reference path.

The rules and aggregations run as the passes :mod:`auditor.logs.sql.passes`
builds in the Trino dialect (a counts pass and a samples pass), transpiled to
DuckDB: what runs here is what Athena would run (:func:`run_plan`, shared with
:mod:`~auditor.logs.sql.remote`). Rows the compiler could not decide in SQL
(the residual) are rebuilt into events and judged by the stream's own
evaluators. :func:`run_rule` runs one rule's own statements (``queries``), the
form investigations and the compiler's tests use.

The evidence document has the shape :func:`auditor.logs.document.to_document`
gives.
A part not computed would be listed under ``not_computed``; a rule whose
residual passed the cap is listed under ``incomplete_rules`` and as an
unreadable problem, so the checks ERROR instead of judging a partial count.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import duckdb
import msgspec
import orjson
from sqlglot import exp

from auditor.logs import sigma as sigma_mod
from auditor.logs.aggregate import Bucket, Params, Partial, add_problems, keep_earliest, sample
from auditor.logs.definitions import FORWARDER_KEYS
from auditor.logs.document import to_document
from auditor.logs.parse import (
    DEFAULT_MAX_BYTES,
    REQUIRED_FIELDS,
    FileProblem,
    as_text,
    clip,
    decode_text,
    file_text,
    get_path,
    parse_file_name,
    valid_time,
)
from auditor.logs.reader import log_files, read_bounded
from auditor.logs.rules import PREDICATES, RULES, Rule
from auditor.logs.sql import passes, queries, schema
from auditor.logs.sql.compiler import CompiledRule, Unsupported, access, compile_builtin, compile_sigma
from auditor.model.errors import AuditorError
from auditor.semantics.filterpattern import compile_pattern, matches

TABLE = "cloudtrail"
#: Parts of the evidence document this engine does not compute yet (checks relying on them ERROR).
NOT_COMPUTED: tuple[str, ...] = ()


# --------------------------------------------------------------------------- loading


def _text(v: Any) -> str | None:
    """A value as a STRING column holds it: strings as they are, anything else as its JSON text."""
    if v is None or isinstance(v, str):
        return v
    return orjson.dumps(v).decode()


def _struct(v: Any, struct: schema.Struct) -> dict[str, Any] | None:
    if not isinstance(v, dict):
        return None
    out: dict[str, Any] = {}
    for name, (col, sub) in struct.items():
        out[col] = _text(v.get(name)) if sub is None else _struct(v.get(name), sub)
    return out


def row_of(event: dict[str, Any], path: str, account: str | None, region: str | None) -> dict[str, Any]:
    """One event as a row of the Athena-typed table."""
    row: dict[str, Any] = {col: _text(event.get(name)) for name, col in schema.SCALARS.items()}
    for name, col in schema.JSON_TEXT.items():
        v = event.get(name)
        row[col] = None if v is None else orjson.dumps(v).decode()
    for name, (col, struct) in schema.STRUCTS.items():
        row[col] = _struct(event.get(name), struct)
    res = event.get("resources")
    row["resources"] = (
        [_struct(r, schema.RESOURCE_FIELDS) for r in res if isinstance(r, dict)] if isinstance(res, list) else None
    )
    row["account"] = account
    row["region"] = region
    t = event["eventTime"]
    row["day"] = t[:10].replace("-", "/")
    row[schema.PATH_COLUMN] = path
    return row


def event_of(row: dict[str, Any]) -> dict[str, Any]:
    """The event as the table holds it (for the stream's evaluators and the samples)."""
    ev: dict[str, Any] = {}
    for name, col in schema.SCALARS.items():
        if row.get(col) is not None:
            ev[name] = row[col]
    for name, col in schema.JSON_TEXT.items():
        if row.get(col) is not None:
            ev[name] = orjson.loads(row[col])
    for name, (col, struct) in schema.STRUCTS.items():
        v = _unstruct(row.get(col), struct)
        if v is not None:
            ev[name] = v
    res = row.get("resources")
    if isinstance(res, list):
        ev["resources"] = [_unstruct(r, schema.RESOURCE_FIELDS) or {} for r in res]
    return ev


def _unstruct(v: Any, struct: schema.Struct) -> dict[str, Any] | None:
    if not isinstance(v, dict):
        return None
    out: dict[str, Any] = {}
    for name, (col, sub) in struct.items():
        inner = v.get(col) if sub is None else _unstruct(v.get(col), sub)
        if inner is not None:
            out[name] = inner
    return out


def _duck_columns() -> dict[str, str]:
    cols = {c.name: c.duckdb for c in schema.columns()}
    cols.update({"account": "VARCHAR", "region": "VARCHAR", "day": "VARCHAR", schema.PATH_COLUMN: "VARCHAR"})
    return cols


@dataclass
class Loaded:
    """A DuckDB connection holding the table, and what reading the files recorded."""

    con: duckdb.DuckDBPyConnection
    part: Partial


def _file_bytes(path: Path, params: Params) -> bytes | bytearray | FileProblem:
    """One file's JSON bytes, read as :func:`auditor.logs.reader.process_path` reads them.

    The same bounded read (regular files only, at most the size limit) and the
    same limits on decompressed size and values per file as the stream.
    """
    name = str(path)
    raw = read_bounded(name, params.max_bytes)
    if isinstance(raw, FileProblem):
        return raw
    return file_text(name, raw, params.max_bytes, params.max_values)


def _read(
    path: Path, params: Params, text: bytes | bytearray | FileProblem | None = None
) -> tuple[list[dict[str, Any]], list[FileProblem]] | FileProblem:
    """One file decoded as the stream's reference path does.

    A lone FileProblem: nothing could be decoded (the stream then records no delivery hour).
    """
    if text is None:
        text = _file_bytes(path, params)
    if isinstance(text, FileProblem):
        return text
    try:
        return decode_text(str(path), text)
    except Exception as exc:  # content we did not foresee: this file is lost, the run is not
        return FileProblem(str(path), clip(f"could not be processed: {type(exc).__name__}: {exc}"))


# A plain CloudTrail file is projected onto the table's fields by msgspec (C code): each
# field is kept as its JSON text (msgspec.Raw, never turned into Python objects) and the
# projection written back as JSON for DuckDB to type, so no Python runs per event. The
# decode types what the stream requires of a record (string eventTime/eventName/eventSource,
# objects where the table has structs, no log-forwarder envelope key): a file that does
# not fit is loaded the reference way (decode_text, row_of), which reports its problems.


def _proj_struct(name: str, struct: schema.Struct) -> type[msgspec.Struct]:
    fields: list[tuple[str, Any, Any]] = []
    for key, (_col, sub) in struct.items():
        if sub is None:
            fields.append((key, msgspec.Raw, msgspec.UNSET))
        else:
            fields.append((key, _proj_struct(name + key, sub) | None, None))
    return msgspec.defstruct(name, fields, gc=False, omit_defaults=True)


def _proj_record() -> type[msgspec.Struct]:
    fields: list[tuple[str, Any, Any]] = [(k, str) for k in REQUIRED_FIELDS]  # type: ignore[misc]
    for key in [*schema.SCALARS, *schema.JSON_TEXT]:
        if key not in REQUIRED_FIELDS:
            fields.append((key, msgspec.Raw, msgspec.UNSET))
    for key, (_col, struct) in schema.STRUCTS.items():
        fields.append((key, _proj_struct("_P" + key, struct) | None, None))
    fields.append(("resources", list[_proj_struct("_Presource", schema.RESOURCE_FIELDS)] | None, None))  # type: ignore[misc]
    for i, key in enumerate(sorted(FORWARDER_KEYS)):  # present => not a plain CloudTrail record
        fields.append((f"_fwd{i}", msgspec.UnsetType, msgspec.field(default=msgspec.UNSET, name=key)))
    return msgspec.defstruct("_PRecord", fields, gc=False, omit_defaults=True)


_PROJ_RECORD = _proj_record()
_PROJ_FILE = msgspec.defstruct("_PFile", [("Records", list[_PROJ_RECORD])], gc=False)  # type: ignore[valid-type]
_PROJ = msgspec.json.Decoder(_PROJ_FILE)
_ENCODE = msgspec.json.Encoder()


def _read_type(struct: schema.Struct) -> str:
    """DuckDB type of a struct as the projection holds it (CloudTrail field names)."""
    return (
        "STRUCT("
        + ", ".join(f"{_q(k)} {'VARCHAR' if sub is None else _read_type(sub)}" for k, (_c, sub) in struct.items())
        + ")"
    )


def _pack(expr: str, struct: schema.Struct) -> str:
    """The struct renamed to the table's field names (NULL stays NULL, as row_of leaves it)."""
    parts = ", ".join(
        f"{_q(col)} := " + (f"{expr}.{_q(k)}" if sub is None else _pack(f"{expr}.{_q(k)}", sub))
        for k, (col, sub) in struct.items()
    )
    return f"CASE WHEN {expr} IS NOT NULL THEN struct_pack({parts}) END"


@functools.cache
def _projection_sql() -> tuple[str, str]:
    """(read_json columns spec, select list) turning projected records into table rows."""
    read: dict[str, str] = {k: "VARCHAR" for k in schema.SCALARS}
    read.update({k: "JSON" for k in schema.JSON_TEXT})  # the JSON text, strings with their quotes
    read.update({k: _read_type(st) for k, (_c, st) in schema.STRUCTS.items()})
    read["resources"] = _read_type(schema.RESOURCE_FIELDS) + "[]"
    spec = "{" + ", ".join(f"'{k}': '{v}'" for k, v in read.items()) + "}"
    by_col: dict[str, str] = {col: f"r.{_q(k)}" for k, col in schema.SCALARS.items()}
    by_col.update({col: f"r.{_q(k)}::VARCHAR" for k, col in schema.JSON_TEXT.items()})
    by_col.update({col: _pack(f"r.{_q(k)}", st) for k, (col, st) in schema.STRUCTS.items()})
    res = ", ".join(f"{_q(col)} := x.{_q(k)}" for k, (col, _s) in schema.RESOURCE_FIELDS.items())
    by_col["resources"] = f"list_transform(r.resources, lambda x: struct_pack({res}))"
    by_col["account"] = "$accounts[r._n]"
    by_col["region"] = "$regions[r._n]"
    by_col["day"] = "replace(substr(r.eventTime, 1, 10), '-', '/')"
    by_col[schema.PATH_COLUMN] = "$paths[r._n]"
    select = ", ".join(by_col[c] for c in _duck_columns())
    return spec, select


#: Projected files inserted per statement (bounds the temporary disk the projections hold).
_INSERT_FILES = 64


def _project(text: bytes | bytearray, params: Params) -> tuple[bytes, int, int] | None:
    """A plain CloudTrail file as projected rows (JSON array), its events in and out of the window; None: not plain."""
    if not text.isascii():
        try:
            text.decode("utf-8")  # msgspec does not validate the strings it skips
        except UnicodeDecodeError:
            return None
    try:
        recs: list[Any] = _PROJ.decode(text).Records  # type: ignore[attr-defined]
    except (msgspec.DecodeError, RecursionError):
        return None
    times = [r.eventTime for r in recs]
    if not all(valid_time(t) for t in set(times)):
        return None
    since, until = params.since, params.until
    inside = sum(1 for t in times if since <= t < until)
    return _ENCODE.encode(recs), inside, len(times) - inside


def _insert_projected(con: duckdb.DuckDBPyConnection, batch: list[tuple[str, Path]], params: Params) -> None:
    """Insert projected files ((temporary ``<n>.json``, source path), n = 1, 2, ...) in their order.

    The partitions and ``$path`` come from the n-th entry of bound lists (no join, so
    the rows keep the files' order, which breaks ties between samples as the stream does).
    """
    spec, select = _projection_sql()
    names = [parse_file_name(str(f)) for _t, f in batch]
    con.execute(  # the spec and select list are our constant schema; files, partitions and window are bound
        f"INSERT INTO {TABLE} SELECT {select} FROM "  # noqa: S608
        f"(SELECT *, CAST(regexp_extract(filename, '([0-9]+)[.]json$', 1) AS INTEGER) AS _n FROM read_json("
        f"$files, columns = {spec}, format = 'array', filename = true, maximum_object_size = 1073741824)) AS r "
        "WHERE r.eventTime >= $since AND r.eventTime < $until",
        {
            "files": [t for t, _f in batch],
            "paths": [str(f) for _t, f in batch],
            "accounts": [n.account_id for n in names],
            "regions": [n.region for n in names],
            "since": params.since,
            "until": params.until,
        },
    )


def _insert_rows(con: duckdb.DuckDBPyConnection, rows_path: Path) -> None:
    spec = "{" + ", ".join(f"'{k}': '{v}'" for k, v in _duck_columns().items()) + "}"
    con.execute(  # the column spec is our constant schema, the file a bound parameter
        f"INSERT INTO {TABLE} SELECT * FROM read_json(?, columns = {spec}, "  # noqa: S608
        "format = 'newline_delimited', maximum_object_size = 1073741824)",
        [str(rows_path)],
    )


def load(root: Path, params: Params) -> Loaded:
    """Read every log file under ``root`` into a DuckDB table with the Athena column types, in file order.

    Plain CloudTrail files go through the projection (:func:`_project`), others (and
    any batch DuckDB refuses to type) through the reference rows (:func:`row_of`);
    both record what the stream records.
    """
    if not root.exists():
        raise AuditorError(f"log path {root} does not exist")
    part = Partial()
    con = duckdb.connect()
    cols = ", ".join(f"{_q(k)} {v}" for k, v in _duck_columns().items())
    con.execute(f"CREATE TABLE {TABLE} ({cols})")
    files, walk_problems = log_files(root)
    add_problems(part, walk_problems)
    with tempfile.TemporaryDirectory(prefix="trail-auditor-sql-") as tmp:
        batch: list[tuple[str, Path]] = []
        counts: list[tuple[int, int]] = []

        def flush() -> None:
            if not batch:
                return
            try:
                _insert_projected(con, batch, params)
            except duckdb.Error:  # a value DuckDB cannot type: these files the reference way
                for _t, f in batch:
                    _load_reference(con, f, params, part, Path(tmp))
            else:
                for (_t, f), (inside, outside) in zip(batch, counts, strict=True):
                    _file_seen(part, f)
                    part.events_read += inside
                    part.events_outside_window += outside
            for t, _f in batch:
                Path(t).unlink()
            batch.clear()
            counts.clear()

        for f in files:
            part.files_read += 1
            text = _file_bytes(f, params)
            if isinstance(text, FileProblem):
                add_problems(part, [text])
                continue
            got = _project(text, params)
            if got is None:
                flush()  # rows stay in file order
                _load_reference(con, f, params, part, Path(tmp), text)
                continue
            tmp_name = str(Path(tmp) / f"{len(batch) + 1}.json")
            Path(tmp_name).write_bytes(got[0])
            batch.append((tmp_name, f))
            counts.append((got[1], got[2]))
            if len(batch) >= _INSERT_FILES:
                flush()
        flush()
    return Loaded(con, part)


def _file_seen(part: Partial, f: Path) -> None:
    """The delivery hour a decoded file's name records (as the stream records it)."""
    fn = parse_file_name(str(f))
    if fn.account_id and fn.region and fn.stamp:
        part.file_hours.setdefault((fn.account_id, fn.region), set()).add(fn.stamp[:13])


def _load_reference(
    con: duckdb.DuckDBPyConnection,
    f: Path,
    params: Params,
    part: Partial,
    tmp: Path,
    text: bytes | bytearray | FileProblem | None = None,
) -> None:
    """One file decoded as the stream's reference path does, its rows as :func:`row_of` builds them."""
    got = _read(f, params, text)
    if isinstance(got, FileProblem):
        add_problems(part, [got])
        return
    events, problems = got
    add_problems(part, problems)
    _file_seen(part, f)
    fn = parse_file_name(str(f))
    rows_path = tmp / "rows.jsonl"
    n = 0
    with open(rows_path, "wb") as out:
        for ev in events:
            t = ev["eventTime"]
            if t < params.since or t >= params.until:
                part.events_outside_window += 1
                continue
            part.events_read += 1
            out.write(orjson.dumps(row_of(ev, str(f), fn.account_id, fn.region)))
            out.write(b"\n")
            n += 1
    if n:
        _insert_rows(con, rows_path)
    rows_path.unlink()


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --------------------------------------------------------------------------- running the rules


@dataclass(frozen=True)
class RuleRun:
    """Matches of one rule per (account, region, resource)."""

    buckets: dict[tuple[str, str, str], Bucket]
    #: Why the result is incomplete (residual over the cap), or None.
    incomplete: str | None = None


class RowSource(Protocol):
    """Anything else that runs a statement and returns its rows (the Athena runner)."""

    def rows(self, sql: str) -> list[dict[str, Any]]:
        """The statement's rows as column -> value."""
        ...


#: Where statements run: the embedded DuckDB connection, or a remote query service.
Connection = duckdb.DuckDBPyConnection | RowSource


def _fetch(con: Connection, sql: str) -> list[dict[str, Any]]:
    if not isinstance(con, duckdb.DuckDBPyConnection):
        return con.rows(sql)
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


@functools.lru_cache(maxsize=1024)
def statements(
    rule: Rule | sigma_mod.SigmaRuleSpec, scope: queries.Scope, render: Callable[[exp.Expr], str], table: str = TABLE
) -> tuple[str | None, str | None]:
    """A rule's (match, residual) statements as DuckDB text (compiled once per rule and scope).

    Raises :class:`~auditor.logs.sql.compiler.Unsupported` for a rule SQL cannot hold.
    """
    compiled = compile_builtin(rule) if isinstance(rule, Rule) else compile_sigma(rule)
    match = queries.match_query(table, compiled, scope)
    resid = queries.residual_query(table, compiled, scope)
    return None if match is None else render(match), None if resid is None else render(resid)


def run_rule(
    con: Connection,
    sql: tuple[str | None, str | None],
    judge: Callable[[dict[str, Any]], bool],
    resource_field: tuple[str, ...] | None = None,
) -> RuleRun:
    """Count and earliest samples per scope: SQL-decided rows plus residual rows the stream judges."""
    match_sql, resid_sql = sql
    buckets: dict[tuple[str, str, str], Bucket] = {}
    for row in _fetch(con, match_sql) if match_sql is not None else ():
        key = (row["_account"], row["_region"], row["_resource"] or "")
        b = buckets.setdefault(key, Bucket())
        b.total = int(row["_total"])
        b.events.append(sample(event_of(row), row["_file"], key[2] or None))
    incomplete = None
    if resid_sql is not None:
        rows = _fetch(con, resid_sql)
        if len(rows) > queries.RESIDUAL_CAP:
            incomplete = f"more than {queries.RESIDUAL_CAP} rows need the stream's evaluator"
            rows = []
        for row in rows:
            ev = event_of(row)
            if not judge(ev):
                continue
            res = ""
            if resource_field is not None:
                rv = get_path(ev, resource_field)
                res = as_text(rv) or ""  # the stream's key (aggregate.process_events), not str()
            b = buckets.setdefault((row["_account"], row["_region"], res), Bucket())
            b.total += 1
            b.events.append(sample(ev, row["_file"], res or None))
    for b in buckets.values():
        keep_earliest(b.events)
    return RuleRun(buckets, incomplete)


def builtin_judge(rule: Rule) -> Callable[[dict[str, Any]], bool]:
    """The stream's decision for one built-in rule (pre-filter, pattern, predicate)."""
    pattern = compile_pattern(rule.pattern) if rule.pattern else None
    predicate = PREDICATES[rule.predicate] if rule.predicate else None

    def judge(ev: dict[str, Any]) -> bool:
        if rule.names is not None and ev.get("eventName") not in rule.names:
            return False
        if rule.field_filter is not None and get_path(ev, rule.field_filter[0]) not in rule.field_filter[1]:
            return False
        return (pattern is None or matches(pattern, ev)) and (predicate is None or predicate(ev))

    return judge


# --------------------------------------------------------------------------- the folded passes


@dataclass(frozen=True)
class Target:
    """One rule a run evaluates: what it serves, its SQL bounds, the stream's judge for the residual."""

    label: str
    kind: str  # "builtin" or "sigma"
    rule_id: str
    compiled: CompiledRule
    judge: Callable[[dict[str, Any]], bool]
    resource_field: tuple[str, ...] | None = None
    #: The checks the rule feeds.
    checks: tuple[str, ...] = ()


@functools.lru_cache(maxsize=64)
def _builtin_target(rule: Rule) -> Target:
    return Target(
        f"rule {rule.id} ({rule.check_id})",
        "builtin",
        rule.id,
        compile_builtin(rule),
        builtin_judge(rule),
        rule.resource_field,
        (rule.check_id,),
    )


def targets(
    sigma_rules: Sequence[sigma_mod.SigmaRuleSpec] = (),
    unsupported: Sequence[sigma_mod.UnsupportedRule] = (),
) -> tuple[list[Target], list[sigma_mod.SigmaRuleSpec], list[sigma_mod.UnsupportedRule]]:
    """Every rule a run evaluates (built-in, then the Sigma rules SQL can hold), the Sigma rules kept and dropped."""
    out = [_builtin_target(r) for r in RULES]
    kept: list[sigma_mod.SigmaRuleSpec] = []
    dropped = list(unsupported)
    for spec in sigma_rules:
        try:
            compiled = compile_sigma(spec)
        except Unsupported as exc:
            dropped.append(sigma_mod.UnsupportedRule(spec.id, spec.title, spec.path, f"SQL engine: {exc.reason}"))
            continue
        kept.append(spec)
        out.append(
            Target(
                f"sigma {spec.id} (logs-sigma-matches)",
                "sigma",
                spec.id,
                compiled,
                functools.partial(sigma_mod.evaluate, spec.node),
                None,
                ("logs-sigma-matches",),
            )
        )
    return out, kept, dropped


def plan(table: str, scope: queries.Scope, rules: Sequence[Target]) -> list[passes.Pass]:
    """The statements of a run over these rules (:func:`auditor.logs.sql.passes.plan`)."""
    return passes.plan(table, scope, [(t.label, t.compiled) for t in rules], feeds=[t.checks for t in rules])


def fill_counts(part: Partial, rows: Sequence[dict[str, Any]]) -> None:
    """The counts pass's rows into the partial: days, hours, rates, denied calls, failed logins."""
    for r in rows:
        acct, n, grouping = r["_account"], int(r["_n"]), int(r["_set"])
        if grouping == passes.COUNTS:
            region, hour = r["_region"], r["_hour"]
            ak = (acct, region)
            day = part.days.setdefault(ak, {}).setdefault(hour[:10], [0, 0])
            day[0] += n
            part.event_hours.setdefault(ak, set()).add(hour)
            if r["_write"]:
                day[1] += n
                h = part.hourly.setdefault(("call", acct, region, r["_name"]), {})
                h[hour] = h.get(hour, 0) + n
            if r["_error"] is not None:
                h = part.hourly.setdefault(("error", acct, region, r["_error"]), {})
                h[hour] = h.get(hour, 0) + n
        elif grouping == passes.DENIED:
            part.denied.setdefault((acct, r["_dkey"]), {})[r["_hour"]] = n
        elif grouping == passes.LOGIN_USER:
            part.login_failures.setdefault((acct, "user", r["_luser"]), {})[r["_minute"]] = n
        elif grouping == passes.LOGIN_IP:
            part.login_failures.setdefault((acct, "ip", r["_lip"]), {})[r["_minute"]] = n


def _sampler_run(
    rows_of: dict[int, list[dict[str, Any]]],
    index: int,
    judge: Callable[[dict[str, Any]], bool],
    resource_field: tuple[str, ...] | None,
) -> RuleRun:
    """One rule's matches from a samples pass: SQL-decided rows plus residual rows the stream judges."""
    buckets: dict[tuple[str, str, str], Bucket] = {}
    for row in rows_of.get(2 * index, ()):
        key = (row["_account"], row["_k1"], row["_k2"] or "")
        b = buckets.setdefault(key, Bucket())
        b.total = int(row["_total"])
        b.events.append(sample(event_of(row), row["_file"], key[2] or None))
    incomplete = None
    rows = rows_of.get(2 * index + 1, [])
    if rows and int(rows[0]["_total"]) > queries.RESIDUAL_CAP:
        incomplete = f"more than {queries.RESIDUAL_CAP} rows need the stream's evaluator"
        rows = []
    for row in rows:
        ev = event_of(row)
        if not judge(ev):
            continue
        res = ""
        if resource_field is not None:
            rv = get_path(ev, resource_field)
            res = str(rv) if rv is not None else ""
        b = buckets.setdefault((row["_account"], row["_region"], res), Bucket())
        b.total += 1
        b.events.append(sample(ev, row["_file"], res or None))
    for b in buckets.values():
        keep_earliest(b.events)
    return RuleRun(buckets, incomplete)


def _fill_aggregation_samples(part: Partial, label: str, rows: Sequence[dict[str, Any]]) -> None:
    for r in rows:
        if label == passes.FIRST_WRITES:
            key: tuple[str, ...] = (r["_account"], r["_k1"])
            store: dict[Any, Bucket] = part.writes
        elif label == passes.DENIED_SAMPLES:
            key, store = (r["_account"], r["_k1"]), part.denied_samples
        else:
            kind = "user" if label == passes.LOGIN_USER_SAMPLES else "ip"
            key, store = (r["_account"], kind, r["_k1"]), part.login_samples
        store.setdefault(key, Bucket()).events.append(sample(event_of(r), r["_file"]))


#: Runs one pass (its rows, or None when it gave no result: the caller recorded why).
Guard = Callable[[passes.Pass, Callable[[], list[dict[str, Any]]]], list[dict[str, Any]] | None]


def _unguarded(_p: passes.Pass, call: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]] | None:
    return call()


def run_plan(
    con: Connection,
    part: Partial,
    scope: queries.Scope,
    rules: Sequence[Target],
    render: Callable[[exp.Expr], str] = queries.duckdb,
    table: str = TABLE,
    guard: Guard = _unguarded,
) -> tuple[dict[int, RuleRun], int]:
    """Run every pass; fill the partial's aggregations; return each rule's run (by index) and the passes run.

    A pass the guard gives no rows for leaves its parts unfilled (the caller recorded the failure).
    """
    runs: dict[int, RuleRun] = {}
    n_agg = len(passes.aggregation_samplers())
    offset = 0
    planned = plan(table, scope, rules)
    for p in planned:
        sql = render(p.stmt)
        rows = guard(p, functools.partial(_fetch, con, sql))
        if not p.samplers:
            if rows is not None:
                fill_counts(part, rows)
            continue
        if rows is None:
            if offset < n_agg:  # the counts stand; their samples are lost with this pass (recorded)
                for dk in part.denied:
                    part.denied_samples.setdefault(dk, Bucket())
                for lk in part.login_failures:
                    part.login_samples.setdefault(lk, Bucket())
        else:
            rows_of: dict[int, list[dict[str, Any]]] = {}
            for r in rows:
                rows_of.setdefault(int(r["_h"]), []).append(r)
            for i, s in enumerate(p.samplers):
                g = offset + i
                if g < n_agg:
                    _fill_aggregation_samples(part, s.label, rows_of.get(2 * i, []))
                else:
                    t = rules[g - n_agg]
                    runs[g - n_agg] = _sampler_run(rows_of, i, t.judge, t.resource_field)
        offset += len(p.samplers)
    return runs, len(planned)


def store_run(part: Partial, target: Target, run: RuleRun) -> None:
    """A rule's matches into the partial (built-in rules by resource, Sigma rules per scope)."""
    for (acct, region, res), b in run.buckets.items():
        if target.kind == "builtin":
            part.rules[(target.rule_id, acct, region, res)] = b
        else:
            part.sigma[(target.rule_id, acct, region)] = b


def evaluate(
    loaded: Loaded,
    params: Params,
    sources: Sequence[str],
    sigma_rules: Sequence[sigma_mod.SigmaRuleSpec] = (),
    unsupported: Sequence[sigma_mod.UnsupportedRule] = (),
    render: Callable[[exp.Expr], str] = queries.duckdb,
    correlations: Sequence[sigma_mod.CorrelationSpec] = (),
) -> dict[str, Any]:
    """The evidence document from the loaded table.

    ``render`` turns a statement into DuckDB text: the AST rendered directly, or (tests)
    :func:`~auditor.logs.sql.queries.via_trino`, the Trino text Athena would run, transpiled.
    """
    part = loaded.part
    scope = queries.Scope(params.since, params.until)
    rules, kept, dropped = targets(sigma_rules, unsupported)
    runs, _ = run_plan(loaded.con, part, scope, rules, render)
    incomplete: list[tuple[Target, str]] = []
    for i, t in enumerate(rules):
        run = runs[i]
        if run.incomplete:
            incomplete.append((t, run.incomplete))
        store_run(part, t, run)
    judged: list[sigma_mod.CorrelationSpec] = []
    by_id = {s.id: s for s in kept}
    corr_incomplete: list[tuple[str, str]] = []
    for corr in correlations:
        try:
            run_correlation(loaded.con, part, corr, by_id, scope, render)
        except Unsupported as exc:
            dropped.append(sigma_mod.UnsupportedRule(corr.id, corr.title, corr.path, f"SQL engine: {exc.reason}"))
            continue
        except _TooMany as exc:  # not judged on part of the window: incomplete, its checks ERROR
            part.correlation.pop(corr.id, None)
            corr_incomplete.append((corr.id, str(exc)))
            continue
        judged.append(corr)
    doc = to_document(part, params, sources, kept, dropped, judged)
    doc["engine"] = "duckdb"
    doc["not_computed"] = list(NOT_COMPUTED)
    unfinished = [(t.rule_id, why, list(t.checks)) for t, why in incomplete]
    unfinished += [(cid, why, ["logs-sigma-matches"]) for cid, why in corr_incomplete]
    doc["incomplete_rules"] = [{"rule_id": rid, "reason": why} for rid, why, _ in unfinished]
    for rid, why, checks in unfinished:
        # the rule's checks ERROR (its count is partial); the others judge what they were fed
        doc["file_problems"].append(
            {
                "path": f"rule {rid}",
                "reason": why,
                "kind": "unreadable",
                "account_id": None,
                "region": None,
                "checks": checks,
            }
        )
    return doc


class _TooMany(Exception):
    pass


def run_correlation(
    con: duckdb.DuckDBPyConnection,
    part: Partial,
    corr: sigma_mod.CorrelationSpec,
    base: dict[str, sigma_mod.SigmaRuleSpec],
    scope: queries.Scope,
    render: Callable[[exp.Expr], str],
    table: str = TABLE,
) -> None:
    """Feed a correlation's base-rule matches into ``part``, as the stream's pass does.

    SQL narrows each base rule to its candidate rows (the rule's upper bound);
    the stream's evaluator judges every candidate and the stream's
    :func:`~auditor.logs.sigma.correlate` judges the window (in
    :func:`~auditor.logs.document.to_document`), so both engines give the same
    matches. Raises Unsupported for a base rule or a group-by field the table
    cannot hold, _TooMany past the candidate cap (the correlation is incomplete).
    """
    for rid in dict.fromkeys(corr.rules):
        spec = base.get(rid)
        if spec is None:
            raise Unsupported(f"base rule {rid} is not compiled to SQL")
        links = [(g, v) for cid, g, v in spec.feeds if cid == corr.id]
        for gpaths, vpath in links:
            for fp in (*gpaths, *((vpath,) if vpath else ())):
                access(fp, f"correlation field {'.'.join(fp)}")
        stmt = queries.candidates_query(table, compile_sigma(spec), scope)
        rows = _fetch(con, render(stmt)) if stmt is not None else []
        if len(rows) > queries.RESIDUAL_CAP:
            raise _TooMany(f"more than {queries.RESIDUAL_CAP} candidate rows for base rule {rid}")
        for row in rows:
            ev = event_of(row)
            if not sigma_mod.evaluate(spec.node, ev):
                continue
            s = sample(ev, row["_file"])
            for gpaths, vpath in links:
                group = tuple(sigma_mod.group_value(ev, gp) for gp in gpaths)
                value = sigma_mod.group_value(ev, vpath) if vpath is not None else None
                part.feed_correlation(
                    corr.id,
                    [(ev["eventTime"], s["eventID"] or "", rid, group, value, row["_account"], row["_region"], s)],
                )


def read_local(
    path: Path,
    since: str,
    until: str,
    rules_dir: Path | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> dict[str, Any]:
    """The evidence document for a local folder, computed with DuckDB (window as ISO text)."""
    params = Params(since=since, until=until, max_bytes=max_bytes)
    specs: list[sigma_mod.SigmaRuleSpec] = []
    unsupported: list[sigma_mod.UnsupportedRule] = []
    correlations: list[sigma_mod.CorrelationSpec] = []
    if rules_dir is not None:
        rs = sigma_mod.load_ruleset(rules_dir)
        specs, unsupported, correlations = rs.specs, rs.unsupported, rs.correlations
    loaded = load(path, params)
    try:
        return evaluate(loaded, params, [str(path)], specs, unsupported, correlations=correlations)
    finally:
        loaded.con.close()

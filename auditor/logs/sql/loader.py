"""Loading a local folder of CloudTrail files into DuckDB, laid out as the Athena table.

Files are found and read exactly as the streaming reader does
(:func:`auditor.logs.reader.log_files`, :func:`auditor.logs.parse.file_text`),
with the same problems recorded, so an unreadable file is reported, never
skipped. The events are laid out with the Athena CloudTrail column types
(:mod:`auditor.logs.sql.schema`): JSON-text columns hold the JSON text of the
object, as Athena reads them. A plain CloudTrail file is projected by msgspec
and typed by DuckDB (:func:`load`, no Python per event); any other file is
decoded by :func:`auditor.logs.parse.decode_text` as the stream's reference path.
:func:`event_of` turns a row back into the event the stream's evaluators judge.
"""

from __future__ import annotations

import functools
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import msgspec
import orjson

from auditor.logs.aggregate import Params, Partial, add_problems
from auditor.logs.definitions import FORWARDER_KEYS
from auditor.logs.parse import (
    REQUIRED_FIELDS,
    FileProblem,
    clip,
    decode_text,
    file_text,
    parse_file_name,
    valid_time,
)
from auditor.logs.reader import log_files, read_bounded
from auditor.logs.sql import schema
from auditor.model.errors import AuditorError

TABLE = "cloudtrail"


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

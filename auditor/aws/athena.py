"""The Athena engine's AWS side: run statements on Athena, read the table, estimate the scan.

Calls made (and nothing else; ``policy/iam-policy-athena.json`` lists exactly
these, a test holds the two equal):

* Glue ``GetTable``: the table's columns (a column a statement reads that the
  table lacks stops every statement, fail closed) and its location;
* S3 ``ListObjectsV2`` on the trail bucket, under the window's day prefixes
  only: the bytes the statements will scan, estimated before the first query
  (``--max-scan-gb`` refuses a scan over budget), the delivery hours of the
  files (continuity) and the accounts and regions to name in each statement
  (an ``injected`` projection needs them);
* Athena ``StartQueryExecution`` (work group, output location, database),
  ``GetQueryExecution`` polled with exponential back-off, ``GetQueryResults``
  paginated, ``StopQueryExecution`` when a query passes the budget or the
  time limit. Athena itself then reads the trail bucket and writes the
  results to the output location (``s3:PutObject`` there).

A statement that does not succeed raises
:class:`~auditor.logs.sql.remote.QueryFailed` carrying the query id and the
reason; :func:`~auditor.logs.sql.remote.evaluate` turns it into ERROR for the
checks it feeds. Statistics (bytes scanned, engine time) of every query go
into the evidence document with the estimated cost.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import orjson
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from auditor.logs import LogWindow
from auditor.logs import sigma as sigma_mod
from auditor.logs.aggregate import Params, Partial, add_problems
from auditor.logs.parse import FileProblem, parse_file_name
from auditor.logs.s3source import S3Object, day_prefixes, list_objects
from auditor.logs.sql import queries, remote
from auditor.model.errors import AuditorError

#: What Athena does with the caller's permissions while running a query (not API calls of ours,
#: so no test can record them; ``policy/iam-policy-athena.json`` grants them beside our calls):
#: read the table's definition and partitions, read the trail bucket, write and read the results.
SERVICE_SIDE_ACTIONS = frozenset(
    {
        "glue:GetDatabase",
        "glue:GetPartitions",
        "glue:GetTable",
        "s3:GetObject",
        "s3:ListBucket",
        "s3:GetBucketLocation",
        "s3:PutObject",
    }
)
_CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 10}, user_agent_extra="trail-auditor")
GB = 10**9
#: Athena keeps a query at most this long by default before it is stopped (seconds).
DEFAULT_TIMEOUT = 1800.0
_DONE = ("SUCCEEDED", "FAILED", "CANCELLED")


def _reason(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return f"{err.get('Code', 'ClientError')}: {err.get('Message', '')}".strip()
    return f"{type(exc).__name__}: {exc}"


def split_table(name: str) -> tuple[str, str]:
    """``DB.TABLE`` checked (plain identifiers, pasted into SQL) and split."""
    queries.table_name(name)
    db, _, table = name.rpartition(".")
    if not db or "." in db:
        raise AuditorError(f"--athena-table {name!r}: expected DB.TABLE")
    return db, table


def check_output(url: str | None) -> None:
    """``--athena-output``: an s3://BUCKET/PREFIX URL (or none: the work group's location)."""
    if url is None:
        return
    bucket = url[len("s3://") :].split("/", 1)[0] if url.startswith("s3://") else ""
    if not bucket:
        raise AuditorError(f"--athena-output {url!r}: expected s3://BUCKET/PREFIX")


# --------------------------------------------------------------------------- values


def _value(text: str | None, type_: str) -> Any:
    """One GetQueryResults value as the DuckDB engine would return it (by the column's type)."""
    if text is None:
        return None
    t = type_.lower()
    if t == "boolean":
        return text == "true"
    if t in ("tinyint", "smallint", "integer", "int", "bigint"):
        return int(text)
    if t in ("double", "float", "real"):
        return float(text)
    if t == "json":
        return orjson.loads(text)
    return text


def typed_rows(pages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of GetQueryResults pages, the header row Athena puts first left out."""
    out: list[dict[str, Any]] = []
    cols: list[tuple[str, str]] = []
    for i, page in enumerate(pages):
        rs = page.get("ResultSet", {})
        if not cols:
            info = rs.get("ResultSetMetadata", {}).get("ColumnInfo", [])
            cols = [(c["Name"], c.get("Type", "varchar")) for c in info]
        rows = rs.get("Rows", [])
        if i == 0 and rows and [d.get("VarCharValue") for d in rows[0].get("Data", [])] == [n for n, _ in cols]:
            rows = rows[1:]  # a SELECT's first row holds the column names
        for r in rows:
            data = r.get("Data", [])
            out.append(
                {
                    name: _value(data[j].get("VarCharValue") if j < len(data) else None, typ)
                    for j, (name, typ) in enumerate(cols)
                }
            )
    return out


# --------------------------------------------------------------------------- running


@dataclass
class Budget:
    """Bytes the whole run may scan (None: no limit), and bytes scanned so far."""

    max_bytes: int | None = None
    scanned: int = 0


@dataclass
class QueryStats:
    """What one query cost."""

    query_id: str
    state: str
    data_scanned_bytes: int = 0
    engine_execution_ms: int = 0
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class AthenaRunner:
    """Runs statements on Athena: start, poll with back-off, paginate, stop on budget or time."""

    client: Any
    database: str
    workgroup: str | None = None
    output: str | None = None
    budget: Budget = field(default_factory=Budget)
    timeout: float = DEFAULT_TIMEOUT
    poll_first: float = 0.5
    poll_max: float = 10.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    queries: list[QueryStats] = field(default_factory=list)

    def start(self, sql: str) -> str:
        kwargs: dict[str, Any] = {"QueryString": sql, "QueryExecutionContext": {"Database": self.database}}
        if self.workgroup:
            kwargs["WorkGroup"] = self.workgroup
        if self.output:
            kwargs["ResultConfiguration"] = {"OutputLocation": self.output}
        try:
            return str(self.client.start_query_execution(**kwargs)["QueryExecutionId"])
        except (ClientError, BotoCoreError) as exc:
            raise remote.QueryFailed(None, f"StartQueryExecution refused: {_reason(exc)}") from exc

    def _stop(self, stats: QueryStats, reason: str) -> remote.QueryFailed:
        try:
            self.client.stop_query_execution(QueryExecutionId=stats.query_id)
        except (ClientError, BotoCoreError) as exc:
            reason += f" (StopQueryExecution failed: {_reason(exc)})"
        stats.state, stats.reason = "CANCELLED", reason
        return remote.QueryFailed(stats.query_id, reason)

    def wait(self, query_id: str) -> QueryStats:
        """Poll until the query ends; stop it past the budget or the time limit."""
        stats = QueryStats(query_id, "QUEUED")
        self.queries.append(stats)
        began = self.clock()
        delay = self.poll_first
        while True:
            try:
                qe = self.client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
            except (ClientError, BotoCoreError) as exc:
                raise self._stop(stats, f"GetQueryExecution failed: {_reason(exc)}") from exc
            status = qe.get("Status", {})
            st = qe.get("Statistics", {})
            stats.state = str(status.get("State", "UNKNOWN"))
            stats.data_scanned_bytes = int(st.get("DataScannedInBytes", 0) or 0)
            stats.engine_execution_ms = int(st.get("EngineExecutionTimeInMillis", 0) or 0)
            limit = self.budget.max_bytes
            # a query that already ended has cost what it cost: its result is used, and the
            # spent budget refuses the next statement (rows())
            over = limit is not None and self.budget.scanned + stats.data_scanned_bytes > limit
            if over and limit is not None and stats.state not in _DONE:
                failed = self._stop(
                    stats,
                    f"stopped: the scan passed the budget of {limit / GB:g} GB "
                    f"({(self.budget.scanned + stats.data_scanned_bytes) / GB:.3f} GB)",
                )
                self.budget.scanned += stats.data_scanned_bytes
                raise failed
            if stats.state in _DONE:
                self.budget.scanned += stats.data_scanned_bytes
                break
            if self.clock() - began > self.timeout:
                raise self._stop(stats, f"timed out after {self.timeout:g} s ({stats.state})")
            self.sleep(delay)
            delay = min(delay * 2, self.poll_max)
        if stats.state != "SUCCEEDED":
            why = status.get("StateChangeReason") or ""
            err = status.get("AthenaError") or {}
            detail = "; ".join(
                str(x) for x in (why, err.get("ErrorType") and f"error type {err.get('ErrorType')}") if x
            )
            stats.reason = f"{stats.state}" + (f": {detail}" if detail else "")
            raise remote.QueryFailed(query_id, stats.reason)
        return stats

    def results(self, query_id: str) -> list[dict[str, Any]]:
        """Every page of GetQueryResults, typed."""
        try:
            pages = list(
                self.client.get_paginator("get_query_results").paginate(
                    QueryExecutionId=query_id, PaginationConfig={"PageSize": 1000}
                )
            )
        except (ClientError, BotoCoreError) as exc:
            raise remote.QueryFailed(query_id, f"GetQueryResults failed: {_reason(exc)}") from exc
        return typed_rows(pages)

    def rows(self, sql: str) -> list[dict[str, Any]]:
        """Run one statement and return its rows (raises QueryFailed)."""
        if self.budget.max_bytes is not None and self.budget.scanned >= self.budget.max_bytes:
            raise remote.QueryFailed(None, f"not run: the budget of {self.budget.max_bytes / GB:g} GB is spent")
        query_id = self.start(sql)
        self.wait(query_id)
        return self.results(query_id)


# --------------------------------------------------------------------------- the table and the estimate


@dataclass(frozen=True)
class TableInfo:
    """What Glue says of the table."""

    columns: frozenset[str]
    location: str
    parameters: dict[str, str]

    def enum(self, column: str) -> tuple[str, ...]:
        """An ``enum`` projection's values (empty when injected or not projected)."""
        if self.parameters.get(f"projection.{column}.type") != "enum":
            return ()
        return tuple(v.strip() for v in self.parameters.get(f"projection.{column}.values", "").split(",") if v.strip())


def table_info(glue: Any, database: str, table: str) -> TableInfo:
    """Glue GetTable (raises AuditorError with the reason: nothing can be queried then)."""
    try:
        t = glue.get_table(DatabaseName=database, Name=table)["Table"]
    except (ClientError, BotoCoreError) as exc:
        raise AuditorError(f"Glue GetTable {database}.{table}: {_reason(exc)}") from exc
    sd = t.get("StorageDescriptor", {})
    cols = {c["Name"].lower() for c in sd.get("Columns", [])} | {c["Name"].lower() for c in t.get("PartitionKeys", [])}
    return TableInfo(frozenset(cols), str(sd.get("Location", "")), dict(t.get("Parameters", {})))


def bucket_prefix(location: str) -> tuple[str, str]:
    """``s3://bucket/[prefix/]AWSLogs/[o-org/]`` -> (bucket, ``[prefix/]AWSLogs/``)."""
    if not location.startswith("s3://"):
        raise AuditorError(f"table location {location!r} is not an s3:// URL")
    bucket, _, key = location[len("s3://") :].partition("/")
    parts = [p for p in key.split("/") if p]
    if parts and parts[-1].startswith("o-"):
        parts = parts[:-1]
    return bucket, "/".join(parts)


@dataclass
class Listing:
    """The objects the window's statements read, and what listing them met."""

    objects: list[S3Object]
    problems: list[FileProblem]
    scopes: list[str]

    @property
    def size(self) -> int:
        return sum(o.size for o in self.objects)


def list_window(s3: Any, location: str, window: LogWindow, accounts: Sequence[str], regions: Sequence[str]) -> Listing:
    """The objects under the day partitions the statements read (the window, one day each side)."""
    bucket, prefix = bucket_prefix(location)
    objects, problems, scopes = list_objects(
        s3,
        bucket,
        prefix,
        window.since - timedelta(days=1),
        window.until + timedelta(days=1),
        accounts or None,
        regions or None,
    )
    objects = [o for o in objects if "CloudTrail-Digest" not in o.key]
    return Listing(objects, problems, scopes)


def _within(table_values: Sequence[str], wanted: Sequence[str]) -> tuple[str, ...]:
    """The values to list: the wanted ones inside the table's enum (either may be empty: no limit)."""
    if not wanted:
        return tuple(table_values)
    return tuple(v for v in wanted if not table_values or v in table_values) or ("(none)",)


def scope_of(window: LogWindow, listing: Listing, info: TableInfo) -> queries.Scope:
    """The statements' scope: the window, and the accounts and regions the listing found.

    Listed, not the table's enum: an enum value without objects in the window costs nothing
    to leave out, and an injected projection needs the names.
    """
    since, until = remote_window(window)
    accounts = tuple(sorted({s.split("/")[0] for s in listing.scopes}))
    regions = tuple(sorted({s.split("/")[1] for s in listing.scopes}))
    return queries.Scope(since, until, accounts, regions)


remote_window = remote.window_text


def _partial(listing: Listing, window: LogWindow) -> Partial:
    """What the listing tells without a query: files in the stream's days and their delivery hours."""
    part = Partial()
    days = set(day_prefixes(window.since, window.until))
    for o in listing.objects:
        fn = parse_file_name(o.key)
        if not any(f"/{d}" in o.key for d in days):
            continue
        part.files_read += 1
        if fn.account_id and fn.region and fn.stamp:
            part.file_hours.setdefault((fn.account_id, fn.region), set()).add(fn.stamp[:13])
    add_problems(part, listing.problems)
    return part


# --------------------------------------------------------------------------- the engine


@dataclass(frozen=True)
class AthenaOptions:
    """``--athena-*`` and ``--max-scan-gb``."""

    table: str
    workgroup: str | None = None
    output: str | None = None
    max_scan_gb: float | None = None
    timeout: float = DEFAULT_TIMEOUT
    profile: str | None = None
    endpoint_url: str | None = None
    region: str | None = None

    def __post_init__(self) -> None:
        split_table(self.table)
        check_output(self.output)
        if self.max_scan_gb is not None and not (self.max_scan_gb > 0 and math.isfinite(self.max_scan_gb)):
            raise AuditorError(f"--max-scan-gb {self.max_scan_gb}: give a positive number of gigabytes")

    @property
    def max_scan_bytes(self) -> int | None:
        return None if self.max_scan_gb is None else int(self.max_scan_gb * GB)


@dataclass
class Clients:
    """The three clients the engine uses."""

    athena: Any
    glue: Any
    s3: Any


def clients(options: AthenaOptions, session: boto3.Session | None = None) -> Clients:
    """Athena, Glue and S3 clients from the profile (or the given session)."""
    if session is None:
        session = boto3.Session(profile_name=options.profile) if options.profile else boto3.Session()
    region = options.region or session.region_name or "us-east-1"

    def make(service: str) -> Any:
        return session.client(service, config=_CONFIG, endpoint_url=options.endpoint_url, region_name=region)

    return Clients(make("athena"), make("glue"), make("s3"))


def read_athena(
    options: AthenaOptions,
    window: LogWindow,
    *,
    rules_dir: Path | None = None,
    session: boto3.Session | None = None,
    runner_options: dict[str, Any] | None = None,
    made: Clients | None = None,
    accounts: Sequence[str] = (),
    regions: Sequence[str] = (),
) -> dict[str, Any]:
    """The evidence document, computed by Athena over ``options.table``.

    ``accounts``/``regions`` (a scan's scope) restrict what is listed and queried,
    within the table's own enum projections when it has them.

    Never raises for evidence that could not be seen: a table that cannot be
    read, lacks a column, a listing that failed under a budget, an estimate
    over the budget, or a query that did not succeed each become failures
    recorded in the document (the checks they feed ERROR).
    """
    db, table = split_table(options.table)
    rs = sigma_mod.load_ruleset(rules_dir) if rules_dir is not None else sigma_mod.Ruleset()
    specs, unsupported, correlations = rs.specs, rs.unsupported, rs.correlations
    c = made or clients(options, session)
    since, until = remote_window(window)
    params = Params(since=since, until=until)
    refused: str | None = None
    listing = Listing([], [], [])
    scope = queries.Scope(since, until)
    try:
        info = table_info(c.glue, db, table)
    except AuditorError as exc:
        refused = str(exc)
    else:
        missing = sorted(remote.needed_columns() - info.columns)
        if missing:
            refused = f"table {options.table} lacks the column(s) {', '.join(missing)} the statements read"
        try:
            listing = list_window(
                c.s3,
                info.location,
                window,
                _within(info.enum("account"), accounts),
                _within(info.enum("region"), regions),
            )
        except AuditorError as exc:
            listing.problems.append(FileProblem(info.location, str(exc)))
        scope = scope_of(window, listing, info)
    statements = remote.statement_count(scope, options.table, specs, correlations)
    estimate = listing.size * statements
    limit = options.max_scan_bytes
    if refused is None and limit is not None:
        if listing.problems:
            refused = (
                "the bytes to scan cannot be estimated (listing the trail bucket failed): refused under --max-scan-gb"
            )
        elif estimate > limit:
            refused = (
                f"estimated scan {estimate / GB:.3f} GB ({statements} statements x {listing.size / GB:.3f} GB "
                f"under the window's prefixes) exceeds --max-scan-gb {options.max_scan_gb:g}"
            )
    if refused is None and not listing.objects:
        refused = "no CloudTrail object under the table's location in the window: nothing to query"
    runner = AthenaRunner(
        c.athena, db, options.workgroup, options.output, Budget(limit), options.timeout, **(runner_options or {})
    )
    part = _partial(listing, window)
    doc = remote.evaluate(
        runner,
        part,
        params,
        scope,
        options.table,
        [f"athena:{options.table}"],
        specs,
        unsupported,
        refused=refused,
        correlations=correlations,
    )
    scanned = sum(q.data_scanned_bytes for q in runner.queries)
    doc["athena"] = {
        "table": options.table,
        "workgroup": options.workgroup,
        "output_location": options.output,
        "statements": statements,
        "objects_in_window": len(listing.objects),
        "bytes_in_window": listing.size,
        "estimated_scan_bytes": estimate,
        "max_scan_bytes": limit,
        "data_scanned_bytes": scanned,
        "engine_execution_ms": sum(q.engine_execution_ms for q in runner.queries),
        "estimated_cost_usd": remote.cost_usd(scanned),
        "price_usd_per_tb": remote.USD_PER_TB,
        "queries": [q.to_dict() for q in runner.queries],
        "refused": refused,
    }
    doc["events_read"] = sum(c_["events"] for c_ in doc["coverage"])
    return doc


def run_query(
    options: AthenaOptions,
    build: Callable[[queries.Scope, str], str],
    window: LogWindow,
    *,
    session: boto3.Session | None = None,
    runner_options: dict[str, Any] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """`trail-auditor query --engine athena`: one statement over the table, and what it cost.

    ``build(scope, table)`` gives the Trino text once the scope (the accounts and
    regions an injected projection needs) is known from the listing.
    """
    db, table = split_table(options.table)
    c = clients(options, session)
    info = table_info(c.glue, db, table)
    listing = list_window(c.s3, info.location, window, info.enum("account"), info.enum("region"))
    scope = scope_of(window, listing, info)
    text = build(scope, options.table)
    limit = options.max_scan_bytes
    if limit is not None:
        if listing.problems:
            raise AuditorError(
                "cannot estimate the bytes to scan (listing the trail bucket failed): "
                + "; ".join(f"{p.path}: {p.reason}" for p in listing.problems[:3])
            )
        if listing.size > limit:
            raise AuditorError(
                f"estimated scan {listing.size / GB:.3f} GB exceeds --max-scan-gb {options.max_scan_gb:g}"
            )
    runner = AthenaRunner(
        c.athena, db, options.workgroup, options.output, Budget(limit), options.timeout, **(runner_options or {})
    )
    try:
        rows = runner.rows(text)
    except remote.QueryFailed as exc:
        raise AuditorError(f"Athena {exc}") from exc
    stats = runner.queries[-1].to_dict() if runner.queries else {}
    stats["estimated_cost_usd"] = remote.cost_usd(int(stats.get("data_scanned_bytes", 0)))
    stats["sql"] = text
    return rows, stats

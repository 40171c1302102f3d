"""`athena-ddl` and `query`: the Athena table's DDL, and investigations on either SQL engine."""

from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditor.app.cli.options import (
    EXIT_INCOMPLETE,
    EXIT_OK,
    Command,
    account_ids,
    add_athena,
    add_common,
    athena_options,
    check_engine,
    csv_list,
)
from auditor.app.cli.outputs import write_output
from auditor.app.console import print_lines, stderr_console
from auditor.model.errors import AuditorError

DDL_CODES = "exit codes: 0 printed; 2 usage error (a bad bucket, prefix, id or region); 4 internal error (a bug)"
QUERY_CODES = (
    "exit codes: 0 the rows were written; 2 usage or input error, or a query that failed, was\n"
    "cancelled, timed out or passed --max-scan-gb (its id and reason on stderr); 3 rows written but\n"
    "some log files could not be read (--engine duckdb; listed on stderr); 4 internal error (a bug)"
)


def add_parsers(command: Command) -> None:
    """Add this module's subcommands."""
    dd = command(
        "athena-ddl",
        "print the CREATE EXTERNAL TABLE for the trail bucket (Athena, partition projection)",
        "trail-auditor athena-ddl --bucket my-trail-bucket > cloudtrail.sql",
        "trail-auditor athena-ddl --bucket org-logs --prefix audit --org-id o-a1b2c3d4e5 "
        "--accounts 111122223333,444455556666 --regions us-east-1,eu-west-1",
        codes=DDL_CODES + "\n\nIt only prints. Creating the table writes to the Glue catalog: run the "
        "statement yourself,\ne.g. in the Athena console or with `aws athena "
        "start-query-execution --query-string file://cloudtrail.sql`.",
    )
    dd.add_argument("--bucket", required=True, help="the trail's S3 bucket")
    dd.add_argument("--prefix", default="", help="the trail's S3 key prefix, if any")
    dd.add_argument(
        "--org-id",
        default=None,
        metavar="o-...",
        help="organisation id of an organisation trail (keys under AWSLogs/o-.../)",
    )
    dd.add_argument(
        "--accounts",
        type=account_ids,
        default=(),
        help="comma-separated account ids (an enum projection; default: injected, every query names its accounts)",
    )
    dd.add_argument(
        "--regions", type=csv_list, default=(), help="comma-separated regions (an enum projection; default: injected)"
    )
    dd.add_argument("--database", default="default", help="Glue database of the table (default default)")
    dd.add_argument("--table", default="cloudtrail_logs", help="table name (default cloudtrail_logs)")
    add_common(dd)

    q = command(
        "query",
        "run one investigation (SQL or a Sigma rule) over the window's events",
        'trail-auditor query "SELECT eventtime, awsregion, useridentity.arn FROM cloudtrail '
        "WHERE eventname = 'CreateBucket'\" --logs ./cloudtrail-logs --since 30d -o buckets.csv",
        "trail-auditor query --sigma rules/aws_root_account_usage.yml --engine athena "
        "--athena-table trail.cloudtrail_logs --since 7d -o root.json",
        codes=QUERY_CODES + "\n\nThe SQL reads the table named cloudtrail (Trino syntax; the window, "
        "accounts and regions are\napplied to it); see docs/sql-engine.md for recipes.",
    )
    q.add_argument(
        "sql", nargs="?", default=None, metavar="SQL", help="one SELECT over the table named cloudtrail (Trino syntax)"
    )
    q.add_argument(
        "--sigma",
        type=Path,
        default=None,
        metavar="RULE.yml",
        help="instead of SQL: the events one Sigma rule matches (exactly as the stream decides)",
    )
    q.add_argument(
        "--logs", type=Path, default=None, metavar="PATH", help="the local folder of CloudTrail files (--engine duckdb)"
    )
    q.add_argument("--since", default="30d", help="start of the window: 30d, 12h or a date (default 30d)")
    q.add_argument("--until", default=None, help="end of the window (default now)")
    q.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE.csv|FILE.json",
        help="write the rows here (.csv or .json; '-' for JSON on stdout)",
    )
    q.add_argument("--profile", default=None, help="AWS named profile (--engine athena)")
    q.add_argument("--endpoint-url", default=None, help="send every AWS call to this endpoint (--engine athena)")
    add_athena(q, engines=("duckdb", "athena"), default="duckdb")
    add_common(q)


def cmd_athena_ddl(args: argparse.Namespace) -> int:
    """Print the CREATE EXTERNAL TABLE statement."""
    from auditor.logs.sql.ddl import athena_ddl

    sys.stdout.write(
        athena_ddl(args.bucket, args.prefix, args.org_id, args.accounts, args.regions, args.database, args.table)
    )
    return EXIT_OK


def _format(output: str) -> str:
    if output == "-" or output.endswith(".json"):
        return "json"
    if output.endswith(".csv"):
        return "csv"
    raise AuditorError(f"-o {output}: give a .csv or .json file (or - for JSON on stdout)")


def _cell(v: Any) -> Any:
    if isinstance(v, dict | list):
        return json.dumps(v, sort_keys=True)
    return v


def render_rows(rows: list[dict[str, Any]], fmt: str) -> str:
    """The rows as JSON (a list of objects) or CSV (a header, nested values as JSON text)."""
    if fmt == "json":
        return json.dumps(rows, indent=2, default=str) + "\n"
    buf = io.StringIO()
    names: list[str] = list(dict.fromkeys(k for r in rows for k in r))
    w = csv.DictWriter(buf, fieldnames=names, extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow({k: _cell(v) for k, v in r.items()})
    return buf.getvalue()


def _sigma_spec(path: Path) -> Any:
    from auditor.logs import sigma as sigma_mod

    if not path.is_file():
        raise AuditorError(f"--sigma {path}: not a file")
    with tempfile.TemporaryDirectory(prefix="trail-auditor-sigma-") as tmp:
        shutil.copy(path, Path(tmp) / path.name)
        specs, unsupported = sigma_mod.load_rules(Path(tmp))
    if unsupported:
        raise AuditorError(f"--sigma {path}: {unsupported[0].reason}")
    if len(specs) != 1:
        raise AuditorError(f"--sigma {path}: expected one rule, found {len(specs)}")
    return specs[0]


def _sigma_rows(spec: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The candidate rows the stream's evaluator matches, as events with where they came from."""
    from auditor.logs import sigma as sigma_mod
    from auditor.logs.sql.adhoc import SIGMA_CAP
    from auditor.logs.sql.duckdb_engine import event_of

    if len(rows) > SIGMA_CAP:
        raise AuditorError(f"--sigma: more than {SIGMA_CAP} candidate rows; narrow the window")
    out = []
    for r in rows:
        ev = event_of(r)
        if sigma_mod.evaluate(spec.node, ev):
            out.append(
                {"account_id": r.get("_account"), "region": r.get("_region"), "file": r.get("_file"), "event": ev}
            )
    return out


def cmd_query(args: argparse.Namespace) -> int:
    """One investigation; every option is checked before the first AWS call."""
    from auditor.logs import LogWindow, parse_since
    from auditor.logs.sql import adhoc
    from auditor.logs.sql.compiler import Unsupported
    from auditor.logs.sql.remote import window_text

    console = stderr_console(args.quiet)
    check_engine(args)
    if (args.sql is None) == (args.sigma is None):
        raise AuditorError("give either SQL or --sigma RULE.yml")
    fmt = _format(args.output)
    now = datetime.now(UTC)
    window = LogWindow(since=parse_since(args.since, now), until=parse_since(args.until, now) if args.until else now)
    if args.engine == "duckdb" and args.logs is None:
        raise AuditorError("--engine duckdb needs --logs PATH (a local folder of CloudTrail files)")
    if args.engine == "athena" and args.logs is not None:
        raise AuditorError("--logs is for --engine duckdb; --engine athena reads --athena-table")
    spec = _sigma_spec(args.sigma) if args.sigma is not None else None
    if args.sql is not None:
        adhoc.parse_select(args.sql)  # a bad statement fails here, before any AWS call
    if args.output != "-":
        from auditor.app.cli.outputs import writable_folder

        writable_folder(Path(args.output).parent, "-o/--output: folder")

    def build(scope: Any, table: str) -> Any:
        if spec is None:
            return adhoc.windowed(args.sql, table, scope)
        try:
            return adhoc.sigma_candidates(spec, table, scope)
        except Unsupported as exc:
            raise AuditorError(f"--sigma {args.sigma}: SQL engine: {exc.reason}") from exc

    problems: list[dict[str, Any]]
    if args.engine == "athena":
        from auditor.aws.athena import run_query
        from auditor.logs.sql.remote import athena_text

        options = athena_options(args)
        with console.status("Running the query on Athena..."):
            rows, stats = run_query(options, lambda scope, table: athena_text(build(scope, table)), window)
        console.print(
            f"athena query {stats.get('query_id')}: {int(stats.get('data_scanned_bytes', 0)) / 1e9:.3f} GB "
            f"scanned, about ${float(stats.get('estimated_cost_usd', 0)):.4f}",
            markup=False,
            highlight=False,
        )
        problems = []
    else:
        from auditor.logs.aggregate import Params
        from auditor.logs.sql import duckdb_engine, queries

        if not args.logs.exists():
            raise AuditorError(f"--logs {args.logs}: no such file or folder")
        since, until = window_text(window)
        with console.status("Reading log files into DuckDB..."):
            loaded = duckdb_engine.load(args.logs, Params(since, until))
        try:
            stmt = build(queries.Scope(since, until), duckdb_engine.TABLE)
            try:
                cur = loaded.con.execute(queries.via_trino(stmt))
                names = [d[0] for d in cur.description]
                rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
            except Exception as exc:  # duckdb's errors for a statement the user wrote
                raise AuditorError(f"SQL: {type(exc).__name__}: {str(exc).splitlines()[0]}") from None
        finally:
            loaded.con.close()
        problems = loaded.part.problems
    if spec is not None:
        rows = _sigma_rows(spec, rows)
    text = render_rows(rows, fmt)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        write_output(Path(args.output), text)
        console.print(f"wrote {len(rows)} row(s) to {args.output}", markup=False, highlight=False)
    if problems:  # files that could not be read: the rows may be incomplete
        print_lines(stderr_console(), [f"  problem: {p.get('path')}: {p.get('reason')}" for p in problems[:20]])
        return EXIT_INCOMPLETE
    return EXIT_OK


RUN = {"athena-ddl": cmd_athena_ddl, "query": cmd_query}

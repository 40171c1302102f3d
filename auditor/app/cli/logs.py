"""`logs` and `verify-logs`: evidence from log files and digest validation without a scan."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.app.cli.options import (
    EXIT_CODES,
    EXIT_FAIL,
    EXIT_OK,
    REGIONS_HELP,
    Command,
    add_athena,
    add_common,
    add_output,
    athena_options,
    check_engine,
    csv_list,
)
from auditor.app.cli.outputs import (
    check_evaluation,
    check_outputs,
    finish,
    load_baseline,
    write_output,
)
from auditor.app.console import (
    RichWork,
    plural,
    print_lines,
    stderr_console,
)
from auditor.app.pipeline import build_results
from auditor.model.errors import AuditorError
from auditor.model.log_evidence import LogEvidence
from auditor.model.snapshot import Snapshot


def add_parsers(command: Command) -> None:
    """Add this module's subcommands."""
    lg = command(
        "logs",
        "run the evidence checks on log files alone",
        "trail-auditor logs ./cloudtrail-logs --since 30d --rules ./sigma",
        "trail-auditor logs s3://my-trail-bucket/AWSLogs/ --since 2026-11-01 --until 2026-12-01",
        "trail-auditor logs ./cloudtrail-logs --engine duckdb --since 30d",
        "trail-auditor logs --engine athena --athena-table trail.cloudtrail_logs --max-scan-gb 50 --since 30d",
        "trail-auditor logs --engine athena --athena-table trail.cloudtrail_logs --explain > review.sql",
        codes=EXIT_CODES + "\n(an empty folder, or one without CloudTrail files, exits 3; with --engine "
        "athena, a failed, cancelled,\ntimed-out or over-budget query makes the "
        "checks it feeds ERROR, exit 3)",
    )
    lg.add_argument(
        "source",
        nargs="?",
        default=None,
        metavar="PATH|s3://BUCKET/PREFIX",
        help="a folder of CloudTrail .json/.json.gz files, or an S3 prefix (not with --engine athena: "
        "the table names the data)",
    )
    lg.add_argument("--since", default="30d", help="start of the window: 30d, 12h or a date (default 30d)")
    lg.add_argument("--until", default=None, help="end of the window: a date, or 12h for 12 hours ago (default now)")
    lg.add_argument("--rules", type=Path, default=None, help="folder of Sigma rules")
    lg.add_argument("--profile", default=None, help="AWS named profile for an s3:// source")
    lg.add_argument("--endpoint-url", default=None, help="S3 endpoint for an s3:// source (moto, LocalStack)")
    lg.add_argument(
        "--explain",
        action="store_true",
        help="print the SQL the Athena engine would run (Trino, one ;-terminated statement per "
        "query, with its partition predicates) and run nothing",
    )
    add_athena(lg)
    add_output(lg)
    add_common(lg)

    vl = command(
        "verify-logs",
        "validate digest files and log files (like validate-logs)",
        "trail-auditor verify-logs --trail-arn arn:aws:cloudtrail:us-east-1:111122223333:trail/org "
        "--start-time 2026-11-01T00:00:00Z",
        "trail-auditor verify-logs ./bucket-copy --public-keys keys.json -o -",
        codes="exit codes: 0 every digest and log file valid; 1 some invalid or missing; 2 usage or\n"
        "input error; 4 internal error (a bug)",
    )
    vl.add_argument(
        "source", nargs="?", default=None, metavar="FOLDER", help="offline: a local folder mirroring the bucket layout"
    )
    vl.add_argument("--trail-arn", default=None, help="the trail whose digests are validated")
    vl.add_argument("--bucket", default=None, help="digest bucket (default: the trail's)")
    vl.add_argument("--prefix", default=None, help="the trail's S3 key prefix (default: the trail's)")
    vl.add_argument("--account-id", default=None, help="account whose digests are read (default: the trail's)")
    vl.add_argument("--organization-id", default=None, help="organisation id of an organisation trail's keys")
    vl.add_argument("--regions", type=csv_list, default=None, help=f"regions to validate ({REGIONS_HELP})")
    vl.add_argument(
        "--start-time",
        required=False,
        default=None,
        help="validate digests from this time (ISO 8601, e.g. 2026-11-01T00:00:00Z)",
    )
    vl.add_argument("--end-time", default=None, help="validate digests up to this time (default now)")
    vl.add_argument("--public-keys", type=Path, default=None, help="offline public keys (JSON)")
    vl.add_argument("--profile", default=None, help="AWS named profile")
    vl.add_argument("--endpoint-url", default=None, help="send every AWS call to this endpoint")
    vl.add_argument("-o", "--output", default=None, help="per-file results as JSON here ('-' stdout)")
    add_common(vl)


def cmd_logs(args: argparse.Namespace) -> int:
    """Evidence checks on log files alone."""
    from auditor.logs import LogWindow, parse_since, read_local

    console = stderr_console(args.quiet)
    now = datetime.now(UTC)
    window = LogWindow(since=parse_since(args.since, now), until=parse_since(args.until, now) if args.until else now)
    if window.since >= window.until:
        raise AuditorError(f"--since ({window.since:%Y-%m-%d %H:%M}) must be before --until")
    if args.rules is not None and not args.rules.is_dir():
        raise AuditorError(f"--rules {args.rules}: not a folder")
    check_engine(args)
    if args.explain:
        return explain_logs(args, window)
    if args.engine == "athena":
        if args.source is not None:
            raise AuditorError("--engine athena reads the table, not PATH: give --athena-table only")
    elif args.source is None:
        raise AuditorError("give the PATH or s3://BUCKET/PREFIX to read (or --engine athena --athena-table DB.TABLE)")
    if args.engine == "duckdb" and str(args.source).startswith("s3://"):
        raise AuditorError("--engine duckdb reads a local folder; for the bucket use --engine athena")
    baseline = load_baseline(args)
    evaluation = check_evaluation(args, baseline, sections=("logs",))
    check_outputs(args)
    source: str = args.source or f"athena:{args.athena_table}"
    if args.engine == "athena":
        from auditor.aws.athena import read_athena

        options = athena_options(args)
        with console.status("Running the evidence queries on Athena..."):
            evidence = read_athena(options, window, rules_dir=args.rules)
        print_athena(console, evidence)
    elif args.engine == "duckdb":
        from auditor.logs.sql import duckdb_engine
        from auditor.logs.sql.remote import window_text

        path = Path(source)
        if not path.exists():
            raise AuditorError(f"{path}: no such file or folder")
        with console.status("Reading log files into DuckDB..."):
            evidence = duckdb_engine.read_local(path, *window_text(window), rules_dir=args.rules)
    elif source.startswith("s3://"):
        from auditor.aws.trail_logs import read_s3_source

        evidence = read_s3_source(
            source,
            window,
            rules_dir=args.rules,
            profile=args.profile,
            endpoint_url=args.endpoint_url,
            work=RichWork(console),
        )
    else:
        path = Path(source)
        if not path.exists():
            raise AuditorError(f"{path}: no such file or folder")
        work = RichWork(console)
        evidence = read_local(
            path,
            window,
            rules_dir=args.rules,
            progress=lambda done, total: work.update(f"Reading {path} (files)", done, total),
        )
    snapshot = Snapshot(
        collected_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        tool_version=__version__,
        log_evidence=LogEvidence.from_dict(evidence),
    )
    problems = evidence.get("file_problems", [])
    files_read = int(evidence.get("files_read", 0) or 0)
    nothing = files_read == 0 and not problems
    if nothing:
        stderr_console().print(
            f"no CloudTrail files under {source} (looked for .json and .json.gz); every log check is ERROR",
            markup=False,
            highlight=False,
        )
    else:
        console.print(
            f"read {plural(files_read, 'file')}, {plural(int(evidence.get('events_read', 0) or 0), 'event')},"
            f" {plural(len(problems), 'file problem')}",
            markup=False,
            highlight=False,
        )
        problem_console = stderr_console()  # unreadable files are errors: shown under -q too
        print_lines(problem_console, [f"  problem: {p.get('path')}: {p.get('reason')}" for p in problems[:20]])
        if len(problems) > 20:
            print_lines(problem_console, [f"  ... and {len(problems) - 20} more (see results.json)"])
    results = build_results(snapshot, evaluation)
    return finish(results, args, console, baseline, summary=not nothing, snapshot=snapshot)


def explain_logs(args: argparse.Namespace, window: Any) -> int:
    """--explain: the Athena statements on stdout (the --rules' Sigma rules and correlations too), nothing run."""
    from auditor.logs import sigma as sigma_mod
    from auditor.logs.sql.explain import explain
    from auditor.logs.sql.queries import Scope
    from auditor.logs.sql.remote import window_text

    ruleset = sigma_mod.load_ruleset(args.rules) if args.rules is not None else None
    sys.stdout.write(explain(args.athena_table or "cloudtrail", Scope(*window_text(window)), ruleset))
    return EXIT_OK


def print_athena(console: Any, evidence: dict[str, Any]) -> None:
    """One line of what Athena scanned and cost; the refusal or failed queries on stderr even under -q."""
    stats = evidence.get("athena", {})
    console.print(
        f"athena: {len(stats.get('queries', []))} queries, "
        f"{int(stats.get('data_scanned_bytes', 0)) / 1e9:.3f} GB scanned "
        f"(estimated {int(stats.get('estimated_scan_bytes', 0)) / 1e9:.3f} GB), "
        f"about ${float(stats.get('estimated_cost_usd', 0)):.4f}",
        markup=False,
        highlight=False,
    )
    failed = evidence.get("failed_queries", [])
    if failed:
        # one folded statement serves many rules: one line per statement (query id and reason)
        by: dict[tuple[str, str], list[str]] = {}
        for f in failed:
            by.setdefault((str(f.get("query_id") or "-"), str(f.get("reason"))), []).append(str(f.get("serves")))
        lines = []
        for (qid, reason), serves in list(by.items())[:20]:
            more = f" and {len(serves) - 3} more" if len(serves) > 3 else ""
            lines.append(f"  query failed: {qid}: {reason} (serves {', '.join(serves[:3])}{more})")
        print_lines(stderr_console(), lines)


def cmd_verify_logs(args: argparse.Namespace) -> int:
    """Validate digest chains and log files."""
    from auditor.aws.trail_logs import verify_logs_command

    report, lines = verify_logs_command(args)
    # The first four lines are the validate-logs style header (range asked, range found, digest and
    # log counts); the rest name each invalid file, digest gap and unreadable source. -q keeps those.
    header, problems = lines[:4], lines[4:]
    # No digest at all for the range is missing evidence, not "every digest valid" (exit 1, as documented).
    ok = report.ok and report.digests_total > 0
    if not args.quiet:
        print_lines(stderr_console(), header)
    if problems or (args.quiet and not ok):
        print_lines(stderr_console(), problems or header)
    if args.output:
        text = json.dumps(report.to_dict(), indent=2)
        if args.output == "-":
            sys.stdout.write(text + "\n")
        else:
            write_output(Path(args.output), text)
    return EXIT_OK if ok else EXIT_FAIL


RUN = {"logs": cmd_logs, "verify-logs": cmd_verify_logs}

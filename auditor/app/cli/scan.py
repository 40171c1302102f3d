"""`scan` and `evaluate`: collect (or load a snapshot), evaluate, write the results."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from auditor.app.cli.options import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_READ_TIMEOUT,
    REGIONS_HELP,
    Command,
    account_ids,
    add_athena,
    add_common,
    add_output,
    athena_options,
    attempts,
    check_engine,
    csv_list,
    seconds,
)
from auditor.app.cli.outputs import (
    check_evaluation,
    check_outputs,
    finish,
    load_baseline,
)
from auditor.app.console import (
    stderr_console,
)
from auditor.app.pipeline import build_results
from auditor.model.errors import AuditorError
from auditor.model.redact import register_secret


def add_parsers(command: Command) -> None:
    """Add this module's subcommands."""
    scan = command(
        "scan",
        "collect configuration (and logs), evaluate, write results",
        "trail-auditor scan --profile audit --regions us-east-1,eu-west-1",
        "trail-auditor scan --organization --role-name OrganizationAccountAccessRole "
        "--logs-since 30d --snapshot snap.json",
        "trail-auditor scan -o - | jq .summary",
        "trail-auditor scan --logs-since 30d --engine athena --athena-table trail.cloudtrail_logs --max-scan-gb 100",
    )
    aws = scan.add_argument_group("AWS access")
    aws.add_argument("--profile", default=None, help="AWS named profile (standard boto3 chain otherwise)")
    aws.add_argument(
        "--regions",
        type=csv_list,
        default=None,
        help=f"only these regions ({REGIONS_HELP}; default: all enabled); an unknown or disabled name is a usage error",
    )
    aws.add_argument(
        "--organization",
        action="store_true",
        help="discover accounts through AWS Organizations (refused outside an organisation)",
    )
    aws.add_argument(
        "--accounts",
        type=account_ids,
        default=(),
        help="comma-separated 12-digit account ids to scan through --role-name",
    )
    aws.add_argument("--role-name", default=None, help="role assumed in each other account")
    aws.add_argument("--external-id", default=None, help="external id for AssumeRole (never printed)")
    aws.add_argument(
        "--endpoint-url", default=None, help="send every AWS call to this endpoint (moto server, LocalStack, proxy)"
    )
    aws.add_argument("--max-workers", type=int, default=16, help="parallel account x region tasks (default 16)")
    aws.add_argument(
        "--connect-timeout",
        type=seconds,
        default=DEFAULT_CONNECT_TIMEOUT,
        help=f"seconds to wait for a connection to an AWS endpoint (default {DEFAULT_CONNECT_TIMEOUT:g})",
    )
    aws.add_argument(
        "--read-timeout",
        type=seconds,
        default=DEFAULT_READ_TIMEOUT,
        help=f"seconds to wait for an answer on an open connection (default {DEFAULT_READ_TIMEOUT:g})",
    )
    aws.add_argument(
        "--max-attempts",
        type=attempts,
        default=DEFAULT_MAX_ATTEMPTS,
        help=f"attempts per AWS call, retries included (default {DEFAULT_MAX_ATTEMPTS})",
    )
    logs = scan.add_argument_group("evidence from logs")
    logs.add_argument(
        "--logs-since",
        default=None,
        help="read trails' log files for this window: 30d, 12h or a date (default: no logs)",
    )
    logs.add_argument(
        "--no-logs", action="store_true", help="skip the log files even if --logs-since is given (configuration only)"
    )
    logs.add_argument("--rules", type=Path, default=None, help="folder of Sigma rules for the log evidence")
    logs.add_argument(
        "--public-keys",
        type=Path,
        default=None,
        help="digest public keys file (offline) instead of CloudTrail ListPublicKeys",
    )
    add_athena(scan, engines=("stream", "athena"))
    scan.add_argument(
        "--snapshot",
        type=Path,
        default=None,
        help="also save the collected evidence here (for `trail-auditor evaluate`)",
    )
    add_output(scan)
    add_common(scan)

    ev = command(
        "evaluate",
        "re-run every check on a saved snapshot, with no AWS access",
        "trail-auditor evaluate snap.json --format json,pdf --output-dir audit",
        "trail-auditor evaluate snap.json --frameworks pci-dss-4.0.1 -o - | jq .summary",
    )
    ev.add_argument("snapshot_file", type=Path, metavar="SNAPSHOT", help="a file written by `scan --snapshot`")
    add_output(ev)
    add_common(ev)


def cmd_scan(args: argparse.Namespace) -> int:
    """Collect, read logs, evaluate (one :mod:`auditor.app.scanjob`, as the Lambda runs it), write.

    Every option is checked before the first AWS call that collects: the
    baseline, frameworks, retention profile, log window, output formats and
    folders, then the profile, credentials, endpoint and scope (a few quick
    calls with short retries).
    """
    from auditor.app.console import RichProgress
    from auditor.app.scanjob import ScanJob, run_scan_job
    from auditor.aws.collect import CollectOptions, check_access

    console = stderr_console(args.quiet)
    register_secret(args.external_id)  # AssumeRole sends it; --debug-aws logs must not show it
    if (args.accounts or args.organization) and not args.role_name:
        raise AuditorError("--accounts/--organization need --role-name (the role assumed in each account)")
    baseline = load_baseline(args)  # a broken baseline fails before a long collection, not after
    evaluation = check_evaluation(args, baseline)
    logs_since = None if args.no_logs else args.logs_since
    if logs_since is not None:
        from auditor.logs import parse_since

        try:
            parse_since(logs_since, datetime.now(UTC))
        except AuditorError as exc:
            raise AuditorError(f"--logs-since: {exc}") from exc
    if args.rules is not None and not args.rules.is_dir():
        raise AuditorError(f"--rules {args.rules}: not a folder")
    check_engine(args)
    athena = None
    if args.engine == "athena":
        if logs_since is None:
            raise AuditorError("--engine athena computes the log evidence: give --logs-since (and not --no-logs)")
        athena = athena_options(args)
    check_outputs(args)
    options = CollectOptions(
        profile=args.profile,
        regions=args.regions,
        organization=args.organization,
        accounts=tuple(args.accounts),
        role_name=args.role_name,
        external_id=args.external_id,
        endpoint_url=args.endpoint_url,
        max_workers=args.max_workers,
        trusted_accounts=tuple(args.trusted_accounts),
        connect_timeout=args.connect_timeout,
        read_timeout=args.read_timeout,
        max_attempts=args.max_attempts,
    )
    with console.status("Checking AWS access..."):
        check_access(options)
    job = ScanJob(
        collect=options,
        evaluation=evaluation,
        logs_since=logs_since,
        rules_dir=args.rules,
        public_keys=args.public_keys,
        snapshot_path=args.snapshot,
        athena=athena,
    )
    outcome = run_scan_job(job, progress=RichProgress(console), console=console)
    return finish(outcome.results, args, console, baseline, snapshot=outcome.snapshot)


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Re-evaluate a saved snapshot; the results keep the collection's time and scan id."""
    from auditor.model.snapshot_io import load_snapshot

    console = stderr_console(args.quiet)
    baseline = load_baseline(args)
    evaluation = check_evaluation(args, baseline)
    check_outputs(args)
    snapshot = load_snapshot(args.snapshot_file)
    results = build_results(snapshot, evaluation, finished_at=snapshot.collected_at)
    return finish(results, args, console, baseline, snapshot=snapshot)


RUN = {"scan": cmd_scan, "evaluate": cmd_evaluate}

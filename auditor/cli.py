"""The command line: parse, call the library, print, choose the exit code.

The only module that calls ``sys.exit`` (through :func:`main`'s return value)
and the only one that prints results. Every user-facing error is an
:class:`~auditor.errors.AuditorError`, caught once here: one line, exit 2, a
traceback only with ``--debug``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.baseline import Baseline
from auditor.checkapi import Severity
from auditor.console import print_lines, print_summary, stderr_console
from auditor.errors import AuditorError
from auditor.pipeline import EvaluationOptions, build_results, exit_code, now_iso, select_checks
from auditor.results import Results
from auditor.snapshot import Snapshot

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3
ALL_FORMATS = ("json", "html", "pdf", "csv", "sarif", "junit", "ocsf")
DEFAULT_FORMATS = ("json", "html")


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors through AuditorError (exit 2, one line)."""

    def error(self, message: str) -> Any:
        raise AuditorError(f"{self.prog}: {message} (see --help)")


# --------------------------------------------------------------------------- options


def _csv(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _formats(value: str) -> tuple[str, ...]:
    formats = _csv(value)
    bad = [f for f in formats if f not in ALL_FORMATS]
    if bad:
        raise argparse.ArgumentTypeError(
            f"unknown format(s) {', '.join(bad)}; choose from {', '.join(ALL_FORMATS)}"
        )
    return formats


def _severity(value: str) -> Severity:
    try:
        return Severity(value.lower())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"unknown severity {value!r}; choose from {', '.join(s.value for s in Severity)}"
        ) from None


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    p.add_argument("--debug", action="store_true", help="verbose logging and tracebacks")


DEFAULT_FAIL_ON = Severity.HIGH


def _add_output(p: argparse.ArgumentParser, default_fail_on: str = DEFAULT_FAIL_ON.value) -> None:
    g = p.add_argument_group("results")
    g.add_argument("--output-dir", type=Path, default=Path("."), help="where results are written")
    g.add_argument("--format", type=_formats, default=DEFAULT_FORMATS,
                   help=f"comma-separated: {','.join(ALL_FORMATS)} (default json,html)")
    g.add_argument("-o", "--output", default=None,
                   help="write the single --format here ('-' for stdout) instead of --output-dir")
    g.add_argument("--frameworks", type=_csv, default=None,
                   help="framework ids to map onto (default: all); see `trail-auditor frameworks`")
    g.add_argument("--mappings", type=Path, action="append", default=[],
                   help="a folder of extra framework YAML files (repeatable)")
    g.add_argument("--retention-profile", default="pci",
                   help="retention profile for bucket-retention: pci (365 d), hipaa (2190 d) or custom")
    g.add_argument("--trusted-accounts", type=_csv, default=(),
                   help="account ids trusted to own log buckets outside the scanned scope")
    g.add_argument("--fail-on", type=_severity, default=None,
                   help=f"lowest severity of a FAIL that makes the exit code 1 (default: the baseline's "
                        f"fail_on, else {default_fail_on})")
    g.add_argument("--allow-incomplete", action="store_true",
                   help="do not exit 3 when some evidence could not be collected (ERROR results)")
    g.add_argument("--org-name", default="", help="organisation name on the report cover")
    g.add_argument("--label", default="CONFIDENTIAL", help="confidentiality label in PDF headers")
    g.add_argument("--page-size", choices=("A4", "Letter"), default="A4")
    g.add_argument("--baseline", type=Path, default=None,
                   help="apply a baseline.yaml (waivers, overrides, fail_on) as `gate` does")
    g.add_argument("--history", default=None, metavar="DIR|s3://BUCKET/PREFIX",
                   help="store results under a dated key and compare with the latest stored scan")
    g.add_argument("--notify-sns", default=None, metavar="TOPIC_ARN",
                   help="publish a summary to this SNS topic when new failures appear")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (also used to render docs)."""
    parser = _Parser(prog="trail-auditor", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--version", action="version", version=f"trail-auditor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    scan = sub.add_parser("scan", help="collect configuration (and logs), evaluate, write results")
    aws = scan.add_argument_group("AWS access")
    aws.add_argument("--profile", default=None, help="AWS named profile (standard boto3 chain otherwise)")
    aws.add_argument("--regions", type=_csv, default=None, help="only these regions (default: all enabled)")
    aws.add_argument("--organization", action="store_true",
                     help="discover accounts through AWS Organizations")
    aws.add_argument("--accounts", type=_csv, default=(), help="account ids to scan through --role-name")
    aws.add_argument("--role-name", default=None, help="role assumed in each other account")
    aws.add_argument("--external-id", default=None, help="external id for AssumeRole")
    aws.add_argument("--endpoint-url", default=None,
                     help="send every AWS call to this endpoint (moto server, LocalStack, proxy)")
    aws.add_argument("--max-workers", type=int, default=16, help="parallel account x region tasks")
    logs = scan.add_argument_group("evidence from logs")
    logs.add_argument("--logs-since", default=None, help="read trails' log files for this window (e.g. 30d)")
    logs.add_argument("--no-logs", action="store_true", help="do not read log files")
    logs.add_argument("--rules", type=Path, default=None, help="folder of Sigma rules")
    logs.add_argument("--public-keys", type=Path, default=None,
                      help="digest public keys file (offline) instead of CloudTrail ListPublicKeys")
    scan.add_argument("--snapshot", type=Path, default=None, help="also save the collected evidence here")
    _add_output(scan)
    _add_common(scan)

    ev = sub.add_parser("evaluate", help="re-run every check on a saved snapshot, with no AWS access")
    ev.add_argument("snapshot_file", type=Path, metavar="SNAPSHOT")
    _add_output(ev)
    _add_common(ev)

    lg = sub.add_parser("logs", help="run the evidence checks on log files alone")
    lg.add_argument("source", metavar="PATH|s3://BUCKET/PREFIX")
    lg.add_argument("--since", default="30d", help="start of the window: 30d, 12h or a date (default 30d)")
    lg.add_argument("--until", default=None, help="end of the window (default now)")
    lg.add_argument("--rules", type=Path, default=None, help="folder of Sigma rules")
    lg.add_argument("--profile", default=None, help="AWS named profile for an s3:// source")
    lg.add_argument("--endpoint-url", default=None)
    _add_output(lg)
    _add_common(lg)

    vl = sub.add_parser("verify-logs", help="validate digest files and log files (like validate-logs)")
    vl.add_argument("source", nargs="?", default=None, metavar="FOLDER",
                    help="offline: a local folder mirroring the bucket layout")
    vl.add_argument("--trail-arn", default=None)
    vl.add_argument("--bucket", default=None, help="digest bucket (default: the trail's)")
    vl.add_argument("--prefix", default=None)
    vl.add_argument("--account-id", default=None)
    vl.add_argument("--organization-id", default=None)
    vl.add_argument("--regions", type=_csv, default=None)
    vl.add_argument("--start-time", required=False, default=None)
    vl.add_argument("--end-time", default=None)
    vl.add_argument("--public-keys", type=Path, default=None, help="offline public keys (JSON)")
    vl.add_argument("--profile", default=None)
    vl.add_argument("--endpoint-url", default=None)
    vl.add_argument("-o", "--output", default=None, help="per-file results as JSON here ('-' stdout)")
    _add_common(vl)

    rp = sub.add_parser("report", help="render saved results in another format")
    rp.add_argument("results_file", type=Path, metavar="RESULTS.json")
    rp.add_argument("--format", type=_formats, default=("html",))
    rp.add_argument("-o", "--output", default=None, help="output file ('-' for stdout)")
    rp.add_argument("--output-dir", type=Path, default=Path("."))
    rp.add_argument("--org-name", default="")
    rp.add_argument("--label", default="CONFIDENTIAL")
    rp.add_argument("--page-size", choices=("A4", "Letter"), default="A4")
    rp.add_argument("--frameworks", type=_csv, default=None,
                    help="only these frameworks (of those the results were mapped to)")
    _add_common(rp)

    gt = sub.add_parser("gate", help="decide pass/fail for CI from results and a baseline")
    gt.add_argument("results_file", type=Path, metavar="RESULTS.json")
    gt.add_argument("--baseline", type=Path, required=True)
    gt.add_argument("--previous", type=Path, default=None, help="an older results.json to diff against")
    gt.add_argument("--fail-on", type=_severity, default=None, help="override the baseline's fail_on")
    gt.add_argument("--allow-incomplete", action="store_true")
    gt.add_argument("-o", "--output", default=None, help="write the gated results JSON here")
    _add_common(gt)

    ck = sub.add_parser("checks", help="list every check with its severity and title")
    ck.add_argument("--json", action="store_true", help="machine-readable catalogue on stdout")
    _add_common(ck)

    fw = sub.add_parser("frameworks", help="list frameworks, or one framework's controls")
    fw.add_argument("framework_id", nargs="?", default=None)
    fw.add_argument("--mappings", type=Path, action="append", default=[])
    _add_common(fw)

    dm = sub.add_parser("demo", help="the whole job on a simulated AWS organisation (no AWS account)")
    dm.add_argument("--output-dir", type=Path, default=Path("trail-auditor-demo"))
    dm.add_argument("--format", type=_formats, default=("json", "html", "pdf"))
    dm.add_argument("--org-name", default="Example Corp (demo)")
    dm.add_argument("--label", default="DEMO - SIMULATED DATA")
    dm.add_argument("--page-size", choices=("A4", "Letter"), default="A4")
    _add_common(dm)
    return parser


# --------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class _Out:
    """Where and how a command writes its results."""

    output_dir: Path
    formats: tuple[str, ...]
    output: str | None
    org_name: str
    label: str
    page_size: str


def _baseline(args: argparse.Namespace) -> Baseline | None:
    """The --baseline file, loaded and validated once per command."""
    path = getattr(args, "baseline", None)
    if path is None:
        return None
    from auditor.baseline import load_baseline

    return load_baseline(path)


def _eval_options(args: argparse.Namespace, baseline: Baseline | None,
                  sections: Sequence[str] | None = None) -> EvaluationOptions:
    overrides: dict[str, Severity] = {}
    trusted = tuple(getattr(args, "trusted_accounts", ()) or ())
    profile = getattr(args, "retention_profile", "pci")
    frameworks = getattr(args, "frameworks", None)
    if baseline is not None:
        overrides = dict(baseline.severity_overrides)
        trusted = tuple(sorted({*trusted, *baseline.trusted_accounts}))
        profile = baseline.profile or profile
        frameworks = frameworks or (list(baseline.frameworks) or None)
    return EvaluationOptions(
        frameworks=frameworks,
        mapping_dirs=tuple(getattr(args, "mappings", []) or []),
        retention_profile=profile,
        trusted_accounts=trusted,
        severity_overrides=overrides,
        sections=sections,
    )


def _out(args: argparse.Namespace) -> _Out:
    return _Out(
        output_dir=args.output_dir,
        formats=tuple(args.format),
        output=getattr(args, "output", None),
        org_name=getattr(args, "org_name", ""),
        label=getattr(args, "label", "CONFIDENTIAL"),
        page_size=getattr(args, "page_size", "A4"),
    )


def write_outputs(results: Results, out: _Out, console: Any) -> list[Path]:
    """Write results in every requested format; return the files written."""
    from auditor.report import ReportOptions, render, render_to

    options = ReportOptions(org_name=out.org_name, label=out.label,
                            page_size="Letter" if out.page_size == "Letter" else "A4")
    if out.output is not None:
        if len(out.formats) != 1:
            raise AuditorError("-o/--output takes exactly one --format")
        written = render_to(results, out.formats[0], Path(out.output) if out.output != "-" else "-",
                            options)
    else:
        out.output_dir.mkdir(parents=True, exist_ok=True)
        written = render(results, out.formats, out.output_dir, options)
    for path in written:
        console.print(f"wrote {path}", markup=False, highlight=False)
    return written


def _finish(results: Results, args: argparse.Namespace, console: Any, baseline: Baseline | None) -> int:
    final = results
    fail_on: Severity = args.fail_on or (baseline.fail_on if baseline is not None else DEFAULT_FAIL_ON)
    allow_incomplete = args.allow_incomplete or (baseline is not None and baseline.allow_incomplete)
    if baseline is not None:
        from auditor.gate import apply_baseline

        final = apply_baseline(results, baseline, today=datetime.now(UTC).date()).results
    store, history_error = None, None
    if getattr(args, "history", None):
        from auditor.history import attach, store_for

        store = store_for(args.history, profile=getattr(args, "profile", None),
                          endpoint_url=getattr(args, "endpoint_url", None))
        try:
            final, previous = attach(store, final)  # reads only: outputs are written before the store is
        except AuditorError as exc:  # an unlistable store must not cost the results: write, then report
            store, previous, history_error = None, None, exc
        print_lines(console, [f"  history problem: {p}" for p in (final.history or {}).get("problems", [])[:20]])
        drift = (final.history or {}).get("drift")
        if previous is not None and isinstance(drift, dict):
            console.print(f"since {previous.scan.id}: {len(drift['new'])} new, {len(drift['resolved'])} "
                          f"resolved, {len(drift['regressions'])} regressions", markup=False)
    print_summary(console, final)
    write_outputs(final, _out(args), console)
    if store is not None:
        from auditor.history import store_entry

        console.print(f"stored {store_entry(store, final)}", markup=False, highlight=False)
    if history_error is not None:
        raise history_error
    if getattr(args, "notify_sns", None):
        from auditor.history import new_failures
        from auditor.notify import notify_new_failures
        from auditor.notify_aws import sns_client

        client = sns_client(args.notify_sns, profile=getattr(args, "profile", None),
                            endpoint_url=getattr(args, "endpoint_url", None))
        if notify_new_failures(client, args.notify_sns, final):
            console.print(f"notified {args.notify_sns} of {len(new_failures(final))} new failure(s)",
                          markup=False, highlight=False)
    return exit_code(final.findings, fail_on, allow_incomplete)


def _write_output(path: Path, text: str) -> None:
    from auditor.fsio import write_file

    try:
        write_file(path, text)
    except OSError as exc:
        raise AuditorError(f"cannot write {path}: {exc.strerror or exc}") from None


def _load_results(path: Path) -> Results:
    from auditor.results_io import load_results

    return load_results(path)


# --------------------------------------------------------------------------- commands


def cmd_scan(args: argparse.Namespace) -> int:
    """Collect, read logs, evaluate (one :mod:`auditor.scanjob`, as the Lambda runs it), write."""
    from auditor.collect import CollectOptions
    from auditor.console import RichProgress
    from auditor.scanjob import ScanJob, run_scan_job

    console = stderr_console(args.quiet)
    baseline = _baseline(args)  # a broken baseline fails before a long collection, not after
    started = now_iso()
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
    )
    if (args.accounts or args.organization) and not args.role_name:
        raise AuditorError("--accounts/--organization need --role-name (the role assumed in each account)")
    job = ScanJob(
        collect=options,
        evaluation=_eval_options(args, baseline),
        logs_since=args.logs_since if not args.no_logs else None,
        rules_dir=args.rules,
        public_keys=args.public_keys,
        snapshot_path=args.snapshot,
    )
    outcome = run_scan_job(job, progress=RichProgress(console), console=console, started_at=started)
    return _finish(outcome.results, args, console, baseline)


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Re-evaluate a saved snapshot."""
    from auditor.snapshot_io import load_snapshot

    console = stderr_console(args.quiet)
    snapshot = load_snapshot(args.snapshot_file)
    baseline = _baseline(args)
    results = build_results(snapshot, _eval_options(args, baseline))
    return _finish(results, args, console, baseline)


def cmd_logs(args: argparse.Namespace) -> int:
    """Evidence checks on log files alone."""
    from auditor.logs import LogWindow, parse_since, read_local

    console = stderr_console(args.quiet)
    now = datetime.now(UTC)
    window = LogWindow(since=parse_since(args.since, now),
                       until=parse_since(args.until, now) if args.until else now)
    if window.since >= window.until:
        raise AuditorError(f"--since ({window.since:%Y-%m-%d %H:%M}) must be before --until")
    if args.rules is not None and not args.rules.is_dir():
        raise AuditorError(f"--rules {args.rules}: not a folder")
    source: str = args.source
    if source.startswith("s3://"):
        from auditor.logscan import read_s3_source

        evidence = read_s3_source(source, window, rules_dir=args.rules, profile=args.profile,
                                  endpoint_url=args.endpoint_url)
    else:
        path = Path(source)
        if not path.exists():
            raise AuditorError(f"{path}: no such file or folder")
        with console.status("Reading log files..."):
            evidence = read_local(path, window, rules_dir=args.rules)
    snapshot = Snapshot(collected_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"), tool_version=__version__,
                        log_evidence=evidence)
    problems = evidence.get("file_problems", [])
    console.print(f"read {evidence.get('files_read', 0)} files, {evidence.get('events_read', 0)} events,"
                  f" {len(problems)} file problem(s)", markup=False, highlight=False)
    print_lines(console, [f"  problem: {p.get('path')}: {p.get('reason')}" for p in problems[:20]])
    baseline = _baseline(args)
    results = build_results(snapshot, _eval_options(args, baseline, sections=("logs",)))
    return _finish(results, args, console, baseline)


def cmd_verify_logs(args: argparse.Namespace) -> int:
    """Validate digest chains and log files."""
    from auditor.logscan import verify_logs_command

    console = stderr_console(args.quiet)
    report, lines = verify_logs_command(args)
    print_lines(console, lines)
    if args.output:
        text = json.dumps(report.to_dict(), indent=2)
        if args.output == "-":
            sys.stdout.write(text + "\n")
        else:
            _write_output(Path(args.output), text)
    return EXIT_OK if report.ok else EXIT_FAIL


def cmd_report(args: argparse.Namespace) -> int:
    """Render saved results again."""
    console = stderr_console(args.quiet)
    results = only_frameworks(_load_results(args.results_file), args.frameworks)
    write_outputs(results, _out(args), console)
    return EXIT_OK


def only_frameworks(results: Results, selected: Sequence[str] | None) -> Results:
    """Results narrowed to some of the frameworks they were mapped to."""
    if not selected:
        return results
    present = {fw.id for fw in results.frameworks}
    unknown = [s for s in selected if s not in present]
    if unknown:
        raise AuditorError(f"--frameworks: {', '.join(unknown)} not in these results "
                           f"(they hold: {', '.join(sorted(present)) or 'none'})")
    keep = set(selected)
    findings = tuple(replace(f, controls={k: v for k, v in f.controls.items() if k in keep})
                     for f in results.findings)
    return replace(results, findings=findings,
                   frameworks=tuple(fw for fw in results.frameworks if fw.id in keep))


def cmd_gate(args: argparse.Namespace) -> int:
    """The CI gate."""
    from auditor.baseline import load_baseline
    from auditor.gate import apply_baseline, print_gate

    console = stderr_console(args.quiet)
    results = _load_results(args.results_file)
    baseline = load_baseline(args.baseline)
    previous = _load_results(args.previous) if args.previous else None
    outcome = apply_baseline(results, baseline, today=datetime.now(UTC).date(), previous=previous)
    fail_on = args.fail_on or baseline.fail_on
    print_gate(console, outcome, fail_on)
    if args.output:
        text = json.dumps(outcome.results.to_dict(), indent=2, ensure_ascii=False)
        if args.output == "-":
            sys.stdout.write(text + "\n")
        else:
            _write_output(Path(args.output), text)
    allow = args.allow_incomplete or baseline.allow_incomplete
    code = exit_code(outcome.results.findings, fail_on, allow)
    if code == EXIT_OK and outcome.missing_frameworks and not allow:
        code = EXIT_INCOMPLETE
    return code


def cmd_checks(args: argparse.Namespace) -> int:
    """List the check catalogue."""
    from rich.table import Table
    from rich.text import Text

    from auditor.pipeline import catalogue

    checks = select_checks(EvaluationOptions())
    if args.json:
        sys.stdout.write(json.dumps(catalogue(checks), indent=2) + "\n")
        return EXIT_OK
    console = stderr_console(args.quiet)
    table = Table(show_edge=False, pad_edge=False)
    for col in ("id", "severity", "section", "title"):
        table.add_column(col)
    for c in checks:
        table.add_row(Text(c.meta.id), c.meta.severity.value, c.meta.section, Text(c.meta.title))
    console.print(table)
    console.print(f"{len(checks)} checks")
    return EXIT_OK


def cmd_frameworks(args: argparse.Namespace) -> int:
    """List frameworks, or one framework's controls."""
    from rich.table import Table
    from rich.text import Text

    from auditor.mapping import load_frameworks
    from auditor.registry import all_checks

    console = stderr_console(args.quiet)
    known = {c.meta.id for c in all_checks()}
    if args.framework_id is None:
        frameworks = load_frameworks(known, list(args.mappings))
        table = Table(show_edge=False, pad_edge=False)
        for col in ("id", "title", "version", "controls", "automated", "partial", "manual"):
            table.add_column(col)
        for fw in frameworks:
            counts = {a: sum(1 for c in fw.controls if c.automation == a)
                      for a in ("automated", "partial", "manual")}
            table.add_row(fw.id, Text(fw.title), fw.version, str(len(fw.controls)),
                          str(counts["automated"]), str(counts["partial"]), str(counts["manual"]))
        console.print(table)
        return EXIT_OK
    (fw,) = load_frameworks(known, list(args.mappings), [args.framework_id])
    table = Table(title=f"{fw.title} ({fw.id})", show_edge=False, pad_edge=False)
    for col in ("control", "automation", "title", "checks"):
        table.add_column(col)
    for c in fw.controls:
        table.add_row(c.id, c.automation, Text(c.title), Text(", ".join(c.checks) or "-"))
    console.print(table)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    """The whole job against a simulated organisation."""
    from auditor.demo import run_demo

    console = stderr_console(args.quiet)
    return run_demo(args.output_dir, formats=tuple(args.format), org_name=args.org_name,
                    label=args.label, page_size=args.page_size, console=console)


COMMANDS = {
    "scan": cmd_scan,
    "evaluate": cmd_evaluate,
    "logs": cmd_logs,
    "verify-logs": cmd_verify_logs,
    "report": cmd_report,
    "gate": cmd_gate,
    "checks": cmd_checks,
    "frameworks": cmd_frameworks,
    "demo": cmd_demo,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``trail-auditor`` console script; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if not debug:
        for noisy in ("botocore", "boto3", "urllib3", "fontTools", "weasyprint", "moto"):
            logging.getLogger(noisy).setLevel(logging.ERROR)
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            build_parser().print_help(sys.stderr)
            return EXIT_USAGE
        return COMMANDS[args.command](args)
    except AuditorError as exc:
        if debug:
            raise
        sys.stderr.write(f"trail-auditor: error: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("trail-auditor: interrupted\n")
        return 130

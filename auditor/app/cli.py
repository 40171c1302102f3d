"""The command line: parse, call the library, print, choose the exit code.

The only module that calls ``sys.exit`` (through :func:`main`'s return value)
and the only one that prints results. Every user-facing error is an
:class:`~auditor.model.errors.AuditorError`, caught once here: one line, exit 2, a
traceback only with ``--debug``. Any other exception is a bug: one line,
exit 4 (never 1, which CI reads as "failures found"). Options are checked
before the first AWS call; the help of every command ends with examples and
the exit codes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.text import Text

from auditor import __version__
from auditor.app.console import (
    configure_logging,
    plural,
    print_errors,
    print_lines,
    print_summary,
    stderr_console,
    stdout_console,
)
from auditor.app.pipeline import EvaluationOptions, build_results, exit_code, select_checks
from auditor.engine.checkapi import Severity
from auditor.engine.results import Results
from auditor.gate.baseline import Baseline
from auditor.model.errors import AuditorError
from auditor.model.excerpt import error_excerpt
from auditor.model.redact import redact, register_secret
from auditor.model.snapshot import Snapshot
from auditor.model.textsafe import clean_text

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INCOMPLETE, EXIT_INTERNAL = 0, 1, 2, 3, 4
ALL_FORMATS = ("json", "html", "pdf", "csv", "sarif", "junit", "ocsf")
DEFAULT_FORMATS = ("json", "html")
#: AWS call bounds (the same defaults as auditor.aws.collect.CollectOptions; kept here so that
#: the listing commands do not import boto3 just to print --help).
DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, DEFAULT_MAX_ATTEMPTS = 10.0, 30.0, 10


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors through AuditorError (exit 2, one line)."""

    def error(self, message: str) -> Any:
        # main() prefixes "trail-auditor: error:"; name only the subcommand here.
        command = self.prog.removeprefix("trail-auditor").strip()
        raise AuditorError(f"{command + ': ' if command else ''}{message} (see --help)")


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


def _account_ids(value: str) -> tuple[str, ...]:
    ids = _csv(value)
    bad = [a for a in ids if not re.fullmatch(r"\d{12}", a)]
    if bad:
        raise argparse.ArgumentTypeError(f"not a 12-digit AWS account id: {', '.join(bad)}")
    return ids


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if not 0 < seconds <= 3600:
        raise argparse.ArgumentTypeError(f"{value}: give a number of seconds between 0 and 3600")
    return seconds


def _attempts(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 20:
        raise argparse.ArgumentTypeError(f"{value!r}: give a whole number of attempts from 1 to 20")
    return int(value)


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quiet", "-q", action="store_true",
                   help="print only errors: usage errors, failures to write, and every ERROR result")
    p.add_argument("--debug", action="store_true",
                   help="verbose logging and tracebacks (credentials are redacted; the AWS SDK stays quiet)")
    p.add_argument("--debug-aws", action="store_true",
                   help="also log the AWS SDK's requests and responses, redacted "
                        "(or TRAIL_AUDITOR_DEBUG_AWS=1)")


DEFAULT_FAIL_ON = Severity.HIGH
REGIONS_HELP = "comma-separated region names, e.g. us-east-1,eu-west-1"
EXIT_CODES = ("exit codes: 0 passed; 1 failures at or above --fail-on; 2 usage, configuration or input\n"
              "error; 3 some evidence could not be collected (ERROR results); 4 internal error (a bug)")


def _epilog(*examples: str, codes: str = EXIT_CODES) -> str:
    return "examples:\n" + "".join(f"  {e}\n" for e in examples) + "\n" + codes


def _page_size(p: argparse._ActionsContainer) -> None:
    p.add_argument("--page-size", choices=("A4", "Letter"), default="A4", help="PDF page size (default A4)")


def _add_output(p: argparse.ArgumentParser, default_fail_on: str = DEFAULT_FAIL_ON.value) -> None:
    g = p.add_argument_group("results")
    g.add_argument("--output-dir", type=Path, default=Path("."),
                   help="folder the results are written to (created if missing; default .)")
    g.add_argument("--format", type=_formats, default=None,
                   help=f"comma-separated: {','.join(ALL_FORMATS)} (default json,html; json with -o -)")
    g.add_argument("-o", "--output", default=None,
                   help="write the single --format here ('-' for stdout) instead of --output-dir")
    g.add_argument("--frameworks", type=_csv, default=None,
                   help="comma-separated framework ids to map onto (default: all); see `trail-auditor frameworks`")
    g.add_argument("--mappings", type=Path, action="append", default=[],
                   help="a folder of extra framework YAML files (repeatable); its profiles/ folder may "
                        "define retention profiles")
    g.add_argument("--retention-profile", default=None,
                   help="retention profile for bucket-retention: pci (365 d), hipaa (2190 d), or a custom "
                        "one defined in DIR/profiles/NAME.yaml of a --mappings DIR (default: the baseline's, "
                        "else pci)")
    g.add_argument("--trusted-accounts", type=_account_ids, default=(),
                   help="comma-separated account ids trusted to own log buckets outside the scanned scope")
    g.add_argument("--fail-on", type=_severity, default=None,
                   help=f"lowest severity of a FAIL that makes the exit code 1 (default: the baseline's "
                        f"fail_on, else {default_fail_on})")
    g.add_argument("--allow-incomplete", action="store_true",
                   help="do not exit 3 when some evidence could not be collected (ERROR results)")
    g.add_argument("--org-name", default="", help="organisation name on the report cover")
    g.add_argument("--label", default="CONFIDENTIAL", help="confidentiality label in PDF headers")
    _page_size(g)
    g.add_argument("--baseline", type=Path, default=None,
                   help="apply a baseline.yaml (waivers, overrides, fail_on) as `gate` does")
    g.add_argument("--history", default=None, metavar="DIR|s3://BUCKET/PREFIX",
                   help="store results under a dated key and compare with the latest stored scan")
    g.add_argument("--notify-sns", default=None, metavar="TOPIC_ARN",
                   help="publish a summary to this SNS topic when new failures appear (after the "
                        "results are written; a failure to publish is reported, exit 2 at least)")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (also used to render docs)."""
    fmt = argparse.RawDescriptionHelpFormatter
    parser = _Parser(prog="trail-auditor", formatter_class=fmt,
                     description="Audit AWS CloudTrail configuration and logs against compliance frameworks.",
                     epilog=_epilog("trail-auditor demo",
                                    "trail-auditor scan --regions us-east-1,eu-west-1 --format json,html,pdf",
                                    "trail-auditor gate results.json --baseline baseline.yaml")
                     + "\n\n`trail-auditor COMMAND --help` explains each command.")
    parser.add_argument("--version", action="version", version=f"trail-auditor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, summary: str, *examples: str, codes: str = EXIT_CODES) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=summary, description=summary[0].upper() + summary[1:] + ".",
                              formatter_class=fmt, epilog=_epilog(*examples, codes=codes))

    scan = command("scan", "collect configuration (and logs), evaluate, write results",
                   "trail-auditor scan --profile audit --regions us-east-1,eu-west-1",
                   "trail-auditor scan --organization --role-name OrganizationAccountAccessRole "
                   "--logs-since 30d --snapshot snap.json",
                   "trail-auditor scan -o - | jq .summary")
    aws = scan.add_argument_group("AWS access")
    aws.add_argument("--profile", default=None, help="AWS named profile (standard boto3 chain otherwise)")
    aws.add_argument("--regions", type=_csv, default=None,
                     help=f"only these regions ({REGIONS_HELP}; default: all enabled); an unknown or "
                          "disabled name is a usage error")
    aws.add_argument("--organization", action="store_true",
                     help="discover accounts through AWS Organizations (refused outside an organisation)")
    aws.add_argument("--accounts", type=_account_ids, default=(),
                     help="comma-separated 12-digit account ids to scan through --role-name")
    aws.add_argument("--role-name", default=None, help="role assumed in each other account")
    aws.add_argument("--external-id", default=None, help="external id for AssumeRole (never printed)")
    aws.add_argument("--endpoint-url", default=None,
                     help="send every AWS call to this endpoint (moto server, LocalStack, proxy)")
    aws.add_argument("--max-workers", type=int, default=16, help="parallel account x region tasks (default 16)")
    aws.add_argument("--connect-timeout", type=_seconds, default=DEFAULT_CONNECT_TIMEOUT,
                     help=f"seconds to wait for a connection to an AWS endpoint (default {DEFAULT_CONNECT_TIMEOUT:g})")
    aws.add_argument("--read-timeout", type=_seconds, default=DEFAULT_READ_TIMEOUT,
                     help=f"seconds to wait for an answer on an open connection (default {DEFAULT_READ_TIMEOUT:g})")
    aws.add_argument("--max-attempts", type=_attempts, default=DEFAULT_MAX_ATTEMPTS,
                     help=f"attempts per AWS call, retries included (default {DEFAULT_MAX_ATTEMPTS})")
    logs = scan.add_argument_group("evidence from logs")
    logs.add_argument("--logs-since", default=None,
                      help="read trails' log files for this window: 30d, 12h or a date (default: no logs)")
    logs.add_argument("--no-logs", action="store_true",
                      help="skip the log files even if --logs-since is given (configuration only)")
    logs.add_argument("--rules", type=Path, default=None, help="folder of Sigma rules for the log evidence")
    logs.add_argument("--public-keys", type=Path, default=None,
                      help="digest public keys file (offline) instead of CloudTrail ListPublicKeys")
    scan.add_argument("--snapshot", type=Path, default=None,
                      help="also save the collected evidence here (for `trail-auditor evaluate`)")
    _add_output(scan)
    _add_common(scan)

    ev = command("evaluate", "re-run every check on a saved snapshot, with no AWS access",
                 "trail-auditor evaluate snap.json --format json,pdf --output-dir audit",
                 "trail-auditor evaluate snap.json --frameworks pci-dss-4.0.1 -o - | jq .summary")
    ev.add_argument("snapshot_file", type=Path, metavar="SNAPSHOT", help="a file written by `scan --snapshot`")
    _add_output(ev)
    _add_common(ev)

    lg = command("logs", "run the evidence checks on log files alone",
                 "trail-auditor logs ./cloudtrail-logs --since 30d --rules ./sigma",
                 "trail-auditor logs s3://my-trail-bucket/AWSLogs/ --since 2026-11-01 --until 2026-12-01",
                 codes=EXIT_CODES + "\n(an empty folder, or one without CloudTrail files, exits 3)")
    lg.add_argument("source", metavar="PATH|s3://BUCKET/PREFIX",
                    help="a folder of CloudTrail .json/.json.gz files, or an S3 prefix")
    lg.add_argument("--since", default="30d", help="start of the window: 30d, 12h or a date (default 30d)")
    lg.add_argument("--until", default=None, help="end of the window: a date, or 12h for 12 hours ago (default now)")
    lg.add_argument("--rules", type=Path, default=None, help="folder of Sigma rules")
    lg.add_argument("--profile", default=None, help="AWS named profile for an s3:// source")
    lg.add_argument("--endpoint-url", default=None, help="S3 endpoint for an s3:// source (moto, LocalStack)")
    _add_output(lg)
    _add_common(lg)

    vl = command("verify-logs", "validate digest files and log files (like validate-logs)",
                 "trail-auditor verify-logs --trail-arn arn:aws:cloudtrail:us-east-1:111122223333:trail/org "
                 "--start-time 2026-11-01T00:00:00Z",
                 "trail-auditor verify-logs ./bucket-copy --public-keys keys.json -o -",
                 codes="exit codes: 0 every digest and log file valid; 1 some invalid or missing; 2 usage or\n"
                       "input error; 4 internal error (a bug)")
    vl.add_argument("source", nargs="?", default=None, metavar="FOLDER",
                    help="offline: a local folder mirroring the bucket layout")
    vl.add_argument("--trail-arn", default=None, help="the trail whose digests are validated")
    vl.add_argument("--bucket", default=None, help="digest bucket (default: the trail's)")
    vl.add_argument("--prefix", default=None, help="the trail's S3 key prefix (default: the trail's)")
    vl.add_argument("--account-id", default=None, help="account whose digests are read (default: the trail's)")
    vl.add_argument("--organization-id", default=None, help="organisation id of an organisation trail's keys")
    vl.add_argument("--regions", type=_csv, default=None, help=f"regions to validate ({REGIONS_HELP})")
    vl.add_argument("--start-time", required=False, default=None,
                    help="validate digests from this time (ISO 8601, e.g. 2026-11-01T00:00:00Z)")
    vl.add_argument("--end-time", default=None, help="validate digests up to this time (default now)")
    vl.add_argument("--public-keys", type=Path, default=None, help="offline public keys (JSON)")
    vl.add_argument("--profile", default=None, help="AWS named profile")
    vl.add_argument("--endpoint-url", default=None, help="send every AWS call to this endpoint")
    vl.add_argument("-o", "--output", default=None, help="per-file results as JSON here ('-' stdout)")
    _add_common(vl)

    rp = command("report", "render saved results in another format",
                 "trail-auditor report results.json --format pdf -o audit.pdf --org-name Acme",
                 "trail-auditor report results.json --format sarif,csv --output-dir out",
                 codes="exit codes: 0 written; 2 usage or input error; 4 internal error (a bug)")
    rp.add_argument("results_file", type=Path, metavar="RESULTS.json", help="a results.json file")
    rp.add_argument("--format", type=_formats, default=("html",),
                    help=f"comma-separated: {','.join(ALL_FORMATS)} (default html)")
    rp.add_argument("-o", "--output", default=None, help="output file for a single --format ('-' for stdout)")
    rp.add_argument("--output-dir", type=Path, default=Path("."), help="folder for the reports (default .)")
    rp.add_argument("--org-name", default="", help="organisation name on the report cover")
    rp.add_argument("--label", default="CONFIDENTIAL", help="confidentiality label in PDF headers")
    _page_size(rp)
    rp.add_argument("--frameworks", type=_csv, default=None,
                    help="only these frameworks (of those the results were mapped to)")
    _add_common(rp)

    gt = command("gate", "decide pass/fail for CI from results and a baseline",
                 "trail-auditor gate results.json --baseline baseline.yaml",
                 "trail-auditor gate results.json --baseline baseline.yaml --previous last-week.json -o gated.json")
    gt.add_argument("results_file", type=Path, metavar="RESULTS.json", help="a results.json file")
    gt.add_argument("--baseline", type=Path, required=True,
                    help="baseline.yaml: required frameworks, fail_on, waivers (see docs/baseline.md)")
    gt.add_argument("--previous", type=Path, default=None, help="an older results.json to diff against")
    gt.add_argument("--fail-on", type=_severity, default=None, help="override the baseline's fail_on")
    gt.add_argument("--allow-incomplete", action="store_true",
                    help="do not exit 3 for ERROR results or required frameworks missing from the results")
    gt.add_argument("-o", "--output", default=None, help="write the gated results JSON here ('-' for stdout)")
    _add_common(gt)

    listing = "exit codes: 0 listed; 2 usage error; 4 internal error (a bug)"
    ck = command("checks", "list every check with its severity and title (on stdout)",
                 "trail-auditor checks", "trail-auditor checks | grep critical",
                 "trail-auditor checks --json | jq '.[].id'", codes=listing)
    ck.add_argument("--json", action="store_true", help="machine-readable catalogue on stdout")
    _add_common(ck)

    fw = command("frameworks", "list frameworks, or one framework's controls (on stdout)",
                 "trail-auditor frameworks", "trail-auditor frameworks pci-dss-4.0.1", codes=listing)
    fw.add_argument("framework_id", nargs="?", default=None, help="show this framework's controls")
    fw.add_argument("--mappings", type=Path, action="append", default=[],
                    help="a folder of extra framework YAML files (repeatable)")
    _add_common(fw)

    dm = command("demo", "the whole job on a simulated AWS organisation (no AWS account)",
                 "trail-auditor demo", "trail-auditor demo --output-dir /tmp/demo --format json,pdf")
    dm.add_argument("--output-dir", type=Path, default=Path("trail-auditor-demo"),
                    help="folder for the demo's outputs (default trail-auditor-demo)")
    dm.add_argument("--format", type=_formats, default=("json", "html", "pdf"),
                    help=f"comma-separated: {','.join(ALL_FORMATS)} (default json,html,pdf)")
    dm.add_argument("--org-name", default="Example Corp (demo)", help="organisation name on the report cover")
    dm.add_argument("--label", default="DEMO - SIMULATED DATA", help="confidentiality label in PDF headers")
    _page_size(dm)
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
    from auditor.gate.baseline import load_baseline

    return load_baseline(path)


def _eval_options(args: argparse.Namespace, baseline: Baseline | None,
                  sections: Sequence[str] | None = None) -> EvaluationOptions:
    overrides: dict[str, Severity] = {}
    trusted = tuple(getattr(args, "trusted_accounts", ()) or ())
    chosen = getattr(args, "retention_profile", None)
    frameworks = getattr(args, "frameworks", None)
    profile = chosen or "pci"
    required_tags: tuple[str, ...] = ()
    if baseline is not None:
        required_tags = baseline.required_tags
        overrides = dict(baseline.severity_overrides)
        trusted = tuple(sorted({*trusted, *baseline.trusted_accounts}))
        profile = chosen or baseline.profile or profile  # the command line wins over the baseline
        frameworks = frameworks or (list(baseline.frameworks) or None)
    return EvaluationOptions(
        frameworks=frameworks,
        mapping_dirs=tuple(getattr(args, "mappings", []) or []),
        retention_profile=profile,
        trusted_accounts=trusted,
        required_tags=required_tags,
        severity_overrides=overrides,
        sections=sections,
    )


def _formats_of(args: argparse.Namespace) -> tuple[str, ...]:
    """The chosen formats; without --format: json for -o (one file or stdout), else json,html."""
    if args.format:
        return tuple(args.format)
    return ("json",) if getattr(args, "output", None) is not None else DEFAULT_FORMATS


def _out(args: argparse.Namespace) -> _Out:
    return _Out(
        output_dir=args.output_dir,
        formats=_formats_of(args),
        output=getattr(args, "output", None),
        org_name=getattr(args, "org_name", ""),
        label=getattr(args, "label", "CONFIDENTIAL"),
        page_size=getattr(args, "page_size", "A4"),
    )


def _writable_folder(folder: Path, what: str) -> None:
    """Create ``folder`` if needed and prove a file can be written there, or raise a one-line error.

    Called before any collection, so that a typo in an output path costs
    seconds, not a whole scan.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise AuditorError(f"{what} {folder}: cannot write there ({exc.strerror or exc})") from exc


def check_outputs(args: argparse.Namespace) -> None:
    """Every output option is usable: formats fit -o, and every folder written to is writable."""
    out = _out(args)
    if out.output is not None:
        if len(out.formats) != 1:
            raise AuditorError(f"-o/--output takes exactly one --format (got {','.join(out.formats)}); "
                               "use --output-dir for several")
        if out.output == "-" and out.formats[0] == "pdf":
            raise AuditorError("--format pdf cannot go to stdout: give -o FILE.pdf or --output-dir")
        if out.output != "-":
            _writable_folder(Path(out.output).parent, "-o/--output: folder")
    else:
        _writable_folder(out.output_dir, "--output-dir")
    snapshot = getattr(args, "snapshot", None)
    if snapshot is not None:
        _writable_folder(Path(snapshot).parent, "--snapshot: folder")
    history = getattr(args, "history", None)
    if history and not str(history).startswith("s3://"):
        _writable_folder(Path(history), "--history")


def check_evaluation(args: argparse.Namespace, baseline: Baseline | None,
                     sections: Sequence[str] | None = None) -> EvaluationOptions:
    """The evaluation options, with framework ids and the retention profile known to exist."""
    from auditor.app.pipeline import settings_for
    from auditor.engine.registry import all_checks
    from auditor.mapping.frameworks import load_frameworks

    options = _eval_options(args, baseline, sections)
    settings_for(options)  # an unknown retention profile fails here, listing the known ones
    load_frameworks({c.meta.id for c in all_checks()}, list(options.mapping_dirs), options.frameworks)
    return options


def write_outputs(results: Results, out: _Out, console: Any) -> list[Path]:
    """Write results in every requested format; return the files written."""
    from auditor.report import ReportOptions, render, render_to

    options = ReportOptions(org_name=out.org_name, label=out.label,
                            page_size="Letter" if out.page_size == "Letter" else "A4")
    # PDF rendering takes seconds to tens of seconds: say so instead of going silent.
    notice = "Rendering the PDF report (WeasyPrint; this can take a while)..." if "pdf" in out.formats \
        else "Writing results..."
    with console.status(notice):
        if out.output is not None:
            written = render_to(results, out.formats[0], Path(out.output) if out.output != "-" else "-",
                                options)
        else:
            out.output_dir.mkdir(parents=True, exist_ok=True)
            written = render(results, out.formats, out.output_dir, options)
    for path in written:
        console.print(f"wrote {path}", markup=False, highlight=False)
    return written


def _notify(args: argparse.Namespace, final: Results, console: Any) -> bool:
    """Publish the new failures to --notify-sns; False (and one line on stderr) if that failed.

    Called after the results and reports are written: a missing topic or a
    denied Publish must never cost the scan's results.
    """
    from auditor.aws.sns import sns_client
    from auditor.gate.history import new_failures
    from auditor.gate.notify import notify_new_failures

    try:
        client = sns_client(args.notify_sns, profile=getattr(args, "profile", None),
                            endpoint_url=getattr(args, "endpoint_url", None))
        if notify_new_failures(client, args.notify_sns, final):
            console.print(f"notified {args.notify_sns} of {len(new_failures(final))} new failure(s)",
                          markup=False, highlight=False)
    except Exception as exc:  # any failure to publish is reported, never fatal to the results
        from auditor.model.redact import redact as scrubbed

        _error_line(f"--notify-sns {args.notify_sns}: could not publish the summary "
                    f"({type(exc).__name__}: {scrubbed(str(exc))}); the results were written")
        return False
    return True


def _finish(results: Results, args: argparse.Namespace, console: Any, baseline: Baseline | None,
            *, summary: bool = True) -> int:
    """Baseline, history, the summary on stderr, the outputs, then notification; the exit code.

    ``summary=False`` when the command already said in one line why nothing
    could be judged (``logs`` on a folder without CloudTrail files).
    """
    final = results
    fail_on: Severity = args.fail_on or (baseline.fail_on if baseline is not None else DEFAULT_FAIL_ON)
    allow_incomplete = args.allow_incomplete or (baseline is not None and baseline.allow_incomplete)
    if baseline is not None:
        from auditor.gate.decision import apply_baseline

        outcome = apply_baseline(results, baseline, today=datetime.now(UTC).date())
        final = outcome.results
        for w in outcome.expired_waivers:  # the same warning `gate` prints
            stderr_console().print(Text(f"expired waiver (no longer applies): {w.check} {w.resource} "
                                        f"expired {w.expires}, owner {w.owner} [{w.origin}]"), style="yellow")
    store, history_error = None, None
    if getattr(args, "history", None):
        from auditor.aws.history_store import store_for
        from auditor.gate.history import attach

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
                          f"resolved, {plural(len(drift['regressions']), 'regression')}", markup=False)
    if summary and args.quiet:
        print_errors(stderr_console(), final)  # -q hides everything but errors; missing evidence is one
    elif summary:
        print_summary(console, final)
    write_outputs(final, _out(args), console)
    if store is not None:
        from auditor.gate.history import store_entry

        console.print(f"stored {store_entry(store, final)}", markup=False, highlight=False)
    if history_error is not None:
        raise history_error
    code = exit_code(final.findings, fail_on, allow_incomplete)
    if getattr(args, "notify_sns", None) and not _notify(args, final, console):
        code = code if code in (EXIT_FAIL, EXIT_INCOMPLETE) else EXIT_USAGE
    return code


def _write_output(path: Path, text: str) -> None:
    from auditor.model.fsio import write_file

    try:
        write_file(path, text)
    except OSError as exc:
        raise AuditorError(f"cannot write {path}: {exc.strerror or exc}") from None


def _load_results(path: Path) -> Results:
    from auditor.engine.results_io import load_results

    return load_results(path)


# --------------------------------------------------------------------------- commands


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
    baseline = _baseline(args)  # a broken baseline fails before a long collection, not after
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
    )
    outcome = run_scan_job(job, progress=RichProgress(console), console=console)
    return _finish(outcome.results, args, console, baseline)


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Re-evaluate a saved snapshot; the results keep the collection's time and scan id."""
    from auditor.model.snapshot_io import load_snapshot

    console = stderr_console(args.quiet)
    baseline = _baseline(args)
    evaluation = check_evaluation(args, baseline)
    check_outputs(args)
    snapshot = load_snapshot(args.snapshot_file)
    results = build_results(snapshot, evaluation, finished_at=snapshot.collected_at)
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
    baseline = _baseline(args)
    evaluation = check_evaluation(args, baseline, sections=("logs",))
    check_outputs(args)
    source: str = args.source
    if source.startswith("s3://"):
        from auditor.aws.trail_logs import read_s3_source

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
    files_read = int(evidence.get("files_read", 0) or 0)
    nothing = files_read == 0 and not problems
    if nothing:
        stderr_console().print(f"no CloudTrail files under {source} (looked for .json and .json.gz); "
                               "every log check is ERROR", markup=False, highlight=False)
    else:
        console.print(f"read {plural(files_read, 'file')}, {plural(int(evidence.get('events_read', 0) or 0), 'event')},"
                      f" {plural(len(problems), 'file problem')}", markup=False, highlight=False)
        problem_console = stderr_console()  # unreadable files are errors: shown under -q too
        print_lines(problem_console, [f"  problem: {p.get('path')}: {p.get('reason')}" for p in problems[:20]])
        if len(problems) > 20:
            print_lines(problem_console, [f"  ... and {len(problems) - 20} more (see results.json)"])
    results = build_results(snapshot, evaluation)
    return _finish(results, args, console, baseline, summary=not nothing)


def cmd_verify_logs(args: argparse.Namespace) -> int:
    """Validate digest chains and log files."""
    from auditor.aws.trail_logs import verify_logs_command

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
    from auditor.gate.baseline import load_baseline
    from auditor.gate.decision import apply_baseline, print_gate

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

    from auditor.app.pipeline import catalogue

    checks = select_checks(EvaluationOptions())
    if args.json:
        sys.stdout.write(json.dumps(catalogue(checks), indent=2) + "\n")
        return EXIT_OK
    console = stdout_console()  # a listing: on stdout, so that `| grep` works
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("id", no_wrap=True)  # ids whole, always; titles wrap on a narrow terminal
    table.add_column("severity", no_wrap=True)
    table.add_column("section", no_wrap=True)
    table.add_column("title", overflow="fold")
    for c in checks:
        table.add_row(Text(c.meta.id), c.meta.severity.value, c.meta.section, Text(c.meta.title))
    console.print(table)
    console.print(plural(len(checks), "check"))
    return EXIT_OK


def cmd_frameworks(args: argparse.Namespace) -> int:
    """List frameworks, or one framework's controls."""
    from rich.table import Table

    from auditor.engine.registry import all_checks
    from auditor.mapping.frameworks import load_frameworks

    console = stdout_console()  # a listing: on stdout, so that `| grep` works
    known = {c.meta.id for c in all_checks()}
    if args.framework_id is None:
        frameworks = load_frameworks(known, list(args.mappings))
        table = Table(show_edge=False, pad_edge=False)
        table.add_column("id", no_wrap=True)
        table.add_column("title", overflow="fold")
        for col in ("version", "controls", "automated", "partial", "manual"):
            table.add_column(col, no_wrap=True)
        for fw in frameworks:
            counts = {a: sum(1 for c in fw.controls if c.automation == a)
                      for a in ("automated", "partial", "manual")}
            table.add_row(fw.id, Text(fw.title), fw.version, str(len(fw.controls)),
                          str(counts["automated"]), str(counts["partial"]), str(counts["manual"]))
        console.print(table)
        return EXIT_OK
    (fw,) = load_frameworks(known, list(args.mappings), [args.framework_id])
    table = Table(title=f"{fw.title} ({fw.id})", show_edge=False, pad_edge=False)
    table.add_column("control", no_wrap=True)
    table.add_column("automation", no_wrap=True)
    table.add_column("title", overflow="fold")
    table.add_column("checks", overflow="fold")
    for c in fw.controls:
        table.add_row(c.id, c.automation, Text(c.title), Text(", ".join(c.checks) or "-"))
    console.print(table)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    """The whole job against a simulated organisation."""
    from auditor.app.demo import run_demo

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


def _debug_aws(argv: Sequence[str]) -> bool:
    """--debug-aws or TRAIL_AUDITOR_DEBUG_AWS=1: also log the AWS SDK's requests (redacted)."""
    return "--debug-aws" in argv or os.environ.get("TRAIL_AUDITOR_DEBUG_AWS", "") == "1"


def _error_line(message: str) -> None:
    """One line on stderr, credentials and terminal controls removed."""
    sys.stderr.write(f"trail-auditor: error: {clean_text(redact(message))}\n")


def _traceback() -> None:
    """The current exception's traceback (only with --debug), redacted and terminal-safe."""
    sys.stderr.write(clean_text(redact(traceback.format_exc()), multiline=True))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``trail-auditor`` console script; returns the exit code.

    0, 1 and 3 come from the command; 2 is a usage, configuration or input
    error (an :class:`AuditorError`); 4 is anything else, which is a bug: one
    line on stderr, the traceback only with ``--debug``, and never 1, which CI
    would read as "failures found".
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    configure_logging(debug, _debug_aws(argv))
    register_secret(os.environ.get("AWS_SECRET_ACCESS_KEY"), os.environ.get("AWS_SESSION_TOKEN"))
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            build_parser().print_help(sys.stderr)
            return EXIT_USAGE
        return COMMANDS[args.command](args)
    except AuditorError as exc:
        if debug:
            _traceback()
        _error_line(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("trail-auditor: interrupted\n")
        return 130
    except Exception as exc:  # the one place a bug becomes exit 4
        if debug:
            _traceback()
        hint = "" if debug else "; rerun with --debug for the traceback"
        _error_line(f"internal error (a bug): {type(exc).__name__}: {error_excerpt(str(exc))}{hint}")
        return EXIT_INTERNAL

"""Options shared by the subcommands: argument types, groups, help epilogs, exit codes.

Nothing here touches AWS or the file system; every converter raises
``argparse.ArgumentTypeError`` (shown as one usage line, exit 2).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.engine.checkapi import Severity
from auditor.model.errors import AuditorError
from auditor.model.redact import redact
from auditor.model.textsafe import clean_text
from auditor.report.interface import FORMATS

if TYPE_CHECKING:
    from auditor.aws.athena import AthenaOptions

#: Every output format, from the report registry (one list, not two).
ALL_FORMATS: tuple[str, ...] = FORMATS
EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INCOMPLETE, EXIT_INTERNAL = 0, 1, 2, 3, 4
DEFAULT_FORMATS = ("json", "html")
#: AWS call bounds (the same defaults as auditor.aws.collect.CollectOptions; kept here so that
#: the listing commands do not import boto3 just to print --help).
DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, DEFAULT_MAX_ATTEMPTS = 10.0, 30.0, 10

#: Adds one subcommand: (name, summary, *examples, codes=...) -> its parser.
Command = Callable[..., argparse.ArgumentParser]


class Parser(argparse.ArgumentParser):
    """argparse that reports usage errors through AuditorError (exit 2, one line)."""

    def error(self, message: str) -> Any:
        # main() prefixes "trail-auditor: error:"; name only the subcommand here.
        command = self.prog.removeprefix("trail-auditor").strip()
        raise AuditorError(f"{command + ': ' if command else ''}{message} (see --help)")


def csv_list(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def formats(value: str) -> tuple[str, ...]:
    formats = csv_list(value)
    bad = [f for f in formats if f not in ALL_FORMATS]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown format(s) {', '.join(bad)}; choose from {', '.join(ALL_FORMATS)}")
    return formats


def severity(value: str) -> Severity:
    try:
        return Severity(value.lower())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"unknown severity {value!r}; choose from {', '.join(s.value for s in Severity)}"
        ) from None


def account_ids(value: str) -> tuple[str, ...]:
    ids = csv_list(value)
    bad = [a for a in ids if not re.fullmatch(r"\d{12}", a)]
    if bad:
        raise argparse.ArgumentTypeError(f"not a 12-digit AWS account id: {', '.join(bad)}")
    return ids


def seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if not 0 < seconds <= 3600:
        raise argparse.ArgumentTypeError(f"{value}: give a number of seconds between 0 and 3600")
    return seconds


def attempts(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 20:
        raise argparse.ArgumentTypeError(f"{value!r}: give a whole number of attempts from 1 to 20")
    return int(value)


def add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="print only errors: usage errors, failures to write, and every ERROR result",
    )
    p.add_argument(
        "--debug",
        action="store_true",
        help="verbose logging and tracebacks (credentials are redacted; the AWS SDK stays quiet)",
    )
    p.add_argument(
        "--debug-aws",
        action="store_true",
        help="also log the AWS SDK's requests and responses, redacted (or TRAIL_AUDITOR_DEBUG_AWS=1)",
    )


DEFAULT_FAIL_ON = Severity.HIGH
REGIONS_HELP = "comma-separated region names, e.g. us-east-1,eu-west-1"
EXIT_CODES = (
    "exit codes: 0 passed; 1 failures at or above --fail-on; 2 usage, configuration or input\n"
    "error; 3 some evidence could not be collected (ERROR results); 4 internal error (a bug)"
)


def epilog(*examples: str, codes: str = EXIT_CODES) -> str:
    return "examples:\n" + "".join(f"  {e}\n" for e in examples) + "\n" + codes


def page_size(p: argparse._ActionsContainer) -> None:
    p.add_argument("--page-size", choices=("A4", "Letter"), default="A4", help="PDF page size (default A4)")


def add_destination(
    p: argparse._ActionsContainer, output_dir: Path, output_dir_help: str, default: tuple[str, ...] | None, shown: str
) -> None:
    """--output-dir and --format (scan, evaluate, logs, report, demo); ``shown`` is the formats' default in words."""
    p.add_argument("--output-dir", type=Path, default=output_dir, help=output_dir_help)
    p.add_argument(
        "--format", type=formats, default=default, help=f"comma-separated: {','.join(ALL_FORMATS)} (default {shown})"
    )


def add_cover(p: argparse._ActionsContainer, org_name: str, label: str) -> None:
    """--org-name, --label and --page-size: what the report's cover and page headers say (report, demo)."""
    p.add_argument("--org-name", default=org_name, help="organisation name on the report cover")
    p.add_argument("--label", default=label, help="confidentiality label in PDF headers")
    page_size(p)


def add_output(p: argparse.ArgumentParser, default_fail_on: str = DEFAULT_FAIL_ON.value) -> None:
    g = p.add_argument_group("results")
    results_help = "folder the results are written to (created if missing; default .)"
    add_destination(g, Path("."), results_help, None, "json,html; json with -o -")
    g.add_argument(
        "-o", "--output", default=None, help="write the single --format here ('-' for stdout) instead of --output-dir"
    )
    g.add_argument(
        "--frameworks",
        type=csv_list,
        default=None,
        help="comma-separated framework ids to map onto (default: all); see `trail-auditor frameworks`",
    )
    g.add_argument(
        "--mappings",
        type=Path,
        action="append",
        default=[],
        help="a folder of extra framework YAML files (repeatable); its profiles/ folder may define retention profiles",
    )
    g.add_argument(
        "--retention-profile",
        default=None,
        help="retention profile for bucket-retention: pci (365 d), hipaa (2190 d), or a custom "
        "one defined in DIR/profiles/NAME.yaml of a --mappings DIR (default: the baseline's, "
        "else pci)",
    )
    g.add_argument(
        "--trusted-accounts",
        type=account_ids,
        default=(),
        help="comma-separated account ids trusted to own log buckets outside the scanned scope",
    )
    g.add_argument(
        "--fail-on",
        type=severity,
        default=None,
        help=f"lowest severity of a FAIL that makes the exit code 1 (default: the baseline's "
        f"fail_on, else {default_fail_on})",
    )
    g.add_argument(
        "--allow-incomplete",
        action="store_true",
        help="do not exit 3 when some evidence could not be collected (ERROR results)",
    )
    g.add_argument("--org-name", default="", help="organisation name on the report cover")
    g.add_argument("--label", default="CONFIDENTIAL", help="confidentiality label in PDF headers")
    page_size(g)
    g.add_argument(
        "--baseline", type=Path, default=None, help="apply a baseline.yaml (waivers, overrides, fail_on) as `gate` does"
    )
    g.add_argument(
        "--history",
        default=None,
        metavar="DIR|s3://BUCKET/PREFIX",
        help="store results under a dated key and compare with the latest stored scan",
    )
    g.add_argument(
        "--notify-sns",
        default=None,
        metavar="TOPIC_ARN",
        help="publish a summary to this SNS topic when new failures appear (after the "
        "results are written; a failure to publish is reported, exit 2 at least)",
    )
    add_securityhub(g)
    add_evidence_package(g)


def add_securityhub(g: argparse._ActionsContainer) -> None:
    """--securityhub-import and its region (scan, evaluate, logs, report)."""
    g.add_argument(
        "--securityhub-import",
        action="store_true",
        help="also send the findings (ASFF) to AWS Security Hub with BatchImportFindings, after "
        "the results are written; a write: needs policy/iam-policy-securityhub.json; a "
        "failure is reported, exit 2 at least",
    )
    g.add_argument(
        "--securityhub-region",
        default=None,
        metavar="REGION",
        help="the Security Hub region imported into (default: the profile's or AWS_REGION)",
    )


def add_evidence_package(g: argparse._ActionsContainer) -> None:
    """--evidence-package and --sign-key (scan, evaluate, logs, demo)."""
    g.add_argument(
        "--evidence-package",
        type=Path,
        default=None,
        metavar="FILE.zip",
        help="also write a zip of the results, snapshot, reports and evidence with a SHA-256 "
        "manifest (check it with `trail-auditor verify-package`)",
    )
    g.add_argument(
        "--sign-key",
        type=Path,
        default=None,
        metavar="KEY.pem",
        help="sign the package's manifest with this Ed25519 private key (PEM, unencrypted)",
    )


def error_line(message: str) -> None:
    """One line on stderr, credentials and terminal controls removed."""
    sys.stderr.write(f"trail-auditor: error: {clean_text(redact(message))}\n")


def gigabytes(value: str) -> float:
    try:
        gb = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of gigabytes: {value!r}") from None
    if not 0 < gb < 10**9:
        raise argparse.ArgumentTypeError(f"{value}: give a positive number of gigabytes")
    return gb


ENGINES = ("stream", "duckdb", "athena")


def add_athena(p: argparse.ArgumentParser, engines: tuple[str, ...] = ENGINES, default: str = "stream") -> None:
    """--engine and the Athena engine's options (checked by :func:`check_engine` before any AWS call)."""
    g = p.add_argument_group("SQL engines (docs/sql-engine.md)")
    g.add_argument(
        "--engine",
        choices=engines,
        default=default,
        help=f"where the log queries run: {', '.join(engines)} (default {default}); "
        "duckdb runs the SQL embedded over a local folder, athena runs it where the data lives",
    )
    g.add_argument(
        "--athena-table",
        default=None,
        metavar="DB.TABLE",
        help="the Athena table over the trail bucket (see `trail-auditor athena-ddl`); needed by --engine athena",
    )
    g.add_argument(
        "--athena-workgroup",
        default=None,
        metavar="WG",
        help="Athena work group the queries run in (default: the account's primary)",
    )
    g.add_argument(
        "--athena-output",
        default=None,
        metavar="s3://BUCKET/PREFIX",
        help="where Athena writes query results (Athena writes there; default: the work group's)",
    )
    g.add_argument(
        "--max-scan-gb",
        type=gigabytes,
        default=None,
        metavar="N",
        help="refuse a run whose estimated scan passes N GB (the log checks ERROR; `query` exits 2), "
        "and stop a running query whose statistics pass it",
    )
    g.add_argument(
        "--athena-region",
        default=None,
        help="region of the Athena work group and table (default: the profile's, else us-east-1)",
    )


def athena_options(args: argparse.Namespace) -> AthenaOptions:
    """The :class:`auditor.aws.athena.AthenaOptions` the engine options name (after :func:`check_engine`)."""
    from auditor.aws.athena import AthenaOptions

    return AthenaOptions(
        table=args.athena_table,
        workgroup=args.athena_workgroup,
        output=args.athena_output,
        max_scan_gb=args.max_scan_gb,
        profile=args.profile,
        endpoint_url=args.endpoint_url,
        region=args.athena_region,
    )


def check_engine(args: argparse.Namespace) -> None:
    """The engine options fit together (one line, exit 2, before any AWS call)."""
    engine = getattr(args, "engine", "stream")
    athena_opts = [
        o
        for o, v in (
            ("--athena-table", args.athena_table),
            ("--athena-workgroup", args.athena_workgroup),
            ("--athena-output", args.athena_output),
            ("--max-scan-gb", args.max_scan_gb),
            ("--athena-region", args.athena_region),
        )
        if v is not None
    ]
    if engine != "athena" and athena_opts:
        raise AuditorError(f"{', '.join(athena_opts)} need --engine athena")
    if engine == "athena":
        if not args.athena_table:
            raise AuditorError("--engine athena needs --athena-table DB.TABLE (see `trail-auditor athena-ddl`)")
        from auditor.logs.sql.queries import table_name

        table_name(args.athena_table)
        if "." not in args.athena_table:
            raise AuditorError(f"--athena-table {args.athena_table!r}: expected DB.TABLE")
        out = args.athena_output
        if out is not None and (not out.startswith("s3://") or not out[5:].split("/", 1)[0]):
            raise AuditorError(f"--athena-output {out!r}: expected s3://BUCKET/PREFIX")

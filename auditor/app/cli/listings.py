"""`checks` and `frameworks`: the catalogue listings, on stdout."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.text import Text

from auditor.app.cli.options import (
    EXIT_OK,
    Command,
    add_common,
)
from auditor.app.console import (
    plural,
    stdout_console,
)
from auditor.app.pipeline import EvaluationOptions, select_checks


def add_parsers(command: Command) -> None:
    """Add this module's subcommands."""
    listing = "exit codes: 0 listed; 2 usage error; 4 internal error (a bug)"
    ck = command(
        "checks",
        "list every check with its severity and title (on stdout)",
        "trail-auditor checks",
        "trail-auditor checks | grep critical",
        "trail-auditor checks --json | jq '.[].id'",
        codes=listing,
    )
    ck.add_argument("--json", action="store_true", help="machine-readable catalogue on stdout")
    add_common(ck)

    fw = command(
        "frameworks",
        "list frameworks, or one framework's controls (on stdout)",
        "trail-auditor frameworks",
        "trail-auditor frameworks pci-dss-4.0.1",
        codes=listing,
    )
    fw.add_argument("framework_id", nargs="?", default=None, help="show this framework's controls")
    fw.add_argument(
        "--mappings", type=Path, action="append", default=[], help="a folder of extra framework YAML files (repeatable)"
    )
    add_common(fw)


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
            counts = {a: sum(1 for c in fw.controls if c.automation == a) for a in ("automated", "partial", "manual")}
            table.add_row(
                fw.id,
                Text(fw.title),
                fw.version,
                str(len(fw.controls)),
                str(counts["automated"]),
                str(counts["partial"]),
                str(counts["manual"]),
            )
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


RUN = {"checks": cmd_checks, "frameworks": cmd_frameworks}

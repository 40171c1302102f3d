"""`report` and `gate`: render saved results again, and decide pass/fail for CI."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from auditor.app.cli.options import (
    EXIT_INCOMPLETE,
    EXIT_OK,
    EXIT_USAGE,
    Command,
    add_common,
    add_cover,
    add_destination,
    add_securityhub,
    csv_list,
    severity,
)
from auditor.app.cli.outputs import (
    load_results,
    output_target,
    securityhub_import,
    write_output,
    write_outputs,
)
from auditor.app.console import (
    stderr_console,
)
from auditor.app.pipeline import exit_code
from auditor.engine.results import Results
from auditor.model.errors import AuditorError


def add_parsers(command: Command) -> None:
    """Add this module's subcommands."""
    rp = command(
        "report",
        "render saved results in another format",
        "trail-auditor report results.json --format pdf -o audit.pdf --org-name Acme",
        "trail-auditor report results.json --format sarif,csv --output-dir out",
        codes="exit codes: 0 written; 2 usage or input error, or --securityhub-import failed;\n"
        "4 internal error (a bug)",
    )
    rp.add_argument("results_file", type=Path, metavar="RESULTS.json", help="a results.json file")
    add_destination(rp, Path("."), "folder for the reports (default .)", ("html",), "html")
    rp.add_argument("-o", "--output", default=None, help="output file for a single --format ('-' for stdout)")
    add_cover(rp, "", "CONFIDENTIAL")
    rp.add_argument(
        "--frameworks", type=csv_list, default=None, help="only these frameworks (of those the results were mapped to)"
    )
    add_securityhub(rp)
    add_common(rp)

    gt = command(
        "gate",
        "decide pass/fail for CI from results and a baseline",
        "trail-auditor gate results.json --baseline baseline.yaml",
        "trail-auditor gate results.json --baseline baseline.yaml --previous last-week.json -o gated.json",
    )
    gt.add_argument("results_file", type=Path, metavar="RESULTS.json", help="a results.json file")
    gt.add_argument(
        "--baseline",
        type=Path,
        required=True,
        help="baseline.yaml: required frameworks, fail_on, waivers (see docs/baseline.md)",
    )
    gt.add_argument("--previous", type=Path, default=None, help="an older results.json to diff against")
    gt.add_argument("--fail-on", type=severity, default=None, help="override the baseline's fail_on")
    gt.add_argument(
        "--allow-incomplete",
        action="store_true",
        help="do not exit 3 for ERROR results or required frameworks missing from the results",
    )
    gt.add_argument("-o", "--output", default=None, help="write the gated results JSON here ('-' for stdout)")
    add_common(gt)


def cmd_report(args: argparse.Namespace) -> int:
    """Render saved results again."""
    console = stderr_console(args.quiet)
    results = only_frameworks(load_results(args.results_file), args.frameworks)
    write_outputs(results, output_target(args), console)
    if args.securityhub_import and not securityhub_import(args, results, console):
        return EXIT_USAGE
    return EXIT_OK


def only_frameworks(results: Results, selected: Sequence[str] | None) -> Results:
    """Results narrowed to some of the frameworks they were mapped to."""
    if not selected:
        return results
    present = {fw.id for fw in results.frameworks}
    unknown = [s for s in selected if s not in present]
    if unknown:
        raise AuditorError(
            f"--frameworks: {', '.join(unknown)} not in these results "
            f"(they hold: {', '.join(sorted(present)) or 'none'})"
        )
    keep = set(selected)
    findings = tuple(replace(f, controls={k: v for k, v in f.controls.items() if k in keep}) for f in results.findings)
    return replace(results, findings=findings, frameworks=tuple(fw for fw in results.frameworks if fw.id in keep))


def cmd_gate(args: argparse.Namespace) -> int:
    """The CI gate."""
    from auditor.gate.baseline import load_baseline
    from auditor.gate.decision import apply_baseline, print_gate

    console = stderr_console(args.quiet)
    results = load_results(args.results_file)
    baseline = load_baseline(args.baseline)
    previous = load_results(args.previous) if args.previous else None
    outcome = apply_baseline(results, baseline, today=datetime.now(UTC).date(), previous=previous)
    fail_on = args.fail_on or baseline.fail_on
    print_gate(console, outcome, fail_on)
    if args.output:
        text = json.dumps(outcome.results.to_dict(), indent=2, ensure_ascii=False)
        if args.output == "-":
            sys.stdout.write(text + "\n")
        else:
            write_output(Path(args.output), text)
    allow = args.allow_incomplete or baseline.allow_incomplete
    code = exit_code(outcome.results.findings, fail_on, allow)
    if code == EXIT_OK and outcome.missing_frameworks and not allow:
        code = EXIT_INCOMPLETE
    return code


RUN = {"report": cmd_report, "gate": cmd_gate}

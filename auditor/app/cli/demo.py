"""`demo`: the whole job on a simulated AWS organisation."""

from __future__ import annotations

import argparse
from pathlib import Path

from auditor.app.cli.options import (
    Command,
    add_common,
    add_cover,
    add_destination,
    add_evidence_package,
)
from auditor.app.console import (
    stderr_console,
)


def add_parsers(command: Command) -> None:
    """Add this module's subcommands."""
    dm = command(
        "demo",
        "the whole job on a simulated AWS organisation (no AWS account)",
        "trail-auditor demo",
        "trail-auditor demo --output-dir /tmp/demo --format json,pdf",
        "trail-auditor demo --evidence-package demo.zip --sign-key signing-key.pem",
    )
    outputs = ("json", "html", "pdf", "asff", "oscal")
    demo_help = "folder for the demo's outputs (default trail-auditor-demo)"
    add_destination(dm, Path("trail-auditor-demo"), demo_help, outputs, ",".join(outputs))
    add_cover(dm, "Example Corp (demo)", "DEMO - SIMULATED DATA")
    add_evidence_package(dm)
    add_common(dm)


def cmd_demo(args: argparse.Namespace) -> int:
    """The whole job against a simulated organisation."""
    from auditor.app.demo import run_demo

    console = stderr_console(args.quiet)
    sign_key = None
    if args.sign_key is not None:
        from auditor.report.package import load_private_key

        sign_key = load_private_key(args.sign_key)
    return run_demo(
        args.output_dir,
        formats=tuple(args.format),
        org_name=args.org_name,
        label=args.label,
        page_size=args.page_size,
        console=console,
        evidence_package=args.evidence_package,
        sign_key=sign_key,
    )


RUN = {"demo": cmd_demo}

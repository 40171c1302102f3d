"""Every command explains itself: help on each option, examples and exit codes in each --help."""

from __future__ import annotations

import argparse

import pytest

from auditor.app.cli import build_parser
from tests.cli.conftest import run_cli


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_every_option_of_every_command_has_help() -> None:
    missing = [
        f"{name} {'/'.join(action.option_strings) or action.dest}"
        for name, parser in _subcommands().items()
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction) and not (action.help or "").strip()
    ]
    assert not missing, f"options without help text: {missing}"


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_each_command_help_ends_with_examples_and_exit_codes(command: str) -> None:
    proc = run_cli([command, "--help"])
    assert proc.returncode == 0
    tail = proc.stdout.split("examples:", 1)
    assert len(tail) == 2, proc.stdout
    assert f"trail-auditor {command}" in tail[1] and "exit codes:" in tail[1]
    assert "4 internal error" in " ".join(tail[1].split())


def test_top_level_help_has_no_internal_docstring() -> None:
    proc = run_cli(["--help"])
    assert proc.returncode == 0
    assert "The command line: parse" not in proc.stdout and "exit codes:" in proc.stdout
    scan = run_cli(["scan", "--help"]).stdout
    assert "us-east-1,eu-west-1" in scan  # the region-list syntax


def test_usage_error_names_the_program_once() -> None:
    proc = run_cli(["nosuchcommand"])
    assert proc.returncode == 2
    assert proc.stderr.count("trail-auditor") == 1, proc.stderr

"""The command line: parse, call the library, print, choose the exit code.

One module per group of subcommands (scan, logs, athena, render, package, listings, demo), each
with ``add_parsers`` and a ``RUN`` table; options and output plumbing are shared
in :mod:`.options` and :mod:`.outputs`.

The only package that calls ``sys.exit`` (through :func:`main`'s return value)
and the only one that prints results. Every user-facing error is an
:class:`~auditor.model.errors.AuditorError`, caught once here: one line, exit 2, a
traceback only with ``--debug``. Any other exception is a bug: one line,
exit 4 (never 1, which CI reads as "failures found"). Options are checked
before the first AWS call; the help of every command ends with examples and
the exit codes.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence

from auditor import __version__
from auditor.app.cli import athena, demo, listings, logs, package, render, scan
from auditor.app.cli.options import EXIT_CODES, EXIT_INTERNAL, EXIT_USAGE, Parser, epilog, error_line
from auditor.app.console import configure_logging
from auditor.model.errors import AuditorError
from auditor.model.excerpt import error_excerpt
from auditor.model.redact import redact, register_secret
from auditor.model.textsafe import clean_text

__all__ = ["COMMANDS", "build_parser", "main"]

#: Subcommand modules, in the order `--help` lists them.
_GROUPS = (scan, logs, athena, render, package, listings, demo)

#: Subcommand name -> the function that runs it (replaceable in tests).
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    name: run for group in _GROUPS for name, run in group.RUN.items()
}


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (also used to render docs)."""
    fmt = argparse.RawDescriptionHelpFormatter
    parser = Parser(
        prog="trail-auditor",
        formatter_class=fmt,
        description="Audit AWS CloudTrail configuration and logs against compliance frameworks.",
        epilog=epilog(
            "trail-auditor demo",
            "trail-auditor scan --regions us-east-1,eu-west-1 --format json,html,pdf",
            "trail-auditor gate results.json --baseline baseline.yaml",
        )
        + "\n\n`trail-auditor COMMAND --help` explains each command.",
    )
    parser.add_argument("--version", action="version", version=f"trail-auditor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    def command(name: str, summary: str, *examples: str, codes: str = EXIT_CODES) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=summary,
            description=summary[0].upper() + summary[1:] + ".",
            formatter_class=fmt,
            epilog=epilog(*examples, codes=codes),
        )

    for group in _GROUPS:
        group.add_parsers(command)
    return parser


def _debug_aws(argv: Sequence[str]) -> bool:
    """--debug-aws or TRAIL_AUDITOR_DEBUG_AWS=1: also log the AWS SDK's requests (redacted)."""
    return "--debug-aws" in argv or os.environ.get("TRAIL_AUDITOR_DEBUG_AWS", "") == "1"


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
        error_line(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("trail-auditor: interrupted\n")
        return 130
    except Exception as exc:  # the one place a bug becomes exit 4
        if debug:
            _traceback()
        hint = "" if debug else "; rerun with --debug for the traceback"
        error_line(f"internal error (a bug): {type(exc).__name__}: {error_excerpt(str(exc))}{hint}")
        return EXIT_INTERNAL

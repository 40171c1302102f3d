"""The one base error type: a user-facing message, caught once by the CLI (exit 2)."""

from __future__ import annotations


class AuditorError(Exception):
    """An error the user can act on: bad input, bad configuration, unusable file.

    The CLI prints ``str(error)`` on one line and exits with code 2; a
    traceback appears only with ``--debug``.
    """


class ValidationError(AuditorError):
    """A user or shipped file failed its JSON Schema; the message names file and field."""

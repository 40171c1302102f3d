"""Keep credentials out of everything the tool prints: a scrubber and a log formatter.

Under ``--debug`` the AWS SDK can log signed requests and response bodies: the
``Authorization`` header, ``X-Amz-Security-Token``, the ``SecretAccessKey`` and
``SessionToken`` of an AssumeRole answer, the ``ExternalId`` sent with it. CI
systems keep stderr, so a debug run must not publish them. :func:`redact`
removes anything shaped like a credential, plus every secret registered with
:func:`register_secret` (the collector registers each assumed role's
credentials; the CLI registers the external id and the environment's keys).
:class:`RedactingFormatter` applies it to every log record whatever library
emitted it, and makes the text safe for a terminal.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

from auditor.model.textsafe import clean_text

__all__ = ["REDACTED", "RedactingFormatter", "redact", "register_secret"]

REDACTED = "<redacted>"

#: Access key ids (long-term AKIA, temporary ASIA) and the unique ids of users and roles.
_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}\b")

#: A credential named in XML (``<SessionToken>v``), JSON or a dict repr (``"SecretAccessKey": "v"``,
#: ``'X-Amz-Security-Token': b'v'``), a query string or a header (``ExternalId=v``, ``Signature=v``).
#: The ``b`` of a bytes literal is part of the separator only before its quote: a bare value that
#: starts with ``b`` (``<SecretAccessKey>bX...``) is redacted whole, its first letter included.
_NAMED = re.compile(
    r"(?P<name>SecretAccessKey|SessionToken|secret_access_key|session_token|"
    r"aws_secret_access_key|aws_session_token|X-Amz-Security-Token|x-amz-security-token|"
    r"X-Amz-Signature|X-Amz-Credential|ExternalId|external_id|Signature|Credential|"
    r"Authorization|authorization)"
    r"(?P<sep>[\"']?\s*[:=>]\s*(?:b?[\"'])?)"
    r"(?P<value>[^\s\"'<>&,;]+)"
)

_secrets: set[str] = set()
_lock = threading.Lock()


def register_secret(*values: str | None) -> None:
    """Add values (a key, a token, an external id) that must never be printed."""
    with _lock:
        _secrets.update(v for v in values if v and len(v) >= 4)


def _registered() -> Iterable[str]:
    with _lock:
        return sorted(_secrets, key=len, reverse=True)  # longest first: a token may contain a shorter secret


def redact(text: str) -> str:
    """``text`` with every registered secret and everything shaped like a credential replaced."""
    for secret in _registered():
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _NAMED.sub(lambda m: f"{m['name']}{m['sep']}{REDACTED}", text)
    return _KEY_ID.sub(REDACTED, text)


class RedactingFormatter(logging.Formatter):
    """Formats a record, then removes credentials and terminal controls from the whole text.

    The whole formatted text (message, arguments, traceback) is scrubbed, so a
    secret cannot escape through ``record.args`` or an exception's text.
    """

    def format(self, record: logging.LogRecord) -> str:
        """The record as one or more safe lines."""
        return clean_text(redact(super().format(record)), multiline=True)

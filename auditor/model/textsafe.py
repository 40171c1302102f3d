"""Make untrusted text safe to show: one function for reports and the console.

Resource names, S3 keys, file names, user agents, finding messages and every
field of a results file or snapshot may be written by an attacker. Shown raw,
such text can

* drive a terminal: ESC/CSI/OSC sequences clear the screen, set the window
  title or write the clipboard (OSC 52); ``\\r`` overwrites the line;
* forge lines: a newline inside a file name prints a fake ``gate PASSED`` line;
* reorder what the reader sees: bidi overrides and isolates (U+202A-U+202E,
  U+2066-U+2069) display ``evil.json`` as something else ("Trojan Source").

:func:`clean_text` replaces every such character with U+FFFD (the Unicode
replacement character). A visible, single replacement was chosen over removal
(removal would silently join the text around it, hiding that anything was
there) and over ``\\x1b``-style escapes (an escape is itself ordinary text an
attacker can type, so a reader could not tell a real control from a forged
one). The original value stays intact in the JSON/CSV outputs.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

#: Characters never shown raw, in any field:
#: C0 controls except TAB and LF (LF is handled per field), DEL, C1 controls,
#: lone surrogates (not encodable as UTF-8), the bidi embeddings, overrides and
#: isolates, the bidi marks LRM/RLM/ALM, and LINE/PARAGRAPH SEPARATOR (which
#: some viewers treat as a line break).
_UNSAFE = "\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u2028\u2029"
_UNSAFE_SINGLE_LINE = re.compile(f"[\n{_UNSAFE}]")
_UNSAFE_MULTILINE = re.compile(f"[{_UNSAFE}]")

REPLACEMENT = "\ufffd"


def clean_text(s: str, *, multiline: bool = False) -> str:
    """``s`` with every control, bidi and line-forging character replaced by U+FFFD.

    TAB is kept (it cannot move the cursor to another line or rewrite text).
    With ``multiline=True`` (a CLI snippet, a multi-line message in a report)
    line feeds are kept as well and CRLF is read as one line feed; a lone CR
    is still replaced, since on a terminal it returns to the start of the line.
    """
    if multiline:
        return _UNSAFE_MULTILINE.sub(REPLACEMENT, s.replace("\r\n", "\n"))
    return _UNSAFE_SINGLE_LINE.sub(REPLACEMENT, s)


_SURROGATE = re.compile("[\ud800-\udfff]")


def without_surrogates(s: str) -> str:
    """``s`` with each lone surrogate replaced by U+FFFD, so it can be written as UTF-8.

    A results file may carry ``"\\ud800"`` escapes that decode to characters
    no UTF-8 writer accepts; whole-document writers (JSON, SARIF, OCSF) pass
    their output through here instead of failing with UnicodeEncodeError.
    """
    return _SURROGATE.sub(REPLACEMENT, s)


def safe_https_url(url: str) -> str | None:
    """``url`` if it is an absolute ``https://`` URL with a host and nothing unsafe in it, else None.

    The one rule for every link a report makes clickable (HTML ``href``, SARIF
    ``helpUri``, OCSF ``references``): remediation URLs come from check metadata
    that a results file can rewrite, so ``javascript:``, ``data:`` and other
    schemes, whitespace and control characters never become a link.
    """
    if not url.startswith("https://") or any(ch.isspace() for ch in url) or clean_text(url) != url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return url if host else None

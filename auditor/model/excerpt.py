"""Short, tag-free excerpts of error text that a server may have filled with a whole web page.

A proxy or a broken endpoint answers ``500`` with an HTML page, and botocore
puts that page (or its first bytes) into the exception's message. Pasted
whole, it floods the console with markup. :func:`error_excerpt` keeps the
words, drops the tags and bounds the length, with a visible marker.
"""

from __future__ import annotations

import re

__all__ = ["MAX_EXCERPT", "error_excerpt", "is_markup"]

MAX_EXCERPT = 240

#: Signs of a web page (not just any "<word>": "<redacted>" is ours).
_MARKUP = re.compile(r"<!doctype|<html|<head|<body|<title|<h1|<div|<p>", re.IGNORECASE)
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]{0,2000}>")
_SPACE = re.compile(r"\s+")


def is_markup(text: str) -> bool:
    """Does ``text`` carry a web page's markup (not just any ``<word>``)?"""
    return bool(_MARKUP.search(text))


def error_excerpt(text: str, limit: int = MAX_EXCERPT) -> str:
    """``text`` without HTML tags, on one line, at most ``limit`` characters (longer: cut, with a marker)."""
    if _MARKUP.search(text):
        text = _TAG.sub(" ", _SCRIPT.sub(" ", text))
        text = text.replace("\\n", " ")  # a bytes repr of a page keeps its newlines as \n
    text = _SPACE.sub(" ", text).strip()
    if len(text) > limit:
        return f"{text[:limit].rstrip()}... [{len(text)} characters, cut]"
    return text

"""Web pages in place of AWS answers, cut down before botocore quotes them.

A proxy, a load balancer or a broken endpoint in front of AWS answers with an
HTML page (``500 Internal Server Error``, ``502 Bad Gateway``). botocore puts
what it can of that body into the exception's message, and from there it
would reach the console, results.json, SARIF and the PDF whole. A
``before-parse`` hook on every session the tool makes replaces such a body by
``HTTP <status>: <tag-free excerpt>`` (:func:`auditor.model.excerpt.error_excerpt`)
before any parser sees it, so every message built from the error, wherever
it is quoted, carries the status and a short excerpt instead of the page.
"""

from __future__ import annotations

from typing import Any

import boto3

from auditor.model.excerpt import error_excerpt
from auditor.model.redact import redact

__all__ = ["install"]

_HOOK_ID = "trail-auditor-error-pages"
#: How much of a page is read to make the excerpt (the excerpt itself is far shorter).
_READ = 64 * 1024


def _is_page(headers: Any, body: bytes) -> bool:
    content_type = str(headers.get("content-type", "") if headers is not None else "").lower()
    head = body[:512].lstrip().lower()
    return "text/html" in content_type or head.startswith((b"<!doctype html", b"<html"))


def cut_error_page(response_dict: dict[str, Any], **_: Any) -> None:
    """botocore ``before-parse`` handler: an error answered with a web page becomes its status and excerpt."""
    status = int(response_dict.get("status_code") or 0)
    body = response_dict.get("body")
    if status < 300 or not isinstance(body, bytes) or not body:
        return
    if _is_page(response_dict.get("headers"), body):
        # redacted before the cut: a secret a proxy echoed must not be split past recognition
        text = error_excerpt(redact(body[:_READ].decode("utf-8", "replace")))
        response_dict["body"] = f"HTTP {status}: {text}".encode()


def install(session: boto3.Session) -> boto3.Session:
    """Register the hook on ``session`` (clients made from it afterwards inherit it); idempotent."""
    session.events.register("before-parse", cut_error_page, unique_id=_HOOK_ID)
    return session

"""Sigma's per-event matcher: a compiled rule tree (:data:`Node`) against one CloudTrail event.

The tree is built by :mod:`auditor.logs.sigma_compile` from pySigma's parse;
here it is evaluated with Sigma's semantics (case-insensitive strings, ``cidr``
on IP addresses only, numeric comparisons on numbers and numeric strings,
objects read as their canonical JSON text: :func:`json_text`). The module
docstring of :mod:`auditor.logs.sigma` and docs/sigma.md say more.
"""

from __future__ import annotations

import ipaddress
import operator
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import orjson

from auditor.model.wildcard import Glob

# A compiled node: nested tuples (picklable, no pySigma objects).
Node = tuple[Any, ...]

#: Sigma's numeric comparison modifiers (``lt``, ``lte``, ``gt``, ``gte``, ``neq``).
COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "LT": operator.lt,
    "LTE": operator.le,
    "GT": operator.gt,
    "GTE": operator.ge,
    "NEQ": operator.ne,
}


@lru_cache(maxsize=256)
def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(text, strict=False)


def _in_network(v: Any, net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    if not isinstance(v, str) or len(v) > 64:
        return False
    try:
        ip = ipaddress.ip_address(v.strip())
    except ValueError:
        return False
    return ip.version == net.version and ip in net


def _number(v: Any) -> int | float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return v
    if isinstance(v, str) and 0 < len(v) <= 64:
        try:
            return float(v)
        except ValueError:
            return None
    return None


def field_values(event: dict[str, Any], path: tuple[str, ...]) -> list[Any]:
    cur: list[Any] = [event]
    for part in path:
        nxt: list[Any] = []
        for c in cur:
            if isinstance(c, dict) and part in c:
                v = c[part]
                if isinstance(v, list):
                    nxt.extend(v)
                else:
                    nxt.append(v)
        cur = nxt
        if not cur:
            break
    return cur


#: Longest string value :func:`json_text` reads as an embedded JSON document.
EMBEDDED_JSON_MAX = 1024 * 1024


def _embedded(v: Any, depth: int = 4) -> Any:
    """``v`` with string values that are JSON documents (``{...}``, ``[...]``) replaced by what they hold."""
    if isinstance(v, dict):
        return {k: _embedded(x, depth) for k, x in v.items()}
    if isinstance(v, list):
        return [_embedded(x, depth) for x in v]
    if isinstance(v, str) and depth > 0 and v[:1] in ("{", "[") and len(v) <= EMBEDDED_JSON_MAX:
        try:
            doc = orjson.loads(v)
        except orjson.JSONDecodeError:
            return v
        return _embedded(doc, depth - 1) if isinstance(doc, dict | list) else v
    return v


def json_text(v: dict[str, Any] | list[Any]) -> str | None:
    """An object's canonical JSON text, what Sigma string tests on it read.

    Compact (no spaces), keys in the order the record holds them (as CloudTrail
    wrote them), strings with JSON's minimal escaping (non-ASCII kept as UTF-8):
    the text of the Athena table's STRING column for that field. One addition:
    a string value that is itself a JSON document starting with ``{`` or ``[``
    (an IAM policy, which CloudTrail records as text inside requestParameters)
    is written as the JSON it holds, so ``requestParameters|contains: '"Allow"'``
    reads the policy's ``"Allow"`` and not ``\\"Allow\\"`` (SigmaHQ's S3 Browser rule
    could never match otherwise). None for a value JSON cannot write (nesting past
    orjson's limit): it has no text to match.
    """
    for expand in (True, False):  # an embedded document too deep to expand: as written
        try:
            return orjson.dumps(_embedded(v) if expand else v).decode()
        except (TypeError, orjson.JSONEncodeError, RecursionError):
            continue
    return None


def as_text(v: Any) -> str | None:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return str(v)
    if isinstance(v, dict | list):
        return json_text(v)
    return None


def evaluate(node: Node, event: dict[str, Any]) -> bool:
    """Whether the compiled rule matches the event (Sigma: case-insensitive by default)."""
    op = node[0]
    if op == "and":
        return all(evaluate(c, event) for c in node[1])
    if op == "or":
        return any(evaluate(c, event) for c in node[1])
    if op == "not":
        return not evaluate(node[1], event)
    vals = field_values(event, node[1])
    if op == "exists":
        return bool(vals) is bool(node[2])
    if op == "null":  # absent or JSON null; '' is a value (Sigma's empty value, a separate test)
        return not vals or any(v is None for v in vals)
    if op == "any":
        return any(as_text(v) is not None for v in vals)
    if op == "num":
        return any(
            (not isinstance(v, bool) and isinstance(v, int | float) and v == node[2])
            or (isinstance(v, str) and v == str(node[2]))
            for v in vals
        )
    if op == "bool":
        return any(v is node[2] or as_text(v) == ("true" if node[2] else "false") for v in vals)
    if op == "cidr":
        net = _network(node[2])
        return any(_in_network(v, net) for v in vals)
    if op == "cmp":
        cmp = COMPARE[node[2]]
        return any((n := _number(v)) is not None and cmp(n, node[3]) for v in vals)
    if op == "fieldref":
        others = {t.lower() for o in field_values(event, node[2]) if (t := as_text(o)) is not None}
        mode = node[3]
        return any((t := as_text(v)) is not None and any(_text_op(mode, t.lower(), o) for o in others) for v in vals)
    if op == "glob":
        glob: Glob = node[2]
        return any((t := as_text(v)) is not None and glob.matches(t) for v in vals)
    if op == "re":
        rx = re.compile(node[2], node[3])
        return any((t := as_text(v)) is not None and rx.search(t) is not None for v in vals)
    want: str = node[2]
    cased: bool = node[3]
    for v in vals:
        t = as_text(v)
        if t is None:
            continue
        if not cased:
            t = t.lower()
        if _text_op(op, t, want):
            return True
    return False


def _text_op(op: str, text: str, want: str) -> bool:
    """The string comparisons of Sigma values and of field references (already case-folded)."""
    return (
        (op == "eq" and text == want)
        or (op == "prefix" and text.startswith(want))
        or (op == "suffix" and text.endswith(want))
        or (op == "contains" and want in text)
    )

"""Sigma rules, loaded with pySigma and compiled into our own event matcher.

pySigma parses the YAML and resolves conditions (``1 of selection_*``, ``all
of``, ``not``) and modifiers (``contains``, ``startswith``, ``endswith``,
``all``, ``re``, ``cidr``, ``lt``/``lte``/``gt``/``gte``/``neq``,
``fieldref``, ``windash``) into a boolean tree; we translate that tree into
plain tuples that pickle cheaply to the worker processes and evaluate against
each event in the same pass as every other rule. Anything we cannot evaluate
faithfully (aggregations/correlations, placeholders and ``expand``, keyword
search) is reported as unsupported with the reason, never half-evaluated.

Semantics where Sigma leaves room: ``cidr`` matches only values that parse
as an IP address of the network's family (``sourceIPAddress`` also holds
service names such as ``cloudtrail.amazonaws.com``); numeric comparisons
accept JSON numbers and numeric strings, never booleans; ``fieldref``
compares the text of the two fields case-insensitively, like every other
Sigma string match (IAM names are case-insensitive too).
"""

from __future__ import annotations

import ipaddress
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from auditor.model.errors import AuditorError
from auditor.model.wildcard import Glob

# A compiled node: nested tuples (picklable, no pySigma objects).
Node = tuple[Any, ...]


@dataclass(frozen=True)
class SigmaRuleSpec:
    """A Sigma rule we can evaluate."""

    id: str
    title: str
    level: str
    path: str
    node: Node
    #: eventName values the rule requires (pre-filter), or None when any name can match.
    names: frozenset[str] | None = None


@dataclass(frozen=True)
class UnsupportedRule:
    """A Sigma rule we do not evaluate, and why."""

    id: str
    title: str
    path: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"id": self.id, "title": self.title, "path": self.path, "reason": self.reason}


class _Unsupported(Exception):
    pass


def load_rules(rules_dir: Path) -> tuple[list[SigmaRuleSpec], list[UnsupportedRule]]:
    """Every ``.yml``/``.yaml`` under ``rules_dir``: compiled, or unsupported with the reason."""
    from sigma.collection import SigmaCollection  # optional heavy import, only with --rules

    if not rules_dir.is_dir():
        raise AuditorError(f"--rules: {rules_dir} is not a directory")
    specs: list[SigmaRuleSpec] = []
    unsupported: list[UnsupportedRule] = []
    files = sorted(p for p in rules_dir.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
    for path in files:
        rel = str(path.relative_to(rules_dir))
        try:
            text = path.read_text(encoding="utf-8")
            coll = SigmaCollection.from_yaml(text, collect_errors=True)
        except Exception as exc:  # pySigma raises many types on bad YAML
            unsupported.append(UnsupportedRule("", path.stem, rel, f"cannot be loaded: {exc}"))
            continue
        for rule in coll.rules:
            rid = str(getattr(rule, "id", "") or "")
            title = str(getattr(rule, "title", "") or path.stem)
            errors = getattr(rule, "errors", [])
            if errors:
                unsupported.append(UnsupportedRule(rid, title, rel, f"invalid rule: {errors[0]}"))
                continue
            if type(rule).__name__ != "SigmaRule":
                unsupported.append(
                    UnsupportedRule(
                        rid,
                        title,
                        rel,
                        "correlation rules (aggregation across events) are not supported",
                    )
                )
                continue
            try:
                node = _compile_rule(rule)
            except _Unsupported as exc:
                unsupported.append(UnsupportedRule(rid, title, rel, str(exc)))
                continue
            except Exception as exc:  # pySigma's own condition errors (pipe syntax...)
                unsupported.append(UnsupportedRule(rid, title, rel, f"{type(exc).__name__}: {exc}"))
                continue
            level = getattr(rule, "level", None)
            specs.append(
                SigmaRuleSpec(
                    rid,
                    title,
                    str(getattr(level, "name", level) or "").lower(),
                    rel,
                    node,
                    required_names(node),
                )
            )
    return specs, unsupported


def _compile_rule(rule: Any) -> Node:
    logsource = rule.logsource
    product = (getattr(logsource, "product", None) or "").lower()
    service = (getattr(logsource, "service", None) or "").lower()
    if product != "aws" or service not in ("", "cloudtrail"):
        raise _Unsupported(f"log source {product or '?'}/{service or '?'} is not AWS CloudTrail")
    try:
        raw_detection = rule.detection.to_dict()
    except Exception:  # older pySigma: no to_dict
        raw_detection = {}
    if "timeframe" in raw_detection:
        raise _Unsupported("timeframe (correlating several events within a time window) is not supported")
    conds = rule.detection.parsed_condition
    nodes = [_compile(c.parse()) for c in conds]
    return nodes[0] if len(nodes) == 1 else ("or", tuple(nodes))


def _compile(cond: Any) -> Node:
    kind = type(cond).__name__
    if kind == "ConditionAND":
        return ("and", tuple(_compile(a) for a in cond.args))
    if kind == "ConditionOR":
        return ("or", tuple(_compile(a) for a in cond.args))
    if kind == "ConditionNOT":
        return ("not", _compile(cond.args[0]))
    if kind == "ConditionFieldEqualsValueExpression":
        return _value(tuple(str(cond.field).split(".")), cond.value)
    if kind == "ConditionValueExpression":
        raise _Unsupported("keyword (field-less) search is not supported")
    raise _Unsupported(f"condition element {kind} is not supported")


def _value(path: tuple[str, ...], value: Any) -> Node:
    kind = type(value).__name__
    if kind in ("SigmaString", "SigmaCasedString"):
        cased = kind == "SigmaCasedString"
        if value.contains_placeholder():
            raise _Unsupported("placeholders (%name%) need a processing pipeline")
        parts: list[tuple[str, str]] = []
        for p in value.s:
            if isinstance(p, str):
                parts.append(("t", p))
            else:
                parts.append(("*", "") if p.name == "WILDCARD_MULTI" else ("?", ""))
        return _string_node(path, parts, cased)
    if kind == "SigmaNumber":
        return ("num", path, value.number)
    if kind == "SigmaNull":
        return ("null", path)
    if kind == "SigmaBool":
        return ("bool", path, bool(value.boolean))
    if kind == "SigmaExists":
        return ("exists", path, bool(value.exists))
    if kind == "SigmaRegularExpression":
        flags = 0
        for f in getattr(value, "flags", ()) or ():
            flags |= {
                "IGNORECASE": re.IGNORECASE,
                "MULTILINE": re.MULTILINE,
                "DOTALL": re.DOTALL,
            }.get(getattr(f, "name", ""), 0)
        pattern = str(value.regexp)
        re.compile(pattern, flags)
        return ("re", path, pattern, flags)
    if kind == "SigmaFieldReference":
        mode = "prefix" if getattr(value, "starts_with", False) else "eq"
        mode = "suffix" if getattr(value, "ends_with", False) else mode
        return ("fieldref", path, tuple(str(value.field).split(".")), mode)
    if kind == "SigmaCIDRExpression":
        return ("cidr", path, str(value.network))
    if kind == "SigmaCompareExpression":
        op = value.op.name
        if op not in _COMPARE:
            raise _Unsupported(f"numeric comparison {op.lower()} is not supported")
        return ("cmp", path, op, value.number.number)
    if kind == "SigmaExpansion":  # windash: the same value written several ways, any of which matches
        return ("or", tuple(_value(path, v) for v in value.values))
    raise _Unsupported(f"value type {kind} is not supported")


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
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


def _string_node(path: tuple[str, ...], parts: list[tuple[str, str]], cased: bool) -> Node:
    fold = (lambda s: s) if cased else str.lower
    kinds = [k for k, _ in parts]
    texts = [t for k, t in parts if k == "t"]
    if "?" not in kinds:
        if kinds == ["t"]:
            return ("eq", path, fold(texts[0]), cased)
        if kinds == ["*", "t"]:
            return ("suffix", path, fold(texts[0]), cased)
        if kinds == ["t", "*"]:
            return ("prefix", path, fold(texts[0]), cased)
        if kinds == ["*", "t", "*"]:
            return ("contains", path, fold(texts[0]), cased)
        if kinds == ["*"]:
            return ("exists", path, True)
    # Log values are attacker-written: wildcards go through the non-backtracking matcher.
    return ("glob", path, Glob.from_tokens(parts, case_sensitive=cased))


def required_names(node: Node) -> frozenset[str] | None:
    """Lower-cased eventName values without which the rule cannot match (a pre-filter)."""
    op = node[0]
    if op == "eq" and node[1] == ("eventName",):
        return frozenset({node[2].lower()})
    if op == "or":
        out: set[str] = set()
        for child in node[1]:
            names = required_names(child)
            if names is None:
                return None
            out |= names
        return frozenset(out)
    if op == "and":
        for child in node[1]:
            names = required_names(child)
            if names is not None:
                return names
    return None


def _values(event: dict[str, Any], path: tuple[str, ...]) -> list[Any]:
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


def _as_text(v: Any) -> str | None:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return str(v)
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
    vals = _values(event, node[1])
    if op == "exists":
        return bool(vals) is bool(node[2])
    if op == "null":
        return not vals or any(v is None or v == "" for v in vals)
    if op == "num":
        return any(
            (not isinstance(v, bool) and isinstance(v, int | float) and v == node[2])
            or (isinstance(v, str) and v == str(node[2]))
            for v in vals
        )
    if op == "bool":
        return any(v is node[2] or _as_text(v) == ("true" if node[2] else "false") for v in vals)
    if op == "cidr":
        net = _network(node[2])
        return any(_in_network(v, net) for v in vals)
    if op == "cmp":
        cmp = _COMPARE[node[2]]
        return any((n := _number(v)) is not None and cmp(n, node[3]) for v in vals)
    if op == "fieldref":
        others = {t.lower() for o in _values(event, node[2]) if (t := _as_text(o)) is not None}
        mode = node[3]
        return any(
            (t := _as_text(v)) is not None and any(_text_op(mode, t.lower(), o) for o in others) for v in vals
        )
    if op == "glob":
        glob: Glob = node[2]
        return any((t := _as_text(v)) is not None and glob.matches(t) for v in vals)
    if op == "re":
        rx = re.compile(node[2], node[3])
        return any((t := _as_text(v)) is not None and rx.search(t) is not None for v in vals)
    want: str = node[2]
    cased: bool = node[3]
    for v in vals:
        t = _as_text(v)
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


def summarise_rules(specs: Sequence[SigmaRuleSpec]) -> list[dict[str, str]]:
    """The evaluated rules, for the evidence document."""
    return [{"id": s.id, "title": s.title, "level": s.level, "path": s.path} for s in specs]

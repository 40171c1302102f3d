"""pySigma's parsed rule turned into our own picklable tree (:data:`~auditor.logs.sigma_match.Node`).

Anything the matcher cannot evaluate faithfully (keyword search, a field that is
not a CloudTrail record field, an unknown value type) raises
:class:`SigmaUnsupported` with the reason, which the loader reports.
"""

from __future__ import annotations

import re
from typing import Any

from auditor.logs.sigma_match import COMPARE, Node
from auditor.model.wildcard import Glob


class SigmaUnsupported(Exception):
    """A rule (or part of one) we do not evaluate; the message is the reason."""


#: Top-level fields of a CloudTrail record (the record-contents reference): a rule reading any
#: other field can never match a CloudTrail event, so it is reported, not counted as evaluated.
CLOUDTRAIL_FIELDS = frozenset(
    {
        "eventVersion",
        "userIdentity",
        "eventTime",
        "eventSource",
        "eventName",
        "awsRegion",
        "sourceIPAddress",
        "userAgent",
        "errorCode",
        "errorMessage",
        "requestParameters",
        "responseElements",
        "additionalEventData",
        "requestID",
        "eventID",
        "readOnly",
        "resources",
        "eventType",
        "apiVersion",
        "managementEvent",
        "recipientAccountId",
        "serviceEventDetails",
        "sharedEventID",
        "vpcEndpointId",
        "vpcEndpointAccountId",
        "eventCategory",
        "addendum",
        "sessionCredentialFromConsole",
        "edgeDeviceDetails",
        "tlsDetails",
        "insightDetails",
    }
)


def compile_rule(rule: Any) -> Node:
    logsource = rule.logsource
    product = (getattr(logsource, "product", None) or "").lower()
    service = (getattr(logsource, "service", None) or "").lower()
    if product != "aws" or service not in ("", "cloudtrail"):
        raise SigmaUnsupported(f"log source {product or '?'}/{service or '?'} is not AWS CloudTrail")
    try:
        raw_detection = rule.detection.to_dict()
    except Exception:  # older pySigma: no to_dict
        raw_detection = {}
    if "timeframe" in raw_detection:
        raise SigmaUnsupported("timeframe (correlating several events within a time window) is not supported")
    conds = rule.detection.parsed_condition
    nodes = [_compile(c.parse()) for c in conds]
    node = nodes[0] if len(nodes) == 1 else ("or", tuple(nodes))
    if _never(node):
        raise SigmaUnsupported("the rule can never match (its detections were emptied by the processing pipeline)")
    unknown = sorted({p[0] for p in _paths(node) if p and p[0] not in CLOUDTRAIL_FIELDS})
    if unknown:
        raise SigmaUnsupported(
            f"field {', '.join(unknown)} is not a CloudTrail record field: the rule could never match "
            "(map it in a processing pipeline file in the rules folder)"
        )
    return node


def _never(node: Node) -> bool:
    """Whether a compiled node is constant false (built from emptied detections)."""
    op = node[0]
    if op == "or":
        return all(_never(c) for c in node[1])
    if op == "and":
        return any(_never(c) for c in node[1])
    return False


def _paths(node: Node) -> list[tuple[str, ...]]:
    """Every field path a compiled node reads."""
    op = node[0]
    if op in ("and", "or"):
        return [p for c in node[1] for p in _paths(c)]
    if op == "not":
        return _paths(node[1])
    if op == "fieldref":
        return [node[1], node[2]]
    return [node[1]]


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
    if cond is None:  # a detection the processing pipeline emptied (drop_detection_item): matches nothing
        return ("or", ())
    if kind == "ConditionValueExpression":
        raise SigmaUnsupported("keyword (field-less) search is not supported")
    raise SigmaUnsupported(f"condition element {kind} is not supported")


def _value(path: tuple[str, ...], value: Any) -> Node:
    kind = type(value).__name__
    if kind in ("SigmaString", "SigmaCasedString"):
        cased = kind == "SigmaCasedString"
        if value.contains_placeholder():
            raise SigmaUnsupported("placeholders (%name%) need a processing pipeline")
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
        if op not in COMPARE:
            raise SigmaUnsupported(f"numeric comparison {op.lower()} is not supported")
        return ("cmp", path, op, value.number.number)
    if kind == "SigmaExpansion":  # windash: the same value written several ways, any of which matches
        return ("or", tuple(_value(path, v) for v in value.values))
    raise SigmaUnsupported(f"value type {kind} is not supported")


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
    if kinds and all(k == "*" for k in kinds):
        # a bare * is a string wildcard: any value with text, never a JSON null (not |exists)
        return ("any", path)
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

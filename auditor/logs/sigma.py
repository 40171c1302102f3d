"""Sigma rules, loaded with pySigma and compiled into our own event matcher.

pySigma parses the YAML and resolves conditions (``1 of selection_*``, ``all
of``, ``not``) and modifiers (``contains``, ``startswith``, ``endswith``,
``all``, ``re``, ``cidr``, ``lt``/``lte``/``gt``/``gte``/``neq``,
``fieldref``, ``windash``) into a boolean tree; we translate that tree into
plain tuples that pickle cheaply to the worker processes and evaluate against
each event in the same pass as every other rule. Correlation rules
(``event_count``, ``value_count``, ``temporal``, ``temporal_ordered``) are
evaluated over the whole window from their base rules' matches
(:func:`correlate`); placeholders (``%name%``, ``expand``) are filled from a
processing pipeline file in the rules folder (:func:`load_ruleset`).
Anything we cannot evaluate faithfully (value_sum/avg/percentile, correlation
chains, keyword search, a field that is not a CloudTrail record field) is
reported as unsupported with the reason, never half-evaluated.

Semantics where Sigma leaves room: ``cidr`` matches only values that parse
as an IP address of the network's family (``sourceIPAddress`` also holds
service names such as ``cloudtrail.amazonaws.com``); numeric comparisons
accept JSON numbers and numeric strings, never booleans; ``fieldref``
compares the text of the two fields case-insensitively, like every other
Sigma string match (IAM names are case-insensitive too).

String tests on a field holding an object (``requestParameters|contains:``)
match the object's canonical JSON text (:func:`json_text`: compact, keys in
the order the record holds them, as CloudTrail wrote them; the text the
Athena table's STRING column holds). ``null`` matches an absent field and a
JSON null, never ``''``; a bare ``*`` matches any value that has text (a
string, also an empty one, a number, a boolean, an object), never a JSON
null or an absent field (that is ``|exists``). docs/sigma.md says more.
"""

from __future__ import annotations

import calendar
import ipaddress
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

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
    #: Reported on its own (False: only a correlation's base rule, Sigma's ``generate: false``).
    standalone: bool = True
    #: Correlations this rule feeds: (correlation id, group-by paths, value_count field path).
    feeds: tuple[tuple[str, tuple[tuple[str, ...], ...], tuple[str, ...] | None], ...] = ()


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


@dataclass(frozen=True)
class CorrelationSpec:
    """A Sigma correlation rule we evaluate over the window (:func:`correlate`)."""

    id: str
    title: str
    level: str
    path: str
    #: event_count, value_count, temporal or temporal_ordered.
    type: str
    #: Ids of the base rules, in the order the correlation lists them.
    rules: tuple[str, ...]
    #: group-by field names as the rule writes them (aliases included).
    group_by: tuple[str, ...]
    timespan: int
    #: (operator, count): gt, gte, lt, lte, eq or neq.
    condition: tuple[str, float]
    #: value_count: the field whose distinct values are counted (per base rule, aliases applied).
    value_field: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "id": self.id,
            "title": self.title,
            "level": self.level,
            "path": self.path,
            "correlation": self.type,
            "rules": list(self.rules),
            "group_by": list(self.group_by),
            "timespan_seconds": self.timespan,
            "condition": {self.condition[0]: self.condition[1]},
        }


@dataclass
class Ruleset:
    """Everything a rules folder holds: evaluable rules, correlations, and what is not supported."""

    specs: list[SigmaRuleSpec] = field(default_factory=list)
    unsupported: list[UnsupportedRule] = field(default_factory=list)
    correlations: list[CorrelationSpec] = field(default_factory=list)
    #: Processing pipeline files applied to the rules (relative paths).
    pipelines: list[str] = field(default_factory=list)


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

#: Processing-pipeline transformations a rules folder may use: rewriting fields and values only.
#: Placeholders fetched from files, URLs or commands are refused (a rules folder is input, not code).
PIPELINE_TRANSFORMATIONS = frozenset(
    {
        "field_name_mapping",
        "field_name_prefix_mapping",
        "field_name_prefix",
        "field_name_suffix",
        "drop_detection_item",
        "value_placeholders",
        "wildcard_placeholders",
        "add_condition",
        "replace_string",
        "map_string",
        "set_value",
        "rule_failure",
        "detection_item_failure",
    }
)
_PIPELINE_KEYS = frozenset({"name", "priority", "vars", "transformations", "allowed_backends"})
#: Correlation types evaluated by :func:`correlate`.
CORRELATION_TYPES = ("event_count", "value_count", "temporal", "temporal_ordered")


def load_rules(rules_dir: Path) -> tuple[list[SigmaRuleSpec], list[UnsupportedRule]]:
    """The single-event rules of a folder, and the rest as unsupported (see :func:`load_ruleset`).

    Correlation rules are listed as unsupported here: only the readers that keep
    their base rules' matches over the window (given :func:`load_ruleset`) evaluate them.
    """
    rs = load_ruleset(rules_dir)
    extra = [
        UnsupportedRule(c.id, c.title, c.path, "correlation rule: judged over the window (load_ruleset), not per event")
        for c in rs.correlations
    ]
    return rs.specs, rs.unsupported + extra


def _is_pipeline(doc: Any) -> bool:
    return (
        isinstance(doc, dict)
        and ("transformations" in doc or "vars" in doc)
        and "detection" not in doc
        and "correlation" not in doc
    )


def _pipeline(docs: list[tuple[str, dict[str, Any]]], unsupported: list[UnsupportedRule]) -> Any:
    """The folder's processing pipeline files, checked, plus our placeholder step (always last)."""
    from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
    from sigma.processing.transformations import ValueListPlaceholderTransformation

    pipeline = ProcessingPipeline()
    for rel, doc in docs:
        bad = sorted(set(doc) - _PIPELINE_KEYS)
        kinds = [t.get("type") if isinstance(t, dict) else None for t in doc.get("transformations") or []]
        refused = [str(k) for k in kinds if k not in PIPELINE_TRANSFORMATIONS]
        if bad or refused:
            why = f"keys {', '.join(bad)}" if bad else f"transformations {', '.join(refused)}"
            unsupported.append(
                UnsupportedRule("", Path(rel).stem, rel, f"processing pipeline refused: {why} not allowed")
            )
            continue
        try:
            pipeline = pipeline + ProcessingPipeline.from_dict(doc)
        except Exception as exc:  # pySigma's configuration errors
            unsupported.append(UnsupportedRule("", Path(rel).stem, rel, f"processing pipeline invalid: {exc}"))
    # every placeholder left is filled from the pipelines' vars, or the rule fails with the name
    step = ProcessingItem(ValueListPlaceholderTransformation(), identifier="trail-auditor-vars")
    return pipeline + ProcessingPipeline(items=[step])


def load_ruleset(rules_dir: Path) -> Ruleset:
    """Every ``.yml``/``.yaml`` under ``rules_dir``: compiled, or unsupported with the reason.

    A file that is a pySigma processing pipeline (``transformations`` or
    ``vars``, no ``detection``) is applied to every rule of the folder
    (field mappings, placeholder values); the transformations it may use are
    :data:`PIPELINE_TRANSFORMATIONS`.
    """
    import yaml
    from sigma.collection import SigmaCollection  # optional heavy import, only with --rules

    if not rules_dir.is_dir():
        raise AuditorError(f"--rules: {rules_dir} is not a directory")
    out = Ruleset()
    files = sorted(p for p in rules_dir.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
    texts: list[tuple[str, str]] = []
    pipeline_docs: list[tuple[str, dict[str, Any]]] = []
    for path in files:
        rel = str(path.relative_to(rules_dir))
        try:
            text = path.read_text(encoding="utf-8")
            first = next(iter(yaml.safe_load_all(text)), None)
        except Exception as exc:  # bad YAML, bad encoding
            out.unsupported.append(UnsupportedRule("", path.stem, rel, f"cannot be loaded: {exc}"))
            continue
        if isinstance(first, dict) and _is_pipeline(first):
            pipeline_docs.append((rel, first))
            out.pipelines.append(rel)
        else:
            texts.append((rel, text))
    pipeline = _pipeline(pipeline_docs, out.unsupported)
    base: dict[str, SigmaRuleSpec] = {}
    by_name: dict[str, str] = {}
    raw_corr: list[tuple[str, Any]] = []
    for rel, text in texts:
        try:
            # references are resolved across the folder below (a correlation may name a rule of another file)
            coll = SigmaCollection.from_yaml(text, collect_errors=True, resolve_references=False)
        except Exception as exc:  # pySigma raises many types on bad YAML
            out.unsupported.append(UnsupportedRule("", Path(rel).stem, rel, f"cannot be loaded: {exc}"))
            continue
        for rule in coll.rules:
            rid = str(getattr(rule, "id", "") or "")
            title = str(getattr(rule, "title", "") or Path(rel).stem)
            errors = getattr(rule, "errors", [])
            if errors:
                out.unsupported.append(UnsupportedRule(rid, title, rel, f"invalid rule: {errors[0]}"))
                continue
            if type(rule).__name__ == "SigmaCorrelationRule":
                raw_corr.append((rel, rule))
                continue
            if type(rule).__name__ != "SigmaRule":
                out.unsupported.append(UnsupportedRule(rid, title, rel, f"{type(rule).__name__} is not supported"))
                continue
            try:
                pipeline.apply(rule)
                node = _compile_rule(rule)
            except _Unsupported as exc:
                out.unsupported.append(UnsupportedRule(rid, title, rel, str(exc)))
                continue
            except Exception as exc:  # pySigma's own condition and placeholder errors
                reason = f"{type(exc).__name__}: {exc}"
                if "Placeholder" in reason or "placeholder" in reason:
                    reason += " (define it under vars: in a processing pipeline file in the rules folder)"
                out.unsupported.append(UnsupportedRule(rid, title, rel, reason))
                continue
            level = getattr(rule, "level", None)
            spec = SigmaRuleSpec(
                rid, title, str(getattr(level, "name", level) or "").lower(), rel, node, required_names(node)
            )
            base[rid] = spec
            name = getattr(rule, "name", None)
            if name:
                by_name[str(name)] = rid
    feeds: dict[str, list[tuple[str, tuple[tuple[str, ...], ...], tuple[str, ...] | None]]] = {}
    hidden: set[str] = set()
    for rel, rule in raw_corr:
        rid = str(getattr(rule, "id", "") or "")
        title = str(getattr(rule, "title", "") or Path(rel).stem)
        try:
            corr, links = _correlation(rule, rel, base, by_name)
        except _Unsupported as exc:
            out.unsupported.append(UnsupportedRule(rid, title, rel, str(exc)))
            continue
        out.correlations.append(corr)
        for ref, gpaths, vpath in links:
            feeds.setdefault(ref, []).append((corr.id, gpaths, vpath))
        if not getattr(rule, "generate", False):
            hidden.update(corr.rules)
    for rid, spec in base.items():
        if rid in feeds or rid in hidden:
            spec = SigmaRuleSpec(
                spec.id,
                spec.title,
                spec.level,
                spec.path,
                spec.node,
                spec.names,
                standalone=rid not in hidden,
                feeds=tuple(feeds.get(rid, ())),
            )
        out.specs.append(spec)
    return out


def _correlation(
    rule: Any, rel: str, base: dict[str, SigmaRuleSpec], by_name: dict[str, str]
) -> tuple[CorrelationSpec, list[tuple[str, tuple[tuple[str, ...], ...], tuple[str, ...] | None]]]:
    """A correlation rule resolved against the folder's single-event rules, or why it cannot be."""
    rid = str(getattr(rule, "id", "") or "")
    title = str(getattr(rule, "title", "") or Path(rel).stem)
    kind = str(getattr(rule.type, "name", rule.type)).lower()
    if kind not in CORRELATION_TYPES:
        raise _Unsupported(f"correlation type {kind} is not supported (only {', '.join(CORRELATION_TYPES)})")
    if not rid:
        raise _Unsupported("correlation rule without an id")
    cond = rule.condition
    if type(cond).__name__ != "SigmaCorrelationCondition":
        raise _Unsupported("extended (boolean) correlation conditions are not supported")
    refs: list[str] = []
    for ref in rule.rules or ():
        target = by_name.get(ref.reference, ref.reference)
        if target not in base:
            raise _Unsupported(
                f"referenced rule {ref.reference!r} is not an evaluated single-event rule of this folder "
                "(missing, unsupported, or a correlation: chains are not supported)"
            )
        refs.append(target)
    if not refs:
        raise _Unsupported("correlation rule without rules")
    group_by = tuple(str(g) for g in (rule.group_by or ()))
    aliases: dict[str, dict[str, str]] = {}
    for alias in rule.aliases:
        aliases[alias.alias] = {by_name.get(r.reference, r.reference): f for r, f in alias.mapping.items()}

    def path_for(name: str, target: str) -> tuple[str, ...]:
        real = aliases.get(name, {}).get(target, name)
        path = tuple(real.split("."))
        if path[0] not in CLOUDTRAIL_FIELDS:
            raise _Unsupported(f"field {real!r} is not a CloudTrail record field")
        return path

    value_field = None
    if kind == "value_count":
        fr = cond.fieldref
        if not isinstance(fr, str):
            raise _Unsupported("value_count over several fields is not supported")
        value_field = fr
    links = [
        (t, tuple(path_for(g, t) for g in group_by), path_for(value_field, t) if value_field else None)
        for t in dict.fromkeys(refs)
    ]
    level = getattr(rule, "level", None)
    spec = CorrelationSpec(
        rid,
        title,
        str(getattr(level, "name", level) or "").lower(),
        rel,
        kind,
        tuple(refs),
        group_by,
        int(rule.timespan.seconds),
        (cond.op.name.lower(), cond.count),
        value_field,
    )
    return spec, links


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
    node = nodes[0] if len(nodes) == 1 else ("or", tuple(nodes))
    if _never(node):
        raise _Unsupported("the rule can never match (its detections were emptied by the processing pipeline)")
    unknown = sorted({p[0] for p in _paths(node) if p and p[0] not in CLOUDTRAIL_FIELDS})
    if unknown:
        raise _Unsupported(
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


def _as_text(v: Any) -> str | None:
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
    vals = _values(event, node[1])
    if op == "exists":
        return bool(vals) is bool(node[2])
    if op == "null":  # absent or JSON null; '' is a value (Sigma's empty value, a separate test)
        return not vals or any(v is None for v in vals)
    if op == "any":
        return any(_as_text(v) is not None for v in vals)
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
        return any((t := _as_text(v)) is not None and any(_text_op(mode, t.lower(), o) for o in others) for v in vals)
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


# --------------------------------------------------------------------------- correlations

#: Base-rule matches one correlation keeps over the window; past it the correlation is
#: reported incomplete (its check is ERROR), never judged on part of the events.
MAX_CORRELATION_EVENTS = 100_000
#: Firing groups described per (correlation, account, region) in the evidence.
CORRELATION_GROUPS = 50

#: One base-rule match kept for a correlation:
#: (eventTime, eventID, base rule id, group values, value_count value, account, region, sample).
CorrelationEvent = tuple[str, str, str, tuple[str | None, ...], str | None, str, str, dict[str, Any]]


def group_value(event: dict[str, Any], path: tuple[str, ...], limit: int = 2048) -> str | None:
    """A group-by (or value_count) field's value as text: None when absent or null.

    Several values (a list) are one value: their JSON text. Text is clipped to ``limit``.
    """
    vals = [v for v in _values(event, path) if v is not None]
    if not vals:
        return None
    text = _as_text(vals[0]) if len(vals) == 1 else json_text(vals)
    if text is None:
        return None
    return text if len(text) <= limit else text[:limit]


@lru_cache(maxsize=65536)
def _epoch(t: str) -> int:
    return calendar.timegm(datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ").timetuple())


_CONDITIONS: dict[str, Callable[[Any, Any], bool]] = {
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
    "eq": operator.eq,
    "neq": operator.ne,
}


def _ordered(window: Sequence[CorrelationEvent], rules: tuple[str, ...]) -> int:
    """How many of ``rules`` match in their order within the window, starting with its first event."""
    if not window or window[0][2] != rules[0]:
        return 0
    k = 1
    for ev in window[1:]:
        if k < len(rules) and ev[2] == rules[k]:
            k += 1
    return k


def correlate(spec: CorrelationSpec, events: Sequence[CorrelationEvent]) -> list[dict[str, Any]]:
    """The groups for which the correlation fires, each with its first firing window.

    Windows are anchored at each base-rule match of the group and last
    ``timespan`` seconds (half-open: an event exactly ``timespan`` after the
    anchor is outside). ``event_count`` counts the window's events,
    ``value_count`` the distinct non-null values of the field, ``temporal``
    the distinct base rules, ``temporal_ordered`` the base rules matched in
    the listed order from the anchor on. The first window (earliest anchor)
    whose count meets the condition is the group's match.
    """
    op, want = spec.condition
    test = _CONDITIONS[op]
    groups: dict[tuple[str | None, ...], list[CorrelationEvent]] = {}
    for ev in events:
        groups.setdefault(ev[3], []).append(ev)
    out: list[dict[str, Any]] = []
    for group, evs in groups.items():
        evs.sort(key=lambda e: (e[0], e[1], e[2], str(e[7].get("file"))))  # whatever the merge order
        times = [_epoch(e[0]) for e in evs]
        j = 0
        values: dict[str, int] = {}
        rules: dict[str, int] = {}
        for i in range(len(evs)):
            j = max(j, i)
            while j < len(evs) and times[j] < times[i] + spec.timespan:
                v = evs[j][4]
                if v is not None:
                    values[v] = values.get(v, 0) + 1
                rules[evs[j][2]] = rules.get(evs[j][2], 0) + 1
                j += 1
            if spec.type == "event_count":
                count = j - i
            elif spec.type == "value_count":
                count = len(values)
            elif spec.type == "temporal":
                count = len(rules)
            else:
                count = _ordered(evs[i:j], spec.rules)
            if test(count, want):
                window = evs[i:j]
                out.append(
                    {
                        "group": dict(zip(spec.group_by, group, strict=True)),
                        "window_start": window[0][0],
                        "window_end": window[-1][0],
                        "count": count,
                        "events_in_window": len(window),
                        "account_id": window[0][5],
                        "region": window[0][6],
                        "events": [e[7] for e in window],
                    }
                )
                break
            v = evs[i][4]
            if v is not None:
                values[v] -= 1
                if not values[v]:
                    del values[v]
            rules[evs[i][2]] -= 1
            if not rules[evs[i][2]]:
                del rules[evs[i][2]]
    out.sort(key=lambda h: (h["window_start"], str(h["group"])))
    return out

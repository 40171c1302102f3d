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

This module loads a rules folder; :mod:`auditor.logs.sigma_compile` turns a
rule into a tree, :mod:`auditor.logs.sigma_match` evaluates it against an event,
:mod:`auditor.logs.sigma_correlate` judges correlations. Their public names are
re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.logs.sigma_compile import CLOUDTRAIL_FIELDS, SigmaUnsupported, compile_rule, required_names
from auditor.logs.sigma_correlate import (
    CORRELATION_TYPES,
    CorrelationEvent,
    CorrelationSpec,
    correlate,
    group_value,
)
from auditor.logs.sigma_match import EMBEDDED_JSON_MAX, Node, evaluate, json_text
from auditor.model.errors import AuditorError

# The loader lives here; the compiler, the matcher and the correlations in their own
# modules, re-exported so ``auditor.logs.sigma.X`` stays the one name readers use.
__all__ = [
    "CLOUDTRAIL_FIELDS",
    "CORRELATION_GROUPS",
    "CORRELATION_TYPES",
    "EMBEDDED_JSON_MAX",
    "MAX_CORRELATION_EVENTS",
    "PIPELINE_TRANSFORMATIONS",
    "CorrelationEvent",
    "CorrelationSpec",
    "Node",
    "Ruleset",
    "SigmaRuleSpec",
    "SigmaUnsupported",
    "UnsupportedRule",
    "compile_rule",
    "correlate",
    "evaluate",
    "group_value",
    "json_text",
    "load_rules",
    "load_ruleset",
    "required_names",
    "summarise_rules",
]


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


@dataclass
class Ruleset:
    """Everything a rules folder holds: evaluable rules, correlations, and what is not supported."""

    specs: list[SigmaRuleSpec] = field(default_factory=list)
    unsupported: list[UnsupportedRule] = field(default_factory=list)
    correlations: list[CorrelationSpec] = field(default_factory=list)
    #: Processing pipeline files applied to the rules (relative paths).
    pipelines: list[str] = field(default_factory=list)


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
                node = compile_rule(rule)
            except SigmaUnsupported as exc:
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
        except SigmaUnsupported as exc:
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
        raise SigmaUnsupported(f"correlation type {kind} is not supported (only {', '.join(CORRELATION_TYPES)})")
    if not rid:
        raise SigmaUnsupported("correlation rule without an id")
    cond = rule.condition
    if type(cond).__name__ != "SigmaCorrelationCondition":
        raise SigmaUnsupported("extended (boolean) correlation conditions are not supported")
    refs: list[str] = []
    for ref in rule.rules or ():
        target = by_name.get(ref.reference, ref.reference)
        if target not in base:
            raise SigmaUnsupported(
                f"referenced rule {ref.reference!r} is not an evaluated single-event rule of this folder "
                "(missing, unsupported, or a correlation: chains are not supported)"
            )
        refs.append(target)
    if not refs:
        raise SigmaUnsupported("correlation rule without rules")
    group_by = tuple(str(g) for g in (rule.group_by or ()))
    aliases: dict[str, dict[str, str]] = {}
    for alias in rule.aliases:
        aliases[alias.alias] = {by_name.get(r.reference, r.reference): f for r, f in alias.mapping.items()}

    def path_for(name: str, target: str) -> tuple[str, ...]:
        real = aliases.get(name, {}).get(target, name)
        path = tuple(real.split("."))
        if path[0] not in CLOUDTRAIL_FIELDS:
            raise SigmaUnsupported(f"field {real!r} is not a CloudTrail record field")
        return path

    value_field = None
    if kind == "value_count":
        fr = cond.fieldref
        if not isinstance(fr, str):
            raise SigmaUnsupported("value_count over several fields is not supported")
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


def summarise_rules(specs: Sequence[SigmaRuleSpec]) -> list[dict[str, str]]:
    """The evaluated rules, for the evidence document."""
    return [{"id": s.id, "title": s.title, "level": s.level, "path": s.path} for s in specs]


#: Base-rule matches one correlation keeps over the window; past it the correlation is
#: reported incomplete (its check is ERROR), never judged on part of the events.
MAX_CORRELATION_EVENTS = 100_000
#: Firing groups described per (correlation, account, region) in the evidence.
CORRELATION_GROUPS = 50

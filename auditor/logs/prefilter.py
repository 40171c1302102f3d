"""Which records of a file need the full parse: a necessary condition of every rule (:class:`Plan`).

The fast path (:mod:`auditor.logs.fastpath`) decodes only a few fields of
every record; a record that passes none of the plan's cheap tests can match
no rule, so those fields are all the aggregations read from it. When a rule
offers no such test the plan says ``all_full`` and every file is read by the
reference path.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from auditor.logs import sigma as sigma_mod
from auditor.logs.aggregate import Matcher
from auditor.semantics import filterpattern

_NAME = ("eventName",)
_SOURCE = ("eventSource",)
_TYPE = ("userIdentity", "type")
_PREFILTER_PATHS = (_NAME, _SOURCE, _TYPE)


@dataclass(frozen=True)
class Plan:
    """Which records need the full parse: a necessary condition of every rule, or ``all_full``.

    A record whose eventName, eventSource and userIdentity.type all miss these
    sets, and which carries no errorCode (access-denied and error counts read
    the whole event) and is no ConsoleLogin, can match no rule: the slim
    fields are all the aggregations read from it.
    """

    all_full: bool
    names: frozenset[str]
    names_lower: frozenset[str]
    sources_lower: frozenset[str]
    types: frozenset[str]
    types_lower: frozenset[str]
    #: Sigma rules without such a set, relaxed to their conditions on slim fields
    #: (see :func:`relax`), evaluated on :func:`slim_view`.
    residual: tuple[sigma_mod.Node, ...] = ()
    #: eventNames whose rules read nothing but eventName and eventSource (both always
    #: present strings on a slim record): judged on the slim record, (rule id, pattern).
    slim_rules: dict[str, tuple[tuple[str, filterpattern.Pattern | None], ...]] = field(default_factory=dict)
    #: Whether an error record (a string errorCode) needs no full parse: the access-denied
    #: pattern reads only fields of the record's sample (:data:`SAMPLE_TOP`), and none by
    #: its absence, so the error is judged on them (a record that needs the full parse for
    #: another reason still gets it).
    slim_errors: bool = False


def necessary(node: sigma_mod.Node) -> frozenset[tuple[tuple[str, ...], str]] | None:
    """(field, lower-cased value) pairs of which a matching event must have one; None: no such set.

    Only equality on the pre-filter fields counts; ``or`` unites its children
    (all must be constrained), ``and`` takes its narrowest constrained child.
    """
    op = node[0]
    if op == "eq" and node[1] in _PREFILTER_PATHS:
        return frozenset({(node[1], str(node[2]).lower())})
    if op == "or":
        out: set[tuple[tuple[str, ...], str]] = set()
        for child in node[1]:
            got = necessary(child)
            if got is None:
                return None
            out |= got
        return frozenset(out)
    if op == "and":
        best: frozenset[tuple[tuple[str, ...], str]] | None = None
        for child in node[1]:
            got = necessary(child)
            if got is not None and (best is None or _breadth(got) < _breadth(best)):
                best = got
        return best
    return None


def _breadth(cond: frozenset[tuple[tuple[str, ...], str]]) -> tuple[int, int]:
    """How many events a condition lets through, roughly: eventNames are narrow, sources and types broad."""
    return (sum(1 for path, _ in cond if path != _NAME), len(cond))


#: Top-level fields a wide record holds whole (any path under them reads the same value).
SLIM_TOP = frozenset(
    {
        "eventTime",
        "eventName",
        "eventSource",
        "awsRegion",
        "recipientAccountId",
        "readOnly",
        "eventType",
        "errorCode",
        "sourceIPAddress",
        "userAgent",
        "eventID",
    }
)
SLIM_IDENTITY = frozenset({"type", "arn", "principalId", "accountId"})
#: Leaf operators for which an absent field and a null one give the same answer
#: (the slim record cannot tell them apart).
_VALUE_OPS = frozenset({"eq", "prefix", "suffix", "contains", "re", "glob", "num", "bool"})


def _on_slim(path: tuple[str, ...]) -> bool:
    if not path:
        return False
    if path[0] in SLIM_TOP:
        return True
    return path[0] == "userIdentity" and len(path) >= 2 and path[1] in SLIM_IDENTITY


def _exact(node: sigma_mod.Node) -> bool:
    op = node[0]
    if op in ("and", "or"):
        return all(_exact(c) for c in node[1])
    if op == "not":
        return _exact(node[1])
    return op in _VALUE_OPS and _on_slim(node[1])


def relax(node: sigma_mod.Node) -> sigma_mod.Node | None:
    """A condition on slim fields implied by the rule (a necessary condition); None: none.

    Leaves on fields the slim record lacks (or whose absence matters) become
    "unknown" (dropped from an ``and``, making an ``or`` unknown); a ``not``
    is kept only when its whole operand is exact.
    """
    op = node[0]
    if op == "and":
        kept = [r for r in (relax(c) for c in node[1]) if r is not None]
        if not kept:
            return None
        return kept[0] if len(kept) == 1 else ("and", tuple(kept))
    if op == "or":
        alts = [relax(c) for c in node[1]]
        if any(a is None for a in alts):
            return None
        return ("or", tuple(a for a in alts if a is not None))
    if op == "not":
        return node if _exact(node[1]) else None
    return node if _exact(node) else None


def build_plan(matcher: Matcher, sigma_rules: Iterable[sigma_mod.SigmaRuleSpec]) -> Plan:
    """The full-parse pre-filter for the compiled rules (conservative: when unsure, parse all)."""
    all_full = False
    names = {"ConsoleLogin"}  # login failures read several fields of the whole event
    slim_rules: dict[str, tuple[tuple[str, filterpattern.Pattern | None], ...]] = {}
    for name, cands in matcher.by_name.items():
        if name not in names and all(
            c.predicate is None
            and c.rule.resource_field is None
            and (c.pattern is None or _pattern_paths(c.pattern.root) <= _ALWAYS_STRINGS)
            for c in cands
        ):
            slim_rules[name] = tuple((c.rule.id, c.pattern) for c in cands)
        else:
            names.add(name)
    types: set[str] = set()
    for fpath, values, _c in matcher.by_field:
        if fpath == _TYPE:
            types |= values
        else:
            all_full = True
    lower: dict[tuple[str, ...], set[str]] = {p: set() for p in _PREFILTER_PATHS}
    residual: list[sigma_mod.Node] = []
    for spec in sigma_rules:
        cond = necessary(spec.node)
        if cond is None:
            relaxed = relax(spec.node)
            if relaxed is None:
                all_full = True
            else:
                residual.append(relaxed)
            continue
        for fpath, value in cond:
            lower[fpath].add(value)
    denied = _comparisons(matcher.denied.root)
    slim_errors = all(c.path in SAMPLE_TOP and c.op not in _ABSENCE_OPS for c in denied)
    return Plan(
        all_full,
        frozenset(names),
        frozenset(lower[_NAME]),
        frozenset(lower[_SOURCE]),
        frozenset(types),
        frozenset(lower[_TYPE]),
        tuple(residual),
        slim_rules,
        slim_errors,
    )


#: Fields every slim record holds as a string (validated by the decoder).
_ALWAYS_STRINGS = frozenset({("eventName",), ("eventSource",)})


#: Top-level fields of a record's sample (:class:`auditor.logs.fastpath.SampleRecord`, held
#: to this by a test), as pattern paths: the slim fields but the three no sample shows.
SAMPLE_TOP = frozenset((f,) for f in SLIM_TOP - {"recipientAccountId", "readOnly", "eventType"})
#: Pattern operators that tell an absent field from a null one (a decoded sample cannot).
_ABSENCE_OPS = frozenset({"EXISTS", "NOT EXISTS", "IS NULL"})


def _pattern_paths(expr: filterpattern.Expr) -> set[tuple[filterpattern.Segment, ...]]:
    return {c.path for c in _comparisons(expr)}


def _comparisons(expr: filterpattern.Expr) -> list[filterpattern.Comparison]:
    """Every comparison in a filter pattern's expression."""
    if isinstance(expr, filterpattern.Comparison):
        return [expr]
    if isinstance(expr, filterpattern.Not):
        return _comparisons(expr.item)
    return [c for item in expr.items for c in _comparisons(item)]

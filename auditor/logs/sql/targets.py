"""What a SQL run evaluates: the rules as targets, and the correlations' base rules as candidates.

A :class:`Target` is one rule (built-in or Sigma) with its SQL bounds and the
stream's judge for its residual rows. A :class:`Candidates` is a base rule of
one or more Sigma correlations: every row its upper bound admits comes back,
the stream's evaluator keeps the matches, and the stream's
:func:`~auditor.logs.sigma.correlate` judges the window. Both become samplers
of the same samples pass (:func:`plan`), so a correlation costs no scan of its
own on Athena, and both engines (DuckDB, Athena) run the same statements.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from auditor.logs import sigma as sigma_mod
from auditor.logs.parse import get_path
from auditor.logs.rules import PREDICATES, RULES, Rule
from auditor.logs.sql import passes, queries
from auditor.logs.sql.compiler import CompiledRule, Unsupported, access, compile_builtin, compile_sigma
from auditor.semantics.filterpattern import compile_pattern, matches

#: The check Sigma rules and correlations feed.
SIGMA_CHECK = "logs-sigma-matches"


def builtin_judge(rule: Rule) -> Callable[[dict[str, Any]], bool]:
    """The stream's decision for one built-in rule (pre-filter, pattern, predicate)."""
    pattern = compile_pattern(rule.pattern) if rule.pattern else None
    predicate = PREDICATES[rule.predicate] if rule.predicate else None

    def judge(ev: dict[str, Any]) -> bool:
        if rule.names is not None and ev.get("eventName") not in rule.names:
            return False
        if rule.field_filter is not None and get_path(ev, rule.field_filter[0]) not in rule.field_filter[1]:
            return False
        return (pattern is None or matches(pattern, ev)) and (predicate is None or predicate(ev))

    return judge


@dataclass(frozen=True)
class Target:
    """One rule a run evaluates: what it serves, its SQL bounds, the stream's judge for the residual."""

    label: str
    kind: str  # "builtin" or "sigma"
    rule_id: str
    compiled: CompiledRule
    judge: Callable[[dict[str, Any]], bool]
    resource_field: tuple[str, ...] | None = None
    #: The checks the rule feeds.
    checks: tuple[str, ...] = ()


@functools.lru_cache(maxsize=64)
def _builtin_target(rule: Rule) -> Target:
    return Target(
        f"rule {rule.id} ({rule.check_id})",
        "builtin",
        rule.id,
        compile_builtin(rule),
        builtin_judge(rule),
        rule.resource_field,
        (rule.check_id,),
    )


def targets(
    sigma_rules: Sequence[sigma_mod.SigmaRuleSpec] = (),
    unsupported: Sequence[sigma_mod.UnsupportedRule] = (),
) -> tuple[list[Target], list[sigma_mod.SigmaRuleSpec], list[sigma_mod.UnsupportedRule]]:
    """Every rule a run evaluates (built-in, then the Sigma rules SQL can hold), the Sigma rules kept and dropped."""
    out = [_builtin_target(r) for r in RULES]
    kept: list[sigma_mod.SigmaRuleSpec] = []
    dropped = list(unsupported)
    for spec in sigma_rules:
        try:
            compiled = compile_sigma(spec)
        except Unsupported as exc:
            dropped.append(sigma_mod.UnsupportedRule(spec.id, spec.title, spec.path, f"SQL engine: {exc.reason}"))
            continue
        kept.append(spec)
        out.append(
            Target(
                f"sigma {spec.id} ({SIGMA_CHECK})",
                "sigma",
                spec.id,
                compiled,
                functools.partial(sigma_mod.evaluate, spec.node),
                None,
                (SIGMA_CHECK,),
            )
        )
    return out, kept, dropped


@dataclass(frozen=True)
class Candidates:
    """A base rule of the correlations a run judges: every row its upper bound admits is fetched."""

    spec: sigma_mod.SigmaRuleSpec
    compiled: CompiledRule
    #: Ids of the correlations it feeds, in their order.
    correlations: tuple[str, ...]

    @property
    def label(self) -> str:
        """What its sampler serves (in ``failed_queries`` and ``--explain``)."""
        return f"sigma correlation {', '.join(self.correlations)}: base rule {self.spec.id} candidates ({SIGMA_CHECK})"

    def sampler(self) -> passes.Sampler:
        """Its sampler: no row decided by SQL, every row of the upper bound for the stream's evaluator."""
        return passes.candidates_sampler(self.label, self.compiled, (SIGMA_CHECK,))


def _check_fields(corr: sigma_mod.CorrelationSpec, base: dict[str, sigma_mod.SigmaRuleSpec]) -> None:
    """Raise Unsupported for a base rule not compiled to SQL or a correlation field the table cannot hold."""
    for rid in dict.fromkeys(corr.rules):
        spec = base.get(rid)
        if spec is None:
            raise Unsupported(f"base rule {rid} is not compiled to SQL")
        for cid, gpaths, vpath in spec.feeds:
            if cid != corr.id:
                continue
            for fp in (*gpaths, *((vpath,) if vpath else ())):
                access(fp, f"correlation field {'.'.join(fp)}")


def correlation_targets(
    correlations: Sequence[sigma_mod.CorrelationSpec],
    rules: Sequence[Target],
    kept: Sequence[sigma_mod.SigmaRuleSpec],
) -> tuple[list[sigma_mod.CorrelationSpec], list[Candidates], list[sigma_mod.UnsupportedRule]]:
    """The correlations SQL can serve, their base rules' candidates (one per base rule), the ones refused."""
    base = {s.id: s for s in kept}
    compiled = {t.rule_id: t.compiled for t in rules if t.kind == "sigma"}
    runnable: list[sigma_mod.CorrelationSpec] = []
    dropped: list[sigma_mod.UnsupportedRule] = []
    feeds: dict[str, list[str]] = {}
    for corr in correlations:
        try:
            _check_fields(corr, base)
        except Unsupported as exc:
            dropped.append(sigma_mod.UnsupportedRule(corr.id, corr.title, corr.path, f"SQL engine: {exc.reason}"))
            continue
        runnable.append(corr)
        for rid in dict.fromkeys(corr.rules):
            feeds.setdefault(rid, []).append(corr.id)
    cands = [Candidates(base[rid], compiled[rid], tuple(cids)) for rid, cids in feeds.items()]
    return runnable, cands, dropped


def plan(
    table: str, scope: queries.Scope, rules: Sequence[Target], candidates: Sequence[Candidates] = ()
) -> list[passes.Pass]:
    """The statements of a run over these rules (:func:`auditor.logs.sql.passes.plan`), candidates last."""
    return passes.plan(
        table,
        scope,
        [(t.label, t.compiled) for t in rules],
        feeds=[t.checks for t in rules],
        extra=[c.sampler() for c in candidates],
    )

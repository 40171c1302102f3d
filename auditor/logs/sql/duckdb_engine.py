"""The SQL evidence engine run embedded: DuckDB over a local folder of CloudTrail files.

The files are read as the streaming reader reads them, into a table laid out
with the Athena CloudTrail column types (:mod:`~auditor.logs.sql.loader`).

The rules and aggregations run as the passes :mod:`auditor.logs.sql.passes`
builds in the Trino dialect (a counts pass and a samples pass), transpiled to
DuckDB: what runs here is what Athena would run (:func:`run_plan`, shared with
:mod:`~auditor.logs.sql.remote`). Rows the compiler could not decide in SQL
(the residual) are rebuilt into events and judged by the stream's own
evaluators. :func:`run_rule` runs one rule's own statements (``queries``), the
form investigations and the compiler's tests use.

Loading lives in :mod:`~auditor.logs.sql.loader`, the rules and correlations a
run evaluates in :mod:`~auditor.logs.sql.targets`, running the statements and
judging their rows in :mod:`~auditor.logs.sql.evaluation`; this module puts
them together for a local folder. The evidence document has the shape :func:`auditor.logs.document.to_document`
gives.
A part not computed would be listed under ``not_computed``; a rule whose
residual passed the cap is listed under ``incomplete_rules`` and as an
unreadable problem, so the checks ERROR instead of judging a partial count.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlglot import exp

from auditor.logs import sigma as sigma_mod
from auditor.logs.aggregate import Params
from auditor.logs.document import to_document
from auditor.logs.parse import DEFAULT_MAX_BYTES, FileProblem
from auditor.logs.sql import queries
from auditor.logs.sql.evaluation import (
    Connection,
    RowSource,
    RuleRun,
    feed_correlations,
    fill_counts,
    run_plan,
    run_rule,
    statements,
    store_run,
)
from auditor.logs.sql.evaluation import fetch as _fetch
from auditor.logs.sql.loader import (
    TABLE,
    Loaded,
    _duck_columns,
    _file_bytes,
    _project,
    event_of,
    load,
    row_of,
)
from auditor.logs.sql.targets import SIGMA_CHECK, Target, builtin_judge, correlation_targets, plan, targets

__all__ = [
    "NOT_COMPUTED",
    "TABLE",
    "Connection",
    "FileProblem",
    "Loaded",
    "Params",
    "RowSource",
    "RuleRun",
    "Target",
    "_duck_columns",
    "_fetch",
    "_file_bytes",
    "_project",
    "builtin_judge",
    "evaluate",
    "event_of",
    "fill_counts",
    "load",
    "plan",
    "read_local",
    "row_of",
    "run_plan",
    "run_rule",
    "statements",
    "store_run",
    "targets",
]

#: Parts of the evidence document this engine does not compute yet (checks relying on them ERROR).
NOT_COMPUTED: tuple[str, ...] = ()


def evaluate(
    loaded: Loaded,
    params: Params,
    sources: Sequence[str],
    sigma_rules: Sequence[sigma_mod.SigmaRuleSpec] = (),
    unsupported: Sequence[sigma_mod.UnsupportedRule] = (),
    render: Callable[[exp.Expr], str] = queries.duckdb,
    correlations: Sequence[sigma_mod.CorrelationSpec] = (),
) -> dict[str, Any]:
    """The evidence document from the loaded table.

    ``render`` turns a statement into DuckDB text: the AST rendered directly, or (tests)
    :func:`~auditor.logs.sql.queries.via_trino`, the Trino text Athena would run, transpiled.
    """
    part = loaded.part
    scope = queries.Scope(params.since, params.until)
    rules, kept, dropped = targets(sigma_rules, unsupported)
    runnable, cands, refused = correlation_targets(correlations, rules, kept)
    dropped += refused
    got = run_plan(loaded.con, part, scope, rules, render, candidates=cands)
    incomplete: list[tuple[Target, str]] = []
    for i, t in enumerate(rules):
        run = got.rules[i]
        if run.incomplete:
            incomplete.append((t, run.incomplete))
        store_run(part, t, run)
    # a correlation past the candidate cap is not judged on part of the window: incomplete, its check ERRORs
    judged, corr_incomplete = feed_correlations(part, runnable, cands, got.candidates)
    doc = to_document(part, params, sources, kept, dropped, judged)
    doc["engine"] = "duckdb"
    doc["not_computed"] = list(NOT_COMPUTED)
    unfinished = [(t.rule_id, why, list(t.checks)) for t, why in incomplete]
    unfinished += [(cid, why, [SIGMA_CHECK]) for cid, why in corr_incomplete]
    doc["incomplete_rules"] = [{"rule_id": rid, "reason": why} for rid, why, _ in unfinished]
    for rid, why, checks in unfinished:
        # the rule's checks ERROR (its count is partial); the others judge what they were fed
        doc["file_problems"].append(
            {
                "path": f"rule {rid}",
                "reason": why,
                "kind": "unreadable",
                "account_id": None,
                "region": None,
                "checks": checks,
            }
        )
    return doc


def read_local(
    path: Path,
    since: str,
    until: str,
    rules_dir: Path | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> dict[str, Any]:
    """The evidence document for a local folder, computed with DuckDB (window as ISO text)."""
    params = Params(since=since, until=until, max_bytes=max_bytes)
    specs: list[sigma_mod.SigmaRuleSpec] = []
    unsupported: list[sigma_mod.UnsupportedRule] = []
    correlations: list[sigma_mod.CorrelationSpec] = []
    if rules_dir is not None:
        rs = sigma_mod.load_ruleset(rules_dir)
        specs, unsupported, correlations = rs.specs, rs.unsupported, rs.correlations
    loaded = load(path, params)
    try:
        return evaluate(loaded, params, [str(path)], specs, unsupported, correlations=correlations)
    finally:
        loaded.con.close()

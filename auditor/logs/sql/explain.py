"""What the Athena engine would run, as text a user can review before any query (``--explain``).

A pure function: it renders the statements of :mod:`auditor.logs.sql.queries`
in the Trino dialect, one per query, each ``;``-terminated and restricted to
the window's ``day`` partitions and, when given, the accounts and regions.
The statements are the folded passes of :mod:`~auditor.logs.sql.passes` (a
counts pass and one samples pass for every rule, more only when the rules' SQL
would pass Athena's statement length); comments (``--``) name what each one
serves, sampler by sampler. A Sigma rule SQL cannot hold is listed with the
reason instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from auditor.logs import sigma as sigma_mod
from auditor.logs.rules import RULES, Rule
from auditor.logs.sql import passes, queries
from auditor.logs.sql.compiler import CompiledRule, Unsupported, compile_builtin, compile_sigma
from auditor.logs.sql.remote import athena_statement


def _comment(text: str) -> str:
    # rule titles and paths come from rule files: keep each on one comment line
    return "-- " + " ".join(text.split())


def explain(
    table: str,
    scope: queries.Scope,
    sigma_rules: Sequence[sigma_mod.SigmaRuleSpec] = (),
    rules: Sequence[Rule] = RULES,
    pretty: bool = True,
) -> str:
    """Every statement the Athena engine would run for these rules, in Trino SQL."""
    queries.table_name(table)
    out: list[str] = [
        _comment(f"trail-auditor: Athena statements over {table}, events from {scope.since} until {scope.until}"),
        _comment(
            "accounts: "
            + (
                ", ".join(scope.accounts)
                or "all (when run, the engine names those it lists under the window's prefixes)"
            )
        ),
        _comment("regions: " + (", ".join(scope.regions) or "all (likewise)")),
        "",
    ]
    compiled: list[tuple[str, CompiledRule]] = [(f"rule {r.id} ({r.check_id})", compile_builtin(r)) for r in rules]
    for spec in sigma_rules:
        try:
            compiled.append((f"sigma {spec.id} ({spec.path})", compile_sigma(spec)))
        except Unsupported as exc:
            out.extend([_comment(f"sigma {spec.id} ({spec.path}): not run: {exc.reason}"), ""])
    planned = passes.plan(table, scope, compiled)
    out.append(_comment(f"{len(planned)} statements, each one scan of the window's objects"))
    out.append("")
    for p in planned:
        if not p.samplers:
            out.append(_comment(f"{p.name}: one scan, GROUPING SETS: {p.serves[0]}"))
        else:
            out.append(
                _comment(
                    f"{p.name}: one scan; _h (row id) = 2 x sampler, + 1 for the residual "
                    "rows judged by the stream's evaluator"
                )
            )
            for i, sampler in enumerate(p.samplers):
                out.append(_comment(f"  sampler {i}: {sampler.label}"))
        out.append(athena_statement(p.stmt).sql(dialect="trino", pretty=pretty) + ";")
        out.append("")
    return "\n".join(out)

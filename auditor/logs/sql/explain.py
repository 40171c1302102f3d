"""What the Athena engine would run, as text a user can review before any query (``--explain``).

A pure function: it renders, in the Trino dialect, exactly the statements
:func:`auditor.logs.sql.remote.evaluate` runs for the same rules (the plan of
:func:`~auditor.logs.sql.remote.planned`), one per query, each ``;``-terminated
and restricted to the window's ``day`` partitions and, when given, the accounts
and regions. The statements are the folded passes of
:mod:`~auditor.logs.sql.passes`: a counts pass, and one samples pass for every
rule, the aggregations' evidence samples and the Sigma correlations' candidate
rows (more only when the SQL would pass Athena's statement length). Comments
(``--``) name what each one serves, sampler by sampler. A Sigma rule or
correlation that is not run is listed with the reason instead.
"""

from __future__ import annotations

from auditor.logs import sigma as sigma_mod
from auditor.logs.sql import queries
from auditor.logs.sql.remote import athena_statement, planned


def _comment(text: str) -> str:
    # rule titles and paths come from rule files: keep each on one comment line
    return "-- " + " ".join(text.split())


def explain(
    table: str,
    scope: queries.Scope,
    ruleset: sigma_mod.Ruleset | None = None,
    pretty: bool = True,
) -> str:
    """Every statement the Athena engine would run for these Sigma rules and correlations, in Trino SQL."""
    queries.table_name(table)
    rs = ruleset or sigma_mod.Ruleset()
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
    passes, refused = planned(scope, table, rs.specs, rs.correlations)
    for u in (*rs.unsupported, *refused):
        out.extend([_comment(f"sigma {u.id} ({u.path}): not run: {u.reason}"), ""])
    out.append(_comment(f"{len(passes)} statements, each one scan of the window's objects"))
    out.append("")
    for p in passes:
        if not p.samplers:
            out.append(_comment(f"{p.name}: one scan, GROUPING SETS: {p.serves[0][0]}"))
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

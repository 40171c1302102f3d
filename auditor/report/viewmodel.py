"""The view model: what the HTML and PDF templates see, prepared from ``Results``.

Templates never walk raw results: every value they print is a plain string
that has already been made safe to lay out (control characters replaced,
length capped with a visible marker) and every count is computed here. The
templates' only job is arrangement; autoescaping does the HTML escaping.

The work is split by concern: :mod:`~auditor.report.viewtext` (text safety),
:mod:`~auditor.report.viewtypes` (the records), :mod:`~auditor.report.evidence`
(structured evidence in words), :mod:`~auditor.report.viewfindings` (findings,
events, integrity), :mod:`~auditor.report.viewframeworks` (control matrices and
the summary list) and :mod:`~auditor.report.viewtrend` (history and trend
geometry). This module assembles them and re-exports the public names.

Scope: when frameworks are selected, the report covers the checks those
frameworks map; results of other checks are counted under "Scope limits" and
stay complete in results.json and findings.csv.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from auditor.engine.checkapi import Status
from auditor.engine.results import Finding, Results
from auditor.report.interface import ReportOptions
from auditor.report.viewfindings import (
    capped,
    check_groups,
    event_blocks,
    finding_row,
    integrity_rows,
    remedy_of,
    severity_key,
    sigma_view,
)
from auditor.report.viewframeworks import MatrixLinks, framework_views
from auditor.report.viewtext import (
    BAR_COLORS,
    MAX_DRIFT_ROWS,
    MAX_EVIDENCE_CELL,
    MAX_LIST_ROWS,
    SEVERITY_ORDER,
    STATUS_LABELS,
    STATUS_ORDER,
    anchor,
    as_text,
    clip,
    reason_text,
    summarise_value,
)
from auditor.report.viewtrend import history_view
from auditor.report.viewtypes import (
    Bar,
    CatalogueRow,
    Chart,
    Count,
    OutOfScopeCheck,
    ReportView,
    ScanView,
    SeverityRow,
)

__all__ = [
    "MAX_DRIFT_ROWS",
    "MAX_EVIDENCE_CELL",
    "MAX_LIST_ROWS",
    "ReportView",
    "anchor",
    "as_text",
    "build_view",
    "clip",
    "summarise_value",
]


def _scope(results: Results) -> tuple[list[Finding], list[Finding]]:
    """(in scope, out of scope): in scope are results of checks the selected frameworks map."""
    if not results.frameworks:
        return list(results.findings), []
    mapped = {cid for fw in results.frameworks for c in fw.controls for cid in c.checks}
    inside = [f for f in results.findings if f.check_id in mapped]
    outside = [f for f in results.findings if f.check_id not in mapped]
    return inside, outside


def _out_of_scope(
    outside: Sequence[Finding], catalogue: Mapping[str, Mapping[str, Any]]
) -> tuple[OutOfScopeCheck, ...]:
    by_check: dict[str, Counter[str]] = {}
    titles: dict[str, str] = {}
    for f in outside:
        by_check.setdefault(f.check_id, Counter())[STATUS_LABELS[f.status.value]] += 1
        titles.setdefault(f.check_id, str(catalogue.get(f.check_id, {}).get("title") or f.title))
    return tuple(
        OutOfScopeCheck(
            check_id=clip(cid, 120),
            title=clip(titles[cid], 300),
            counts=", ".join(f"{label.lower()}: {n}" for label, n in sorted(counts.items())),
        )
        for cid, counts in sorted(by_check.items())
    )


def build_view(results: Results, options: ReportOptions | None = None) -> ReportView:
    """Prepare the view model from a results document under the report's options (pure; no I/O)."""
    options = options or ReportOptions()
    limit = options.max_field_chars
    max_rows_per_check = options.max_rows_per_check
    short = min(limit, 300)
    catalogue_meta = {str(c.get("id", "")): c for c in results.checks}
    findings, outside = _scope(results)
    in_scope_checks = {f.check_id for f in findings} | (
        {cid for fw in results.frameworks for c in fw.controls for cid in c.checks}
        if results.frameworks
        else set(catalogue_meta)
    )

    check_anchor: dict[str, str] = {}
    for f in findings:
        check_anchor.setdefault(f.check_id, anchor("check", f.check_id))
    for cid in catalogue_meta:
        if cid in in_scope_checks:
            check_anchor.setdefault(cid, anchor("check", cid))

    groups, detailed = check_groups(findings, catalogue_meta, check_anchor, limit, max_rows_per_check)
    finding_href = {f.id: f"#{check_anchor[f.check_id]}" for f in findings}
    finding_href.update({row.id: f"#{row.anchor}" for row in detailed})

    by_status = Counter(f.status.value for f in findings)
    status_counts = tuple(
        Count(s.value.lower(), STATUS_LABELS[s.value], by_status.get(s.value, 0)) for s in STATUS_ORDER
    )
    failed = Counter(f.severity.value for f in findings if f.status is Status.FAIL)
    severity_counts = tuple(Count(s.value, s.value.capitalize(), failed.get(s.value, 0)) for s in SEVERITY_ORDER)

    matrix = Counter((f.severity.value, f.status.value) for f in findings)
    charts = (
        _chart("Findings by status", status_counts),
        _chart("Failed findings by severity", severity_counts),
    )
    rows_by_id = {row.id: row for row in detailed}
    not_assessed = capped([f for f in findings if f.status is Status.ERROR], rows_by_id, check_anchor, limit)
    waived = capped([f for f in findings if f.status is Status.WAIVED], rows_by_id, check_anchor, limit)
    blocks, blocks_omitted = event_blocks(findings, finding_href, short)

    # Remediation once per check, numbered in the appendix, for checks with results needing action.
    needs_fix = [g for g in groups if g.rows]
    refs = {g.check_id: f"R-{i}" for i, g in enumerate(sorted(needs_fix, key=lambda g: g.check_id), start=1)}
    groups = tuple(
        replace(g, remedy_ref=refs.get(g.check_id, ""), remedy_anchor=anchor("cat", g.check_id)) for g in groups
    )
    remedies = {f.check_id: f.remediation for f in findings}
    same_as = _same_steps(refs, remedies)

    # Every check of the scan, in scope or not: this is what the scan needed, not what the report shows.
    permissions = sorted({clip(str(p), short) for c in results.checks for p in _strings(c.get("permissions"))})
    catalogue = tuple(
        CatalogueRow(
            id=clip(cid, short),
            anchor=anchor("cat", cid),
            title=clip(str(c.get("title", "")), short),
            severity=severity_key(c.get("severity")),
            section=clip(str(c.get("section", "")), short),
            rationale=clip(str(c.get("rationale", "")), limit),
            references=tuple(clip(r, short) for r in _strings(c.get("references"))),
            permissions=tuple(clip(p, short) for p in _strings(c.get("permissions"))),
            remedy_ref=refs.get(cid, ""),
            remediation=replace(remedy_of(remedies[cid], limit), same_as=same_as.get(cid, ""))
            if cid in refs and cid in remedies
            else None,
            findings_href=f"#{check_anchor[cid]}" if cid in check_anchor else "",
        )
        for cid, c in sorted(catalogue_meta.items())
        if cid in in_scope_checks
    )

    by_id = {f.id: f for f in findings}
    outside_anchor = {f.check_id: anchor("out", f.check_id) for f in outside}
    scan = results.scan
    tool = results.tool
    return ReportView(
        title="CloudTrail audit logging report",
        org_name=clip(options.org_name, short),
        label=clip(options.label, 80),
        page_size=options.page_size,
        generated_at=options.generated_at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        tool_name=clip(str(tool.get("name", "trail-auditor")), 80),
        tool_version=clip(str(tool.get("version", "")), 80),
        schema_version=clip(results.schema_version, 40),
        scan=ScanView(
            id=clip(scan.id, short),
            started_at=clip(scan.started_at, 80),
            finished_at=clip(scan.finished_at, 80),
            accounts=tuple(clip(a, 80) for a in scan.accounts),
            regions=tuple(clip(r, 80) for r in scan.regions),
            log_window=_log_window(scan.log_window, short),
            snapshot_sha256=clip(scan.snapshot_sha256 or "not recorded", 80),
            profile=clip(scan.profile, 80),
            errors=tuple(_scan_error(e, limit) for e in scan.errors),
        ),
        framework_titles=tuple(clip(f"{fw.title} {fw.version}".strip(), short) for fw in results.frameworks),
        total_findings=len(findings),
        status_counts=status_counts,
        severity_counts=severity_counts,
        severity_matrix=tuple(
            SeverityRow(sev.value, tuple(matrix.get((sev.value, st.value), 0) for st in STATUS_ORDER))
            for sev in SEVERITY_ORDER
        ),
        charts=charts,
        frameworks=framework_views(results.frameworks, MatrixLinks(by_id, finding_href, check_anchor, short, limit)),
        check_groups=groups,
        not_assessed=not_assessed,
        waived=waived,
        event_blocks=blocks,
        event_blocks_omitted=blocks_omitted,
        sigma=sigma_view(findings, short),
        catalogue=catalogue,
        permissions=tuple(permissions),
        max_rows_per_check=max_rows_per_check,
        max_field_chars=limit,
        history=history_view(results, check_anchor, limit),
        integrity=integrity_rows(findings, finding_href, limit),
        out_of_scope=_out_of_scope(outside, catalogue_meta),
        out_of_scope_results=len(outside),
        out_of_scope_rows=tuple(
            finding_row(f, outside_anchor, limit)
            for f in [f for f in outside if f.status is not Status.PASS][:MAX_LIST_ROWS]
        ),
        not_applicable_total=by_status.get(Status.NOT_APPLICABLE.value, 0),
    )


#: A CLI of at least this many lines whose first line matches an earlier entry's is "the same steps".
SAME_STEPS_MIN_LINES = 6


def _same_steps(refs: Mapping[str, str], remedies: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Check id -> the R-number of an earlier entry whose CLI follows the same steps (same opening line, length).

    The alarm checks share one three-step recipe; the PDF prints it once and
    names the entry it follows for the others (the HTML keeps every CLI).
    """
    first: dict[tuple[str, int], str] = {}
    out: dict[str, str] = {}
    for cid, ref in sorted(refs.items(), key=lambda kv: int(kv[1].split("-")[1])):
        cli = str(remedies.get(cid, {}).get("cli", ""))
        lines = cli.strip().split("\n")
        if len(lines) < SAME_STEPS_MIN_LINES:
            continue
        key = (lines[0], len(lines))
        if key in first:
            out[cid] = first[key]
        else:
            first[key] = ref
    return out


def _scan_error(error: Mapping[str, Any], limit: int) -> str:
    """A collection error as one line, web pages pasted into it reduced to their words."""
    if isinstance(error, Mapping):
        parts = [f"{k}: {v}" for k, v in error.items() if isinstance(v, str | int | float) and not isinstance(v, bool)]
        return reason_text("; ".join(parts), limit) if parts else as_text(dict(error), limit)
    return reason_text(str(error), limit)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return [str(v) for v in value]
    return []


def _log_window(window: Mapping[str, Any] | None, limit: int) -> str:
    if not window:
        return "no log evidence read"
    since = window.get("since") or window.get("start")
    until = window.get("until") or window.get("end")
    athena = window.get("athena")
    cost = ""
    if isinstance(athena, Mapping):  # the Athena engine's statistics, with the estimated cost
        scanned = athena.get("data_scanned_bytes")
        usd = athena.get("estimated_cost_usd")
        cost = (
            f" (Athena: {float(scanned) / 1e9 if isinstance(scanned, int | float) else 0:.3f} GB scanned, "
            f"about ${float(usd) if isinstance(usd, int | float) else 0:.4f})"
        )
    if since or until:
        return clip(f"{since or '?'} to {until or '?'}{cost}", limit)
    return as_text(dict(window), limit)


def _chart(title: str, counts: Sequence[Count]) -> Chart:
    top = max([c.value for c in counts] + [1])
    bar_area = 150
    bars = tuple(
        Bar(
            key=c.key,
            label=c.label,
            value=c.value,
            y=10 + i * 28,
            width=round(bar_area * c.value / top) if c.value else 0,
            color=BAR_COLORS.get(c.key, "#6b6b6b"),
        )
        for i, c in enumerate(counts)
    )
    return Chart(title=title, bars=bars, height=20 + 28 * len(bars), bar_area=bar_area)

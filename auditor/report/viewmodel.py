"""The view model: what the HTML and PDF templates see, prepared from ``Results``.

Templates never walk raw results: every value they print is a plain string
that has already been made safe to lay out (control characters replaced,
length capped with a visible marker) and every count is computed here. The
templates' only job is arrangement; autoescaping does the HTML escaping.

Everything taken from AWS or from log files is hostile text: resource names,
user agents, messages and evidence values can hold markup, control characters
or 100 KB strings. :func:`clip` is the single gate they all pass.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from auditor.engine.checkapi import Severity, Status
from auditor.engine.results import ControlVerdict, Finding, FrameworkVerdict, Results
from auditor.model.textsafe import clean_text, safe_https_url

#: Order in which statuses are shown: what needs action first.
STATUS_ORDER: tuple[Status, ...] = (
    Status.FAIL,
    Status.ERROR,
    Status.WAIVED,
    Status.PASS,
    Status.NOT_APPLICABLE,
)
STATUS_LABELS: Mapping[str, str] = {
    "FAIL": "Fail",
    "ERROR": "Not assessed (error)",
    "WAIVED": "Waived",
    "PASS": "Pass",
    "NOT_APPLICABLE": "Not applicable",
}
SEVERITY_ORDER: tuple[Severity, ...] = tuple(sorted(Severity, key=lambda s: -s.rank))

#: Log-event columns shown first when present; any other keys follow, sorted.
EVENT_KEYS: tuple[str, ...] = (
    "eventTime",
    "eventName",
    "eventSource",
    "principal",
    "sourceIPAddress",
    "userAgent",
    "awsRegion",
    "eventID",
    "file",
)
#: Fixed fills (SVG presentation attributes, so print and screen agree without CSS).
BAR_COLORS: Mapping[str, str] = {
    "fail": "#b3261e",
    "error": "#8a4b00",
    "waived": "#5b4a9e",
    "pass": "#1e6b34",
    "not_applicable": "#6b6b6b",
    "critical": "#7b0d0d",
    "high": "#b3261e",
    "medium": "#b06000",
    "low": "#3b6ea5",
    "info": "#6b6b6b",
}
MAX_EVENTS_PER_FINDING = 50
MAX_EVENT_BLOCKS = 40
MAX_LIST_ROWS = 200
MAX_COMPACT_RESOURCES = 60
MAX_CONTROL_LINKS = 6
#: Rows of the "change since the last scan" tables (new failures, resolved).
MAX_DRIFT_ROWS = 50
#: Recent scans listed under each score-trend chart.
TREND_TABLE_ROWS = 5
#: Dates printed under a trend chart's x axis at most (more would overlap).
TREND_MAX_X_LABELS = 6

_SAFE_ID = re.compile(r"[A-Za-z0-9_.:-]{1,80}")


def clip(value: str, limit: int) -> str:
    """Replace control and bidi characters and cap ``value`` at ``limit`` characters.

    :func:`auditor.model.textsafe.clean_text` does the replacing (line feeds kept:
    messages and CLI snippets span lines). The marker states the original
    length so a reader knows how much is missing and where to find it (the
    JSON/CSV keep the full value).
    """
    text = clean_text(value, multiline=True)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… (truncated, {len(value)} characters)"


#: Characters of one evidence value in a finding row; the JSON/CSV keep everything.
MAX_EVIDENCE_CELL = 600
#: Entries of a list shown in a finding row's evidence cell.
MAX_EVIDENCE_ENTRIES = 5


def _scalar_pairs(mapping: Mapping[Any, Any], limit: int) -> str:
    parts = []
    for k, v in mapping.items():
        if isinstance(v, Mapping):
            parts.append(f"{k}={{{len(v)} fields}}")
        elif isinstance(v, list | tuple):
            parts.append(f"{k}=[{len(v)} entries]")
        else:
            parts.append(f"{k}={as_text(v, limit)}")
    return "; ".join(parts)


def summarise_value(value: Any, limit: int) -> str:
    """Evidence as a short text: scalars as-is, mappings as k=v pairs, lists by their first entries.

    Nested lists (for example the events behind each offender) are counted, not
    expanded: the events appear in the report's log-evidence section and in full
    in the JSON and CSV outputs. Keeps finding rows small enough to paginate.
    """
    if isinstance(value, Mapping):
        return clip(_scalar_pairs(value, limit), limit)
    if isinstance(value, list | tuple):
        if not value:
            return "(none)"
        shown = [
            _scalar_pairs(v, limit) if isinstance(v, Mapping) else as_text(v, limit)
            for v in value[:MAX_EVIDENCE_ENTRIES]
        ]
        more = len(value) - MAX_EVIDENCE_ENTRIES
        tail = f" … and {more} more (full list in the JSON/CSV)" if more > 0 else ""
        return clip(" | ".join(shown), limit) + tail
    return as_text(value, limit)


def as_text(value: Any, limit: int) -> str:
    """Any JSON value as display text: strings as-is, the rest as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return clip(value, limit)
    if isinstance(value, bool | int | float):
        return str(value).lower() if isinstance(value, bool) else str(value)
    try:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return clip(text, limit)


def anchor(prefix: str, raw: str) -> str:
    """An HTML id derived from data: kept readable when it is tame, hashed otherwise."""
    if _SAFE_ID.fullmatch(raw):
        return f"{prefix}-{raw}"
    return f"{prefix}-{hashlib.sha256(raw.encode('utf-8', 'replace')).hexdigest()[:16]}"


@dataclass(frozen=True)
class Count:
    """A labelled number (a status or a severity), with a CSS-safe key."""

    key: str
    label: str
    value: int


@dataclass(frozen=True)
class Bar:
    """One bar of an inline SVG chart: only numbers and a fixed label go into the SVG."""

    key: str
    label: str
    value: int
    y: int
    width: int
    color: str


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart laid out in Python, so the SVG template holds numbers only."""

    title: str
    bars: tuple[Bar, ...]
    height: int
    label_width: int = 125
    bar_area: int = 150


@dataclass(frozen=True)
class SeverityRow:
    """One row of the severity x status table."""

    severity: str
    counts: tuple[int, ...]


@dataclass(frozen=True)
class ScanView:
    """The cover's scope block."""

    id: str
    started_at: str
    finished_at: str
    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    log_window: str
    snapshot_sha256: str
    profile: str
    errors: tuple[str, ...]


@dataclass(frozen=True)
class ControlLink:
    """A link from a control to a finding (or its check group) that decides it."""

    href: str
    label: str


@dataclass(frozen=True)
class ControlRow:
    """One control in a framework's matrix."""

    id: str
    anchor: str
    title: str
    status: str
    status_label: str
    automation: str
    section: str
    checks: tuple[ControlLink, ...]
    findings: tuple[ControlLink, ...]
    more_findings: int
    description: str
    notes: str
    waived: bool


@dataclass(frozen=True)
class FrameworkView:
    """A framework's section: score, counts, matrix and manual controls."""

    id: str
    anchor: str
    title: str
    version: str
    score: str
    counts: tuple[Count, ...]
    controls: tuple[ControlRow, ...]
    manual: tuple[ControlRow, ...]
    failed: int
    not_assessed: int
    passed: int
    manual_count: int


@dataclass(frozen=True)
class EvidenceItem:
    """One evidence fact of a finding, as text."""

    key: str
    value: str


@dataclass(frozen=True)
class FindingRow:
    """One finding, display-ready."""

    id: str
    anchor: str
    check_id: str
    check_anchor: str
    title: str
    status: str
    status_label: str
    severity: str
    account_id: str
    region: str
    resource_type: str
    resource: str
    message: str
    evidence: tuple[EvidenceItem, ...]
    event_count: int
    waiver: tuple[EvidenceItem, ...]


@dataclass(frozen=True)
class Remedy:
    """How to fix a check's failures."""

    summary: str
    cli: str
    terraform: str
    url: str
    #: ``url`` when :func:`auditor.model.textsafe.safe_https_url` allows it as a link, else "".
    href: str = ""


@dataclass(frozen=True)
class CheckGroup:
    """Every finding of one check: the detailed rows (capped) and the rest, compactly."""

    check_id: str
    anchor: str
    title: str
    severity: str
    section: str
    rationale: str
    counts: tuple[Count, ...]
    remediation: Remedy
    rows: tuple[FindingRow, ...]
    omitted_rows: int
    passed_resources: tuple[str, ...]
    passed_omitted: int
    worst: str


@dataclass(frozen=True)
class EventBlock:
    """Log events attached to one finding, as a table of text cells."""

    finding_anchor: str
    check_id: str
    resource: str
    status: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    omitted: int


@dataclass(frozen=True)
class CatalogueRow:
    """One check of the catalogue (appendix)."""

    id: str
    anchor: str
    title: str
    severity: str
    section: str
    rationale: str
    references: tuple[str, ...]
    permissions: tuple[str, ...]


@dataclass(frozen=True)
class Capped:
    """A list shown up to a cap, with the number left out."""

    rows: tuple[FindingRow, ...]
    total: int

    @property
    def omitted(self) -> int:
        """Rows not shown (the CSV and JSON hold them)."""
        return self.total - len(self.rows)


@dataclass(frozen=True)
class DriftRow:
    """One finding named by the drift against the previous scan, looked up in this scan's findings.

    ``known`` is False when this scan has no finding with that id (always
    possible for resolved findings, which belong to the previous scan); the
    row then carries the id only.
    """

    finding_id: str
    kind: str
    kind_label: str
    known: bool
    check_id: str
    check_href: str
    severity: str
    status: str
    status_label: str
    account_id: str
    region: str
    resource: str


@dataclass(frozen=True)
class TrendPoint:
    """A plotted score: SVG coordinates and the score as text (for the tooltip)."""

    x: float
    y: float
    label: str


@dataclass(frozen=True)
class AxisLabel:
    """A tick of a trend chart, placed in Python: its mark at ``at``, its text at (x, y).

    ``at`` is the x of an x-axis tick mark or the y of a y-axis grid line;
    ``anchor`` is the SVG text-anchor (start, middle or end).
    """

    at: float
    x: float
    y: float
    text: str
    anchor: str


@dataclass(frozen=True)
class TrendRow:
    """One recent scan's score for a framework, with the change from the scan before."""

    scan_id: str
    finished_at: str
    score: str
    change: str


@dataclass(frozen=True)
class TrendChart:
    """One framework's score over the stored scans, laid out in Python.

    The SVG template prints only these numbers and the escaped tick labels.
    ``segments`` are runs of consecutive scored scans: a scan without a score
    (framework not selected, or no automated control) breaks the line.
    """

    framework_id: str
    title: str
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    y_ticks: tuple[AxisLabel, ...]
    x_labels: tuple[AxisLabel, ...]
    segments: tuple[tuple[TrendPoint, ...], ...]
    points: tuple[TrendPoint, ...]
    gaps: int
    recent: tuple[TrendRow, ...]


@dataclass(frozen=True)
class HistoryView:
    """The "change since the last scan" and "score trend" blocks of the summary.

    ``first_scan`` is True when the store held no earlier scan. ``drift_known``
    is False when a previous scan exists but no drift was recorded, so counts
    are not shown as zeros that nobody computed.
    """

    first_scan: bool
    previous_scan_id: str
    previous_finished_at: str
    previous_key: str
    drift_known: bool
    new_count: int
    resolved_count: int
    still_failing_count: int
    regression_count: int
    changes: tuple[DriftRow, ...]
    changes_total: int
    resolved: tuple[DriftRow, ...]
    resolved_total: int
    scans: int
    trend: tuple[TrendChart, ...]
    problems: tuple[str, ...]

    @property
    def changes_omitted(self) -> int:
        """Regressions and new failures not listed (results.json holds them)."""
        return self.changes_total - len(self.changes)

    @property
    def resolved_omitted(self) -> int:
        """Resolved findings not listed."""
        return self.resolved_total - len(self.resolved)


@dataclass(frozen=True)
class ReportView:
    """Everything the HTML/PDF templates render, in reading order."""

    title: str
    org_name: str
    label: str
    page_size: str
    generated_at: str
    tool_name: str
    tool_version: str
    schema_version: str
    scan: ScanView
    framework_titles: tuple[str, ...]
    total_findings: int
    status_counts: tuple[Count, ...]
    severity_counts: tuple[Count, ...]
    severity_matrix: tuple[SeverityRow, ...]
    charts: tuple[Chart, ...]
    frameworks: tuple[FrameworkView, ...]
    check_groups: tuple[CheckGroup, ...]
    not_assessed: Capped
    waived: Capped
    event_blocks: tuple[EventBlock, ...]
    event_blocks_omitted: int
    #: Sigma coverage from the logs-sigma-matches results: None when no rule was given.
    sigma: SigmaView | None
    catalogue: tuple[CatalogueRow, ...]
    permissions: tuple[str, ...]
    max_rows_per_check: int
    max_field_chars: int
    #: Scheduled scans only (``Results.history``); ``None`` shows no history section.
    history: HistoryView | None = None


@dataclass(frozen=True)
class UnsupportedRuleRow:
    id: str
    title: str
    reason: str


@dataclass(frozen=True)
class SigmaView:
    """How many Sigma rules were judged, and the ones that could not be, with why."""

    rules_evaluated: int
    unsupported: tuple[UnsupportedRuleRow, ...]


def _sigma_view(findings: Sequence[Finding], limit: int) -> SigmaView | None:
    """Sigma coverage as the logs-sigma-matches results state it (each result carries it)."""
    evaluated = 0
    seen: dict[tuple[str, str], UnsupportedRuleRow] = {}
    any_result = False
    for f in findings:
        if f.check_id != "logs-sigma-matches":
            continue
        n = f.evidence.get("rules_evaluated")
        if isinstance(n, int) and not isinstance(n, bool):
            evaluated = max(evaluated, n)
            any_result = True
        rows = f.evidence.get("unsupported")
        for u in rows if isinstance(rows, list) else ():
            if not isinstance(u, Mapping):
                continue
            row = UnsupportedRuleRow(
                clip(str(u.get("id") or ""), limit), clip(str(u.get("title") or ""), limit),
                clip(str(u.get("reason") or ""), limit),
            )
            seen.setdefault((row.id, row.title), row)
            any_result = True
    if not any_result:
        return None
    return SigmaView(evaluated, tuple(sorted(seen.values(), key=lambda r: (r.title, r.id))))


def build_view(
    results: Results,
    *,
    org_name: str = "",
    label: str = "CONFIDENTIAL",
    page_size: str = "A4",
    generated_at: str | None = None,
    max_field_chars: int = 2000,
    max_rows_per_check: int = 25,
) -> ReportView:
    """Prepare the view model from a results document (pure; no I/O)."""
    limit = max_field_chars
    short = min(limit, 300)
    catalogue_meta = {str(c.get("id", "")): c for c in results.checks}
    findings = results.findings

    check_anchor: dict[str, str] = {}
    for f in findings:
        check_anchor.setdefault(f.check_id, anchor("check", f.check_id))
    for cid in catalogue_meta:
        check_anchor.setdefault(cid, anchor("check", cid))

    groups, detailed = _check_groups(findings, catalogue_meta, check_anchor, limit, max_rows_per_check)
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
    not_assessed = _capped([f for f in findings if f.status is Status.ERROR], rows_by_id, check_anchor, limit)
    waived = _capped([f for f in findings if f.status is Status.WAIVED], rows_by_id, check_anchor, limit)
    blocks, blocks_omitted = _event_blocks(findings, finding_href, short)

    permissions = sorted({clip(str(p), short) for c in results.checks for p in _strings(c.get("permissions"))})
    catalogue = tuple(
        CatalogueRow(
            id=clip(cid, short),
            anchor=anchor("cat", cid),
            title=clip(str(c.get("title", "")), short),
            severity=_severity_key(c.get("severity")),
            section=clip(str(c.get("section", "")), short),
            rationale=clip(str(c.get("rationale", "")), limit),
            references=tuple(clip(r, short) for r in _strings(c.get("references"))),
            permissions=tuple(clip(p, short) for p in _strings(c.get("permissions"))),
        )
        for cid, c in sorted(catalogue_meta.items())
    )

    scan = results.scan
    tool = results.tool
    return ReportView(
        title="CloudTrail audit logging report",
        org_name=clip(org_name, short),
        label=clip(label, 80),
        page_size=page_size if page_size in ("A4", "Letter") else "A4",
        generated_at=generated_at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
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
            errors=tuple(as_text(e, limit) for e in scan.errors),
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
        frameworks=tuple(
            _framework(fw, finding_href, check_anchor, findings, short, limit) for fw in results.frameworks
        ),
        check_groups=groups,
        not_assessed=not_assessed,
        waived=waived,
        event_blocks=blocks,
        event_blocks_omitted=blocks_omitted,
        sigma=_sigma_view(findings, short),
        catalogue=catalogue,
        permissions=tuple(permissions),
        max_rows_per_check=max_rows_per_check,
        max_field_chars=limit,
        history=_history(results, check_anchor, limit),
    )


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return [str(v) for v in value]
    return []


def _severity_key(value: Any) -> str:
    text = str(value or "").lower()
    return text if text in {s.value for s in Severity} else "info"


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
        cost = (f" (Athena: {float(scanned) / 1e9 if isinstance(scanned, int | float) else 0:.3f} GB scanned, "
                f"about ${float(usd) if isinstance(usd, int | float) else 0:.4f})")
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


def _finding_row(f: Finding, check_anchor: Mapping[str, str], limit: int) -> FindingRow:
    short = min(limit, 300)
    evidence: list[EvidenceItem] = []
    events = 0
    for key in sorted(f.evidence, key=str):
        value = f.evidence[key]
        if key == "events" and isinstance(value, list):
            events = len(value)
            continue
        text = "(none)" if value is None else summarise_value(value, min(limit, MAX_EVIDENCE_CELL))
        evidence.append(EvidenceItem(clip(str(key), short), text))
    waiver = tuple(EvidenceItem(clip(str(k), short), as_text(v, limit)) for k, v in sorted((f.waiver or {}).items()))
    resource = f.resource_arn or f.resource_id
    return FindingRow(
        id=f.id,
        anchor=anchor("finding", f.id),
        check_id=clip(f.check_id, short),
        check_anchor=check_anchor[f.check_id],
        title=clip(f.title, short),
        status=f.status.value,
        status_label=STATUS_LABELS[f.status.value],
        severity=f.severity.value,
        account_id=clip(f.account_id, 80),
        region=clip(f.region, 80),
        resource_type=clip(f.resource_type, short),
        resource=clip(resource, limit),
        message=clip(f.message, limit),
        evidence=tuple(evidence),
        event_count=events,
        waiver=waiver,
    )


_CONTROL_STATUS_LABELS: Mapping[str, str] = {
    "FAIL": "Fail",
    "NOT_ASSESSED": "Not assessed",
    "PASS": "Pass",
    "NOT_APPLICABLE": "Not applicable",
    "MANUAL": "Manual",
}
_DETAIL_PRIORITY = {Status.FAIL: 0, Status.ERROR: 1, Status.WAIVED: 2, Status.NOT_APPLICABLE: 3}


def _check_groups(
    findings: Sequence[Finding],
    catalogue: Mapping[str, Mapping[str, Any]],
    check_anchor: Mapping[str, str],
    limit: int,
    cap: int,
) -> tuple[tuple[CheckGroup, ...], list[FindingRow]]:
    short = min(limit, 300)
    by_check: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_check[f.check_id].append(f)
    groups: list[CheckGroup] = []
    detailed: list[FindingRow] = []
    for cid, items in by_check.items():
        meta = catalogue.get(cid, {})
        first = items[0]
        counts = Counter(f.status for f in items)
        # Detailed rows: everything that is not a plain pass, worst first, capped.
        notable = sorted(
            (f for f in items if f.status is not Status.PASS),
            key=lambda f: (_DETAIL_PRIORITY.get(f.status, 9), -f.severity.rank, f.account_id, f.resource_id),
        )
        rows = tuple(_finding_row(f, check_anchor, limit) for f in notable[:cap])
        detailed.extend(rows)
        passed = sorted({clip(f.resource_arn or f.resource_id, short) for f in items if f.status is Status.PASS})
        remedy = first.remediation
        worst = next((s.value for s in STATUS_ORDER if counts.get(s)), Status.PASS.value)
        groups.append(
            CheckGroup(
                check_id=clip(cid, short),
                anchor=check_anchor[cid],
                title=clip(str(meta.get("title") or first.title), short),
                severity=_severity_key(meta.get("severity") or first.severity.value),
                section=clip(str(meta.get("section", "")), short),
                rationale=clip(str(meta.get("rationale", "")), limit),
                counts=tuple(
                    Count(s.value.lower(), STATUS_LABELS[s.value], counts[s]) for s in STATUS_ORDER if counts.get(s)
                ),
                remediation=Remedy(
                    summary=clip(str(remedy.get("summary", "")), limit),
                    cli=clip(str(remedy.get("cli", "")), limit),
                    terraform=clip(str(remedy.get("terraform", "")), limit),
                    url=clip(str(remedy.get("url", "")), short),
                    href=safe_https_url(str(remedy.get("url", ""))) or "",
                ),
                rows=rows,
                omitted_rows=len(notable) - len(rows),
                passed_resources=tuple(passed[:MAX_COMPACT_RESOURCES]),
                passed_omitted=max(0, len(passed) - MAX_COMPACT_RESOURCES),
                worst=worst,
            )
        )
    rank = {s.value: i for i, s in enumerate(STATUS_ORDER)}
    sev_rank = {s.value: -s.rank for s in Severity}
    groups.sort(key=lambda g: (rank[g.worst], sev_rank[g.severity], g.check_id))
    return tuple(groups), detailed


def _capped(
    items: Sequence[Finding],
    rows_by_id: Mapping[str, FindingRow],
    check_anchor: Mapping[str, str],
    limit: int,
) -> Capped:
    shown = tuple(rows_by_id.get(f.id) or _finding_row(f, check_anchor, limit) for f in items[:MAX_LIST_ROWS])
    return Capped(rows=shown, total=len(items))


def _event_blocks(
    findings: Sequence[Finding], finding_href: Mapping[str, str], limit: int
) -> tuple[tuple[EventBlock, ...], int]:
    with_events = [f for f in findings if isinstance(f.evidence.get("events"), list) and f.evidence["events"]]
    with_events.sort(key=lambda f: (0 if f.status is Status.FAIL else 1, -f.severity.rank, f.check_id))
    blocks: list[EventBlock] = []
    for f in with_events[:MAX_EVENT_BLOCKS]:
        events = [e for e in f.evidence["events"] if isinstance(e, Mapping)]
        keys: set[str] = set()
        for e in events[:MAX_EVENTS_PER_FINDING]:
            keys.update(str(k) for k in e)
        columns = [k for k in EVENT_KEYS if k in keys] + sorted(keys.difference(EVENT_KEYS))
        rows = tuple(tuple(as_text(e.get(col), limit) for col in columns) for e in events[:MAX_EVENTS_PER_FINDING])
        blocks.append(
            EventBlock(
                finding_anchor=finding_href.get(f.id, "#findings"),
                check_id=clip(f.check_id, limit),
                resource=clip(f.resource_arn or f.resource_id, limit),
                status=f.status.value,
                columns=tuple(clip(c, 80) for c in columns),
                rows=rows,
                omitted=max(0, len(f.evidence["events"]) - MAX_EVENTS_PER_FINDING),
            )
        )
    return tuple(blocks), max(0, len(with_events) - MAX_EVENT_BLOCKS)


def _framework(
    fw: FrameworkVerdict,
    finding_href: Mapping[str, str],
    check_anchor: Mapping[str, str],
    findings: Sequence[Finding],
    short: int,
    limit: int,
) -> FrameworkView:
    status_of = {f.id: f.status for f in findings}
    where = {
        f.id: clip(f"{f.account_id}/{f.region} {f.resource_id}", 90) for f in findings if f.status is not Status.PASS
    }
    rows: list[ControlRow] = []
    manual: list[ControlRow] = []
    for c in fw.controls:
        row = _control_row(fw, c, finding_href, check_anchor, status_of, where, short, limit)
        if c.status == "MANUAL" or c.automation == "manual":
            manual.append(row)
        else:
            rows.append(row)
    counts = Counter(c.status for c in fw.controls)
    order = ("FAIL", "NOT_ASSESSED", "PASS", "NOT_APPLICABLE", "MANUAL")
    labels = _CONTROL_STATUS_LABELS
    count_items = [Count(k.lower(), labels[k], counts.get(k, 0)) for k in order]
    count_items += [Count("other", clip(k, 40), v) for k, v in sorted(counts.items()) if k not in labels]
    return FrameworkView(
        id=clip(fw.id, short),
        anchor=anchor("fw", fw.id),
        title=clip(fw.title, short),
        version=clip(fw.version, 80),
        score="n/a" if fw.score is None else f"{fw.score * 100:.0f}%" if fw.score <= 1 else f"{fw.score:.0f}%",
        counts=tuple(count_items),
        controls=tuple(rows),
        manual=tuple(manual),
        failed=counts.get("FAIL", 0),
        not_assessed=counts.get("NOT_ASSESSED", 0),
        passed=counts.get("PASS", 0),
        manual_count=counts.get("MANUAL", 0),
    )


def _control_row(
    fw: FrameworkVerdict,
    c: ControlVerdict,
    finding_href: Mapping[str, str],
    check_anchor: Mapping[str, str],
    status_of: Mapping[str, Status],
    where: Mapping[str, str],
    short: int,
    limit: int,
) -> ControlRow:
    deciding = sorted(
        (fid for fid in c.findings if fid in finding_href),
        key=lambda fid: _DETAIL_PRIORITY.get(status_of.get(fid, Status.PASS), 9),
    )
    links = tuple(
        ControlLink(href=finding_href[fid], label=f"{status_of[fid].value.lower()}: {where.get(fid, fid)}")
        for fid in deciding[:MAX_CONTROL_LINKS]
        if status_of.get(fid) not in (None, Status.PASS)
    )
    return ControlRow(
        id=clip(c.id, short),
        anchor=anchor("ctl", f"{fw.id}/{c.id}"),
        title=clip(c.title, short),
        status=c.status if c.status in _CONTROL_STATUS_LABELS else "other",
        status_label=_CONTROL_STATUS_LABELS.get(c.status, clip(c.status, 40)),
        automation=clip(c.automation, 40),
        section=clip(c.section, short),
        checks=tuple(
            ControlLink(href=f"#{check_anchor[cid]}" if cid in check_anchor else "#appendix", label=clip(cid, short))
            for cid in c.checks
        ),
        findings=links,
        more_findings=max(0, sum(1 for fid in deciding if status_of.get(fid) is not Status.PASS) - len(links)),
        description=clip(c.description, limit),
        notes=clip(c.notes, limit),
        waived=c.waived,
    )


_DRIFT_KIND_LABELS: Mapping[str, str] = {
    "regression": "Regression",
    "new": "New failure",
    "resolved": "Resolved",
}
#: Trend entries plotted at most: a tampered history must not make a chart of 100,000 points.
MAX_TREND_POINTS = 60
#: Frameworks charted at most, for the same reason.
MAX_TREND_FRAMEWORKS = 20
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _items(value: Any) -> list[Any]:
    """A JSON array as a list; anything else (a tampered history entry) as empty."""
    return list(value) if isinstance(value, list | tuple) else []


def _ids(drift: Mapping[str, Any] | None, key: str) -> list[str]:
    """Finding ids of one drift class, de-duplicated, order kept."""
    if drift is None:
        return []
    return list(dict.fromkeys(str(v) for v in _items(drift.get(key)) if isinstance(v, str | int)))


def _history(results: Results, check_anchor: Mapping[str, str], limit: int) -> HistoryView | None:
    """The history blocks, or None when the results carry no history (not a scheduled scan).

    ``Results.history`` is read from a stored results.json, so every field is
    checked for its type here and anything malformed is shown as absent
    rather than crashing the report.
    """
    raw = results.history
    if not isinstance(raw, Mapping):
        return None
    short = min(limit, 300)
    by_id = {f.id: f for f in results.findings}
    previous = raw.get("previous")
    prev: Mapping[str, Any] = previous if isinstance(previous, Mapping) else {}
    drift_raw = raw.get("drift")
    drift = drift_raw if isinstance(drift_raw, Mapping) else None
    new = _ids(drift, "new")
    resolved = _ids(drift, "resolved")
    regressions = _ids(drift, "regressions")
    still = _ids(drift, "still_failing")
    regression_set = set(regressions)
    # Regressions are new failures too (they passed last time); list them first, once.
    change_ids = regressions + [fid for fid in new if fid not in regression_set]

    def worst_first(fid: str) -> tuple[int, int, str, str]:
        f = by_id.get(fid)
        if f is None:
            return (2, 0, "", fid)
        return (0 if fid in regression_set else 1, -f.severity.rank, f.check_id, f.resource_id)

    shown_changes = sorted(change_ids, key=worst_first)[:MAX_DRIFT_ROWS]
    changes = tuple(
        _drift_row(fid, "regression" if fid in regression_set else "new", by_id, check_anchor, short, limit)
        for fid in shown_changes
    )
    resolved_rows = tuple(
        _drift_row(fid, "resolved", by_id, check_anchor, short, limit) for fid in resolved[:MAX_DRIFT_ROWS]
    )
    entries = [e for e in _items(raw.get("trend")) if isinstance(e, Mapping)][-MAX_TREND_POINTS:]
    return HistoryView(
        first_scan=not prev,
        previous_scan_id=clip(str(prev.get("scan_id") or "unknown"), short),
        previous_finished_at=clip(str(prev.get("finished_at") or "unknown"), 80),
        previous_key=clip(str(prev.get("key") or ""), short),
        drift_known=drift is not None,
        new_count=len(new),
        resolved_count=len(resolved),
        still_failing_count=len(still),
        regression_count=len(regressions),
        changes=changes,
        changes_total=len(change_ids),
        resolved=resolved_rows,
        resolved_total=len(resolved),
        scans=len(entries),
        trend=_trend_charts(results, entries, short),
        problems=tuple(clip(str(p), limit) for p in _items(raw.get("problems"))[:MAX_LIST_ROWS]),
    )


def _drift_row(
    fid: str,
    kind: str,
    by_id: Mapping[str, Finding],
    check_anchor: Mapping[str, str],
    short: int,
    limit: int,
) -> DriftRow:
    f = by_id.get(fid)
    if f is None:
        return DriftRow(
            finding_id=clip(fid, 80),
            kind=kind,
            kind_label=_DRIFT_KIND_LABELS[kind],
            known=False,
            check_id="",
            check_href="",
            severity="",
            status="",
            status_label="not in this scan",
            account_id="",
            region="",
            resource="",
        )
    return DriftRow(
        finding_id=clip(fid, 80),
        kind=kind,
        kind_label=_DRIFT_KIND_LABELS[kind],
        known=True,
        check_id=clip(f.check_id, short),
        check_href=f"#{check_anchor[f.check_id]}" if f.check_id in check_anchor else "#findings",
        severity=f.severity.value,
        status=f.status.value,
        status_label=STATUS_LABELS[f.status.value],
        account_id=clip(f.account_id, 80),
        region=clip(f.region, 80),
        resource=clip(f.resource_arn or f.resource_id, limit),
    )


def _percent(value: Any) -> float | None:
    """A stored score as a percentage; scores are fractions (0..1), and a few older ones percentages.

    Anything that is not a finite number in range is a gap, never a plotted 0.
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    if 0 <= value <= 1:
        return float(value) * 100
    if 1 < value <= 100:
        return float(value)
    return None


def _trend_charts(results: Results, entries: Sequence[Mapping[str, Any]], short: int) -> tuple[TrendChart, ...]:
    """One chart per framework that has a score in any stored scan, current frameworks first."""
    seen: dict[str, None] = {}
    for e in entries:
        scores = e.get("scores")
        if isinstance(scores, Mapping):
            seen.update((str(k), None) for k in scores)
    titles = {fw.id: f"{fw.title} {fw.version}".strip() for fw in results.frameworks}
    order = [fw.id for fw in results.frameworks if fw.id in seen] + [k for k in seen if k not in titles]
    return tuple(
        _trend_chart(fw_id, titles.get(fw_id, fw_id), entries, short) for fw_id in order[:MAX_TREND_FRAMEWORKS]
    )


def _date_label(finished_at: str) -> str:
    match = _DATE.match(finished_at)
    return match.group(0) if match else clip(finished_at, 12)


def _x_label_indices(n: int) -> list[int]:
    """Which scans get a date under the axis: all when few, else evenly spaced plus the last."""
    if n <= TREND_MAX_X_LABELS:
        return list(range(n))
    step = math.ceil((n - 1) / (TREND_MAX_X_LABELS - 1))
    picked = list(range(0, n, step))
    if picked[-1] != n - 1:
        if (n - 1) - picked[-1] < step / 2:
            picked.pop()
        picked.append(n - 1)
    return picked


def _trend_chart(fw_id: str, title: str, entries: Sequence[Mapping[str, Any]], short: int) -> TrendChart:
    width, height = 460, 150
    left, right, top, bottom = 44, 448, 10, 112
    pad = 14  # keeps the first and last dots off the axis lines
    n = len(entries)
    values: list[float | None] = []
    for e in entries:
        scores = e.get("scores")
        values.append(_percent(scores.get(fw_id)) if isinstance(scores, Mapping) else None)

    def x_of(i: int) -> float:
        if n <= 1:
            return round((left + right) / 2, 1)
        return round(left + pad + i * (right - left - 2 * pad) / (n - 1), 1)

    def y_of(p: float) -> float:
        return round(bottom - p * (bottom - top) / 100, 1)

    points: list[TrendPoint] = []
    segments: list[tuple[TrendPoint, ...]] = []
    run: list[TrendPoint] = []
    for i, p in enumerate(values):
        if p is None:
            if len(run) > 1:
                segments.append(tuple(run))
            run = []
            continue
        point = TrendPoint(x_of(i), y_of(p), f"{p:.0f}%")
        points.append(point)
        run.append(point)
    if len(run) > 1:
        segments.append(tuple(run))

    x_labels = []
    for i in _x_label_indices(n):
        text = _date_label(str(entries[i].get("finished_at") or ""))
        position = "middle" if n == 1 else "start" if i == 0 else "end" if i == n - 1 else "middle"
        x = x_of(i) - pad if position == "start" else x_of(i) + pad if position == "end" else x_of(i)
        x_labels.append(AxisLabel(at=x_of(i), x=x, y=bottom + 16, text=text, anchor=position))
    y_ticks = tuple(AxisLabel(at=y_of(v), x=left - 6, y=y_of(v) + 4, text=f"{v}%", anchor="end") for v in (0, 50, 100))

    recent: list[TrendRow] = []
    for i in range(n - 1, max(-1, n - 1 - TREND_TABLE_ROWS), -1):
        p = values[i]
        before = values[i - 1] if i > 0 else None
        change = f"{p - before:+.0f} pts" if p is not None and before is not None else "—"
        recent.append(
            TrendRow(
                scan_id=clip(str(entries[i].get("scan_id") or "unknown"), 80),
                finished_at=clip(str(entries[i].get("finished_at") or ""), 80),
                score="n/a" if p is None else f"{p:.0f}%",
                change=change,
            )
        )
    return TrendChart(
        framework_id=clip(fw_id, short),
        title=clip(title, short),
        width=width,
        height=height,
        plot_left=left,
        plot_right=right,
        plot_top=top,
        plot_bottom=bottom,
        y_ticks=y_ticks,
        x_labels=tuple(x_labels),
        segments=tuple(segments),
        points=tuple(points),
        gaps=sum(1 for v in values if v is None),
        recent=tuple(recent),
    )

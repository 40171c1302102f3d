"""The view types: frozen records of display-ready text that the templates arrange."""

from __future__ import annotations

from dataclasses import dataclass


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
class ControlReason:
    """A check that decides a control: its result, one line on why, and why it is mapped at all."""

    check_id: str
    href: str
    status: str
    status_label: str
    reason: str
    why_mapped: str
    more: int
    #: The reason without the account and region, for the executive summary.
    summary: str = ""


@dataclass(frozen=True)
class Pairing:
    """One check mapped to a control, with the mapping file's reason for the pairing."""

    check_id: str
    href: str
    why: str


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
    #: The deciding checks (failing or not assessed first), each with its reason.
    reasons: tuple[ControlReason, ...] = ()
    #: Every mapped check with the mapping's rationale.
    pairings: tuple[Pairing, ...] = ()
    #: Versions of a merged framework where the control exists, e.g. ("v3.0 4.7", "v5.0 4.7").
    numbers: tuple[str, ...] = ()
    #: False when the scan's retention profile is weaker than the control needs (then not assessed).
    retention_satisfied: bool = True

    @property
    def numbers_differ(self) -> bool:
        """True when the merged versions number this control differently (then each number is shown)."""
        return len({n.split(" ", 1)[-1] for n in self.numbers}) > 1

    @property
    def number_label(self) -> str:
        """The control's number, or each version's number when they differ: ``3.1 (v3.0.0, v5.0.0), 4.1 (v6.0.0)``."""
        if not self.numbers_differ:
            return self.id
        by_number: dict[str, list[str]] = {}
        for n in self.numbers:
            tag, _, number = n.partition(" ")
            by_number.setdefault(number, []).append(tag)
        return ", ".join(f"{number} ({', '.join(tags)})" for number, tags in by_number.items())


@dataclass(frozen=True)
class SummaryControl:
    """A control named in an executive-summary row: its number (every version's) linked to its matrix row."""

    control_id: str
    href: str
    title: str


@dataclass(frozen=True)
class SummaryItem:
    """One row of the executive summary: the failed or not-assessed controls that share a deciding check and reason."""

    controls: tuple[SummaryControl, ...]
    status: str
    status_label: str
    #: The deciding check (empty when the reason is the retention profile) and how many more checks do not pass.
    check_id: str
    check_href: str
    more: int
    reason: str

    @property
    def control_id(self) -> str:
        """Every control number of the row, comma-separated."""
        return ", ".join(c.control_id for c in self.controls)


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
    #: Controls with no applicable resource, counted only.
    not_applicable: int = 0
    #: Failed then not-assessed controls, for the executive summary.
    attention: tuple[SummaryItem, ...] = ()
    #: The framework ids shown in this view (two for CIS v3.0 and v5.0 merged).
    source_ids: tuple[str, ...] = ()
    #: Section anchors of the merged versions other than the first (links to them keep working).
    extra_anchors: tuple[str, ...] = ()
    #: A short name for the executive summary's framework column, e.g. "PCI DSS 4.0.1", "GDPR".
    short_title: str = ""


@dataclass(frozen=True)
class EvidenceItem:
    """One evidence fact of a finding, as text (lines separated by newlines)."""

    key: str
    value: str
    #: False for bookkeeping (files read, thresholds...): on screen only, not in the PDF.
    printed: bool = True


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
    #: False when the resource only repeats the account and region (not printed again).
    resource_shown: bool = True
    #: Other places ("account · region · resource") with the very same result, merged into this row.
    also: tuple[str, ...] = ()
    also_anchors: tuple[str, ...] = ()
    #: True when an earlier row of the same check has the same message (print says so instead of repeating it).
    repeats: bool = False


@dataclass(frozen=True)
class Remedy:
    """How to fix a check's failures."""

    summary: str
    cli: str
    terraform: str
    url: str
    #: ``url`` when :func:`auditor.model.textsafe.safe_https_url` allows it as a link, else "".
    href: str = ""
    #: Whether the Terraform is printed in the PDF (long modules are on screen only).
    terraform_printed: bool = True
    #: "R-n" when the CLI has the same steps as an earlier entry (then printed on screen only).
    same_as: str = ""


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
    #: "R-n": the remediation entry in the appendix.
    remedy_ref: str = ""
    remedy_anchor: str = ""
    passed_count: int = 0
    not_applicable_count: int = 0


@dataclass(frozen=True)
class IntegrityRow:
    """One logs-digest-integrity result as an attestation line."""

    href: str
    status: str
    status_label: str
    account_id: str
    region: str
    resource: str
    digests: str
    log_files: str
    gaps: str
    failures: str
    message: str


@dataclass(frozen=True)
class OutOfScopeCheck:
    """A check whose results serve none of the selected frameworks (kept in JSON and CSV)."""

    check_id: str
    title: str
    counts: str


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
    #: Per column: printed in the PDF too (False: screen only, e.g. the long file path).
    printed: tuple[bool, ...] = ()
    #: Rows printed in the PDF; the rest are on screen only (the HTML holds them all).
    print_rows: int = 10


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
    #: "R-n" when the check has a remediation entry (it has results that need action).
    remedy_ref: str = ""
    remediation: Remedy | None = None
    findings_href: str = ""


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
    #: logs-digest-integrity results as attestation rows.
    integrity: tuple[IntegrityRow, ...] = ()
    #: Checks left out because their results serve none of the selected frameworks.
    out_of_scope: tuple[OutOfScopeCheck, ...] = ()
    out_of_scope_results: int = 0
    #: Their results needing action, on screen only (the HTML keeps everything).
    out_of_scope_rows: tuple[FindingRow, ...] = ()
    #: Results with status NOT_APPLICABLE (collapsed to counts in the report).
    not_applicable_total: int = 0


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

"""Frameworks for the report: control matrices, their deciding checks and reasons, and the summary list.

A control row names the checks that decide it, each with its result and a
one-line reason (the worst finding's message), and why the mapping pairs that
check with the control. Two versions of one framework (same title, e.g. CIS
v3.0 and v5.0) selected together are shown as one matrix: a control whose
verdict is the same in both versions is one row carrying both numbers.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from auditor.engine.checkapi import Status
from auditor.engine.results import ControlVerdict, Finding, FrameworkVerdict
from auditor.report.viewfindings import DETAIL_PRIORITY
from auditor.report.viewtext import MAX_CONTROL_LINKS, STATUS_LABELS, anchor, clip, reason_text
from auditor.report.viewtypes import (
    ControlLink,
    ControlReason,
    ControlRow,
    Count,
    FrameworkView,
    Pairing,
    SummaryControl,
    SummaryItem,
)

CONTROL_STATUS_LABELS: Mapping[str, str] = {
    "FAIL": "Fail",
    "NOT_ASSESSED": "Not assessed",
    "PASS": "Pass",
    "NOT_APPLICABLE": "Not applicable",
    "MANUAL": "Manual",
}
#: Characters of the one-line reason in the matrix, and in the executive summary.
REASON_CHARS = 180
SUMMARY_REASON_CHARS = 100
RETENTION_REASON = (
    "the scan's retention profile requires less than this control does, so its passing retention checks"
    " cannot show it (rescan with --retention-profile hipaa or a longer profile)"
)
_ORDER = ("FAIL", "NOT_ASSESSED", "PASS", "NOT_APPLICABLE", "MANUAL")


def _score(score: float | None) -> str:
    if score is None:
        return "n/a"
    return f"{score * 100:.0f}%" if score <= 1 else f"{score:.0f}%"


def _why(c: ControlVerdict) -> Mapping[str, str]:
    return c.why if isinstance(c.why, Mapping) else {}


@dataclass(frozen=True)
class MatrixLinks:
    """What every control row reads: the findings by id, their anchors, and the text limits."""

    by_id: Mapping[str, Finding]
    finding_href: Mapping[str, str]
    check_anchor: Mapping[str, str]
    #: Characters of ids, titles and sections; of descriptions, notes and rationales.
    short: int
    limit: int

    def check_href(self, check_id: str, missing: str = "#appendix") -> str:
        """The link to a check's findings, or ``missing`` when it has none in this report."""
        return f"#{self.check_anchor[check_id]}" if check_id in self.check_anchor else missing


def _reasons(c: ControlVerdict, links: MatrixLinks) -> tuple[ControlReason, ...]:
    """Per mapped check with a result of this control: its worst result and the reason."""
    why = _why(c)
    per_check: dict[str, list[Finding]] = {}
    for fid in c.findings:
        f = links.by_id.get(fid)
        if f is not None:
            per_check.setdefault(f.check_id, []).append(f)
    reasons = []
    for cid, items in per_check.items():
        items.sort(key=lambda f: DETAIL_PRIORITY.get(f.status, 9 if f.status is not Status.PASS else 8))
        worst = items[0]
        attention = [f for f in items if f.status is worst.status]
        reasons.append(
            ControlReason(
                check_id=clip(cid, 120),
                href=links.finding_href.get(worst.id) or links.check_href(cid, "#findings"),
                status=worst.status.value,
                status_label=STATUS_LABELS[worst.status.value],
                reason=_short(reason_text(f"{worst.account_id}/{worst.region}: {worst.message}", 2000), REASON_CHARS),
                summary=_short(reason_text(worst.message, 2000), REASON_CHARS),
                why_mapped=clip(why.get(cid, ""), 400),
                more=len(attention) - 1,
            )
        )
    for cid in c.unassessed_checks:
        reasons.append(
            ControlReason(
                check_id=clip(cid, 120),
                href=links.check_href(cid),
                status="ERROR",
                status_label="No result",
                reason="the check produced no result in this run (for example log checks without --logs)",
                summary="no result in this run (for example log checks without --logs)",
                why_mapped=clip(why.get(cid, ""), 400),
                more=0,
            )
        )
    reasons.sort(key=lambda r: ({"FAIL": 0, "ERROR": 1, "WAIVED": 2}.get(r.status, 3), r.check_id))
    return tuple(reasons)


def control_row(fw: FrameworkVerdict, c: ControlVerdict, links: MatrixLinks) -> ControlRow:
    """One control of a matrix."""
    by_id, finding_href, short, limit = links.by_id, links.finding_href, links.short, links.limit
    deciding = sorted(
        (fid for fid in c.findings if fid in finding_href and fid in by_id),
        key=lambda fid: DETAIL_PRIORITY.get(by_id[fid].status, 9),
    )
    needing = [fid for fid in deciding if by_id[fid].status is not Status.PASS]
    shown = tuple(
        ControlLink(
            href=finding_href[fid],
            label=clip(f"{by_id[fid].check_id}: {by_id[fid].account_id}/{by_id[fid].region}", 160),
        )
        for fid in needing[:MAX_CONTROL_LINKS]
    )
    why = _why(c)
    return ControlRow(
        id=clip(c.id, short),
        anchor=anchor("ctl", f"{fw.id}/{c.id}"),
        title=clip(c.title, short),
        status=c.status if c.status in CONTROL_STATUS_LABELS else "other",
        status_label=CONTROL_STATUS_LABELS.get(c.status, clip(c.status, 40)),
        automation=clip(c.automation, 40),
        section=clip(c.section, short),
        checks=tuple(ControlLink(href=links.check_href(cid), label=clip(cid, short)) for cid in c.checks),
        findings=shown,
        more_findings=max(0, len(needing) - len(shown)),
        description=clip(c.description, limit),
        notes=clip(c.notes, limit),
        waived=c.waived,
        reasons=_reasons(c, links),
        retention_satisfied=c.retention_satisfied,
        pairings=tuple(
            Pairing(
                check_id=clip(cid, short),
                href=links.check_href(cid),
                why=clip(why.get(cid, ""), limit),
            )
            for cid in c.checks
        ),
    )


def _short(text: str, limit: int) -> str:
    """``text`` cut at a word boundary near ``limit`` with an ellipsis (the matrix has the full line)."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return f"{cut}…"


def _summary(rows: Sequence[ControlRow]) -> tuple[SummaryItem, ...]:
    """Failed then not-assessed controls; controls with the same deciding check and reason share one row."""
    items: list[SummaryItem] = []
    index: dict[tuple[str, str, str], int] = {}
    for status in ("FAIL", "NOT_ASSESSED"):
        for r in rows:
            if r.status != status:
                continue
            lead = next((x for x in r.reasons if x.status in ("FAIL", "ERROR")), None)
            if lead is None and r.reasons and r.retention_satisfied:
                lead = r.reasons[0]
            if lead is not None:
                more = sum(1 for x in r.reasons if x.status not in ("PASS", "NOT_APPLICABLE")) - 1
                check, href, reason = lead.check_id, lead.href, _short(lead.summary, SUMMARY_REASON_CHARS)
            else:
                more, check, href, reason = 0, "", f"#{r.anchor}", RETENTION_REASON
            control = SummaryControl(r.number_label, f"#{r.anchor}", _short(r.title, 70))
            key = (status, check, reason)
            if key in index:
                prev = items[index[key]]
                items[index[key]] = replace(prev, controls=(*prev.controls, control), more=max(prev.more, more))
            else:
                index[key] = len(items)
                items.append(SummaryItem((control,), r.status, r.status_label, check, href, max(0, more), reason))
    return tuple(items)


def short_name(title: str, version: str) -> str:
    """A framework's short name: its leading acronyms and numbers ("PCI DSS", "NIST SP 800-53"), else the initials
    of its capitalised words ("GDPR"), with the version when it is a plain number."""
    words = title.split()
    lead: list[str] = []
    for w in words:
        if w.isupper() or any(ch.isdigit() for ch in w):
            lead.append(w)
        else:
            break
    name = " ".join(lead) if lead else "".join(w[0] for w in words if w[:1].isupper()) or title
    plain = re.fullmatch(r"[\d.]+((, | and )[\d.]+)*", version) is not None
    return clip(f"{name} {version}" if plain and len(version) <= 40 else name, 80)


def framework_view(fw: FrameworkVerdict, links: MatrixLinks) -> FrameworkView:
    """A framework's section: matrix (automated and partial controls), manual controls and counts."""
    rows: list[ControlRow] = []
    manual: list[ControlRow] = []
    for c in fw.controls:
        row = control_row(fw, c, links)
        (manual if c.status == "MANUAL" or c.automation == "manual" else rows).append(row)
    counts = Counter(c.status for c in fw.controls)
    return _assemble(fw.id, fw.title, fw.version, _score(fw.score), counts, rows, manual, (fw.id,), links.short)


def _assemble(
    fid: str,
    title: str,
    version: str,
    score: str,
    counts: Mapping[str, int],
    rows: Sequence[ControlRow],
    manual: Sequence[ControlRow],
    source_ids: tuple[str, ...],
    short: int,
) -> FrameworkView:
    labels = CONTROL_STATUS_LABELS
    count_items = [Count(k.lower(), labels[k], counts.get(k, 0)) for k in _ORDER]
    count_items += [Count("other", clip(k, 40), v) for k, v in sorted(counts.items()) if k not in labels]
    return FrameworkView(
        id=clip(fid, short),
        anchor=anchor("fw", fid),
        title=clip(title, short),
        version=clip(version, 80),
        score=score,
        counts=tuple(count_items),
        controls=tuple(rows),
        manual=tuple(manual),
        failed=counts.get("FAIL", 0),
        not_assessed=counts.get("NOT_ASSESSED", 0),
        passed=counts.get("PASS", 0),
        manual_count=counts.get("MANUAL", 0),
        not_applicable=counts.get("NOT_APPLICABLE", 0),
        attention=_summary(rows),
        source_ids=source_ids,
        short_title=short_name(title, version),
    )


def _merge(views: Sequence[FrameworkView], verdicts: Sequence[FrameworkVerdict]) -> FrameworkView:
    """Versions of one framework as one matrix: a control identical in all versions is one row."""
    first = views[0]
    tags = [f"v{v.version}" for v in views]

    def key(r: ControlRow) -> tuple[str, str, tuple[str, ...]]:
        # Not the number: CIS v6.0 renumbers the sections (v5.0 3.n is v6.0 4.n) and keeps the items.
        return (r.title, r.status, tuple(x.label for x in r.checks))

    def merged(parts: Sequence[Sequence[ControlRow]]) -> list[ControlRow]:
        out: list[ControlRow] = []
        index: dict[tuple[str, str, tuple[str, ...]], list[int]] = {}
        for tag, rows in zip(tags, parts, strict=True):
            for r in rows:
                # A row of an earlier version this version has not yet joined, the same number first.
                free = [i for i in index.get(key(r), []) if not any(n.startswith(f"{tag} ") for n in out[i].numbers)]
                free.sort(key=lambda i: out[i].id != r.id)
                if free:
                    prev = out[free[0]]
                    out[free[0]] = replace(prev, numbers=(*prev.numbers, f"{tag} {r.id}"))
                else:
                    index.setdefault(key(r), []).append(len(out))
                    out.append(replace(r, numbers=(f"{tag} {r.id}",)))
        return out

    rows = merged([v.controls for v in views])
    manual = merged([v.manual for v in views])
    counts: Counter[str] = Counter()
    for r in (*rows, *manual):
        counts[r.status.upper() if r.status != "other" else "other"] += 1
    scores = {v.score for v in views}
    score = (
        f"{views[0].score} in each version"
        if len(scores) == 1
        else " / ".join(f"{tag}: {v.score}" for tag, v in zip(tags, views, strict=True))
    )
    fid = "+".join(v.id for v in verdicts)
    version = ", ".join(v.version for v in views[:-1]) + f" and {views[-1].version}"
    view = _assemble(fid, first.title, version, score, counts, rows, manual, tuple(v.id for v in verdicts), 300)
    # Keep each version's own anchor reachable: the first is the section id, the rest point to it.
    return replace(view, anchor=first.anchor, extra_anchors=tuple(v.anchor for v in views[1:]))


def framework_views(frameworks: Sequence[FrameworkVerdict], links: MatrixLinks) -> tuple[FrameworkView, ...]:
    """One view per framework, versions of the same framework (same title) merged into one."""
    groups: dict[str, list[FrameworkVerdict]] = {}
    for fw in frameworks:
        groups.setdefault(fw.title, []).append(fw)
    out = []
    for members in groups.values():
        views = [framework_view(fw, links) for fw in members]
        out.append(views[0] if len(views) == 1 else _merge(views, members))
    return tuple(out)

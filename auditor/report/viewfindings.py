"""Findings for the report: rows per check, exceptions, log-event tables, integrity and Sigma blocks.

Only results that need action (FAIL, ERROR, WAIVED) get a detailed row;
passes are listed compactly (on screen) and NOT_APPLICABLE results are
counted. Remediation is printed once per check in the appendix and each
check group refers to it by its "R-n" number.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from auditor.engine.checkapi import Severity, Status
from auditor.engine.results import Finding
from auditor.model.textsafe import safe_https_url
from auditor.report.evidence import HIDDEN_KEYS, SCREEN_ONLY_KEYS, human, label
from auditor.report.viewtext import (
    EVENT_KEYS,
    MAX_COMPACT_RESOURCES,
    MAX_EVENT_BLOCKS,
    MAX_EVENTS_PER_FINDING,
    MAX_EVIDENCE_CELL,
    MAX_LIST_ROWS,
    STATUS_LABELS,
    STATUS_ORDER,
    anchor,
    as_text,
    clip,
    reason_text,
)
from auditor.report.viewtypes import (
    Capped,
    CheckGroup,
    Count,
    EventBlock,
    EvidenceItem,
    FindingRow,
    IntegrityRow,
    Remedy,
    SigmaView,
    UnsupportedRuleRow,
)

DETAIL_PRIORITY = {Status.FAIL: 0, Status.ERROR: 1, Status.WAIVED: 2, Status.NOT_APPLICABLE: 3}
#: Event rows per finding printed in the PDF (the HTML shows up to MAX_EVENTS_PER_FINDING).
PRINTED_EVENTS = 3
#: Event columns printed in the PDF; the others (the file path...) are on screen only.
PRINTED_EVENT_KEYS = frozenset({"eventTime", "eventName", "eventSource", "principal", "sourceIPAddress", "awsRegion"})
INTEGRITY_CHECK = "logs-digest-integrity"
#: Longer Terraform modules are on screen only; the PDF keeps the summary, the CLI and short Terraform.
PRINTED_TERRAFORM_LINES = 9


def severity_key(value: Any) -> str:
    """A severity as its CSS-safe key; anything unknown is "info"."""
    text = str(value or "").lower()
    return text if text in {s.value for s in Severity} else "info"


def sigma_view(findings: Sequence[Finding], limit: int) -> SigmaView | None:
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
                clip(str(u.get("id") or ""), limit),
                clip(str(u.get("title") or ""), limit),
                clip(str(u.get("reason") or ""), limit),
            )
            seen.setdefault((row.id, row.title), row)
            any_result = True
    if not any_result:
        return None
    return SigmaView(evaluated, tuple(sorted(seen.values(), key=lambda r: (r.title, r.id))))


def finding_row(f: Finding, check_anchor: Mapping[str, str], limit: int) -> FindingRow:
    """One finding, display-ready: its reason and each evidence fact in words."""
    short = min(limit, 300)
    evidence: list[EvidenceItem] = []
    events = 0
    cell = min(limit, MAX_EVIDENCE_CELL)
    for key in sorted(f.evidence, key=str):
        value = f.evidence[key]
        if key == "events" and isinstance(value, list):
            events = len(value)
            continue
        if key in HIDDEN_KEYS:
            continue
        text = human(str(key), value, cell, f.evidence, f.message)
        printed = key not in SCREEN_ONLY_KEYS and text != "as stated above"
        evidence.append(EvidenceItem(clip(label(str(key)), short), text, printed))
    waiver = tuple(EvidenceItem(clip(str(k), short), as_text(v, limit)) for k, v in sorted((f.waiver or {}).items()))
    resource = f.resource_arn or f.resource_id
    redundant = resource in (f.account_id, f"{f.account_id}/{f.region}")
    message = reason_text(f.message, limit) if f.status is Status.ERROR else clip(f.message, limit)
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
        message=message,
        evidence=tuple(evidence),
        event_count=events,
        waiver=waiver,
        resource_shown=not redundant,
    )


def merge_identical(rows: Sequence[FindingRow]) -> list[FindingRow]:
    """Rows whose result, reason and evidence are the same in several places become one row naming them all."""
    out: list[FindingRow] = []
    index: dict[tuple[Any, ...], int] = {}
    for r in rows:
        key = (r.status, r.message, r.evidence, r.waiver, r.event_count)
        if r.event_count or r.waiver or key not in index:
            index.setdefault(key, len(out))
            out.append(r)
            continue
        first = out[index[key]]
        place = f"{r.account_id} · {r.region}" + (f" · {r.resource}" if r.resource_shown else "")
        out[index[key]] = replace(first, also=(*first.also, place), also_anchors=(*first.also_anchors, r.anchor))
    return out


def remedy_of(remedy: Mapping[str, Any], limit: int) -> Remedy:
    """A finding's remediation block, clipped."""
    short = min(limit, 300)
    terraform = clip(str(remedy.get("terraform", "")), limit)
    return Remedy(
        summary=clip(str(remedy.get("summary", "")), limit),
        cli=clip(str(remedy.get("cli", "")), limit),
        terraform=terraform,
        terraform_printed=terraform.count("\n") < PRINTED_TERRAFORM_LINES,
        url=clip(str(remedy.get("url", "")), short),
        href=safe_https_url(str(remedy.get("url", ""))) or "",
    )


def check_groups(
    findings: Sequence[Finding],
    catalogue: Mapping[str, Mapping[str, Any]],
    check_anchor: Mapping[str, str],
    limit: int,
    cap: int,
) -> tuple[tuple[CheckGroup, ...], list[FindingRow]]:
    """Every check's results, worst check first; detailed rows only for results that need action."""
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
        notable = sorted(
            (f for f in items if f.status in (Status.FAIL, Status.ERROR, Status.WAIVED)),
            key=lambda f: (DETAIL_PRIORITY.get(f.status, 9), -f.severity.rank, f.account_id, f.resource_id),
        )
        full = [finding_row(f, check_anchor, limit) for f in notable[:cap]]
        detailed.extend(full)
        rows = tuple(merge_identical(full))
        passed = sorted({clip(f.resource_arn or f.resource_id, short) for f in items if f.status is Status.PASS})
        worst = next((s.value for s in STATUS_ORDER if counts.get(s)), Status.PASS.value)
        groups.append(
            CheckGroup(
                check_id=clip(cid, short),
                anchor=check_anchor[cid],
                title=clip(str(meta.get("title") or first.title), short),
                severity=severity_key(meta.get("severity") or first.severity.value),
                section=clip(str(meta.get("section", "")), short),
                rationale=clip(str(meta.get("rationale", "")), limit),
                counts=tuple(
                    Count(s.value.lower(), STATUS_LABELS[s.value], counts[s]) for s in STATUS_ORDER if counts.get(s)
                ),
                remediation=remedy_of(first.remediation, limit),
                rows=rows,
                omitted_rows=len(notable) - len(full),
                passed_resources=tuple(passed[:MAX_COMPACT_RESOURCES]),
                passed_omitted=max(0, len(passed) - MAX_COMPACT_RESOURCES),
                worst=worst,
                passed_count=counts.get(Status.PASS, 0),
                not_applicable_count=counts.get(Status.NOT_APPLICABLE, 0),
            )
        )
    rank = {s.value: i for i, s in enumerate(STATUS_ORDER)}
    sev_rank = {s.value: -s.rank for s in Severity}
    groups.sort(key=lambda g: (rank[g.worst], sev_rank[g.severity], g.check_id))
    return tuple(groups), detailed


def capped(
    items: Sequence[Finding],
    rows_by_id: Mapping[str, FindingRow],
    check_anchor: Mapping[str, str],
    limit: int,
) -> Capped:
    """The first MAX_LIST_ROWS of ``items`` as rows, and how many there are."""
    shown = tuple(rows_by_id.get(f.id) or finding_row(f, check_anchor, limit) for f in items[:MAX_LIST_ROWS])
    return Capped(rows=shown, total=len(items))


def event_blocks(
    findings: Sequence[Finding], finding_href: Mapping[str, str], limit: int
) -> tuple[tuple[EventBlock, ...], int]:
    """Log events behind the log findings, failures first, as tables of text cells."""
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
                printed=tuple(c in PRINTED_EVENT_KEYS for c in columns),
                print_rows=PRINTED_EVENTS,
            )
        )
    return tuple(blocks), max(0, len(with_events) - MAX_EVENT_BLOCKS)


def _ratio(evidence: Mapping[str, Any], valid: str, total: str) -> str:
    v, t = evidence.get(valid), evidence.get(total)
    if isinstance(v, int) and isinstance(t, int):
        return f"{v} of {t} valid"
    return "not recorded"


def integrity_rows(
    findings: Sequence[Finding], finding_href: Mapping[str, str], limit: int
) -> tuple[IntegrityRow, ...]:
    """The digest-chain verification results as an attestation table (failures first)."""
    rows = sorted(
        (f for f in findings if f.check_id == INTEGRITY_CHECK),
        key=lambda f: (DETAIL_PRIORITY.get(f.status, 9), f.account_id, f.region),
    )
    out = []
    for f in rows[:MAX_LIST_ROWS]:
        ev = f.evidence
        gaps = ev.get("digest_gaps")
        failures = ev.get("failures")
        out.append(
            IntegrityRow(
                href=finding_href.get(f.id, "#findings"),
                status=f.status.value,
                status_label=STATUS_LABELS[f.status.value],
                account_id=clip(f.account_id, 80),
                region=clip(f.region, 80),
                resource=clip(f.resource_arn or f.resource_id, min(limit, 300)),
                digests=_ratio(ev, "digests_valid", "digests_total"),
                log_files=_ratio(ev, "log_files_valid", "log_files_total"),
                gaps=as_text(gaps, 40) if isinstance(gaps, int) else human("digest_gaps", gaps, 300, ev),
                failures=human("failures", failures, min(limit, MAX_EVIDENCE_CELL), ev) if failures else "none",
                message=reason_text(f.message, limit) if f.status is Status.ERROR else clip(f.message, limit),
            )
        )
    return tuple(out)

"""From a snapshot to a results document: evaluate, map to controls, summarise.

Shared by every command that produces results (scan, evaluate, logs, demo)
and by the Lambda handler, so that all of them mean the same thing by
"results".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from msgspec import UnsetType

from auditor import __version__
from auditor.engine.checkapi import Check, Settings, Severity, Status
from auditor.engine.registry import all_checks
from auditor.engine.results import Finding, Results, ScanInfo, summarise
from auditor.engine.runner import evaluate
from auditor.mapping.frameworks import apply_mappings, load_frameworks, load_profiles, select_profile
from auditor.model import timefmt
from auditor.model.errors import AuditorError
from auditor.model.snapshot import Snapshot
from auditor.model.validation import validate


@dataclass(frozen=True)
class EvaluationOptions:
    """What a user chose about evaluation (not about collection)."""

    frameworks: Sequence[str] | None = None
    mapping_dirs: Sequence[Path] = ()
    retention_profile: str = "pci"
    trusted_accounts: tuple[str, ...] = ()
    #: Tag keys every trail must carry (the baseline's required_tags; trail-tags).
    required_tags: tuple[str, ...] = ()
    severity_overrides: Mapping[str, Severity] = field(default_factory=dict)
    #: Restrict to these check ids (None: all).
    only_checks: Sequence[str] | None = None
    #: Restrict to checks of these sections (e.g. ("logs",) for `trail-auditor logs`).
    sections: Sequence[str] | None = None


def now_iso() -> str:
    """UTC now as ISO 8601 with a Z suffix."""
    return timefmt.now_iso()


def select_checks(options: EvaluationOptions, available: Sequence[Check] | None = None) -> list[Check]:
    """The registered checks (or ``available``), narrowed as the options ask."""
    checks = list(all_checks() if available is None else available)
    known = {c.meta.id for c in checks}
    if options.only_checks is not None:
        unknown = sorted(set(options.only_checks) - known)
        if unknown:
            raise AuditorError(f"unknown check id(s): {', '.join(unknown)}")
        checks = [c for c in checks if c.meta.id in set(options.only_checks)]
    if options.sections is not None:
        checks = [c for c in checks if c.meta.section in set(options.sections)]
    return checks


def settings_for(options: EvaluationOptions) -> Settings:
    """Evaluation settings from the chosen retention profile and trust list."""
    prof = select_profile(load_profiles(list(options.mapping_dirs)), options.retention_profile)
    return Settings(
        retention_days=prof.retention_days,
        hot_retention_days=prof.hot_retention_days,
        profile=prof.name,
        trusted_accounts=tuple(options.trusted_accounts),
        required_tags=tuple(options.required_tags),
    )


def catalogue(checks: Sequence[Check]) -> list[dict[str, Any]]:
    """The check catalogue as the results document and reports carry it."""
    return [
        {
            "id": c.meta.id,
            "title": c.meta.title,
            "severity": c.meta.severity.value,
            "section": c.meta.section,
            "resource_type": c.meta.resource_type,
            "rationale": c.meta.rationale,
            "references": list(c.meta.references),
            "permissions": list(c.meta.permissions),
            "notes": c.meta.notes,
        }
        for c in checks
    ]


def build_results(
    snapshot: Snapshot,
    options: EvaluationOptions,
    *,
    started_at: str | None = None,
    finished_at: str | None = None,
    scan_id: str | None = None,
    snapshot_sha256: str | None = None,
) -> Results:
    """Evaluate every selected check and map the findings to the selected frameworks.

    The scan is identified by its evidence: the id is made of the snapshot's
    collection time and SHA-256, and ``started_at`` defaults to the collection
    time, so re-evaluating a saved snapshot (``evaluate``) names the same scan
    at the same time. ``finished_at`` defaults to now; ``evaluate`` passes the
    collection time, since a snapshot does not record when collection ended.
    ``scan.evaluated_at`` is always when these results were computed.
    """
    available = all_checks()
    checks = select_checks(options, available)
    settings = settings_for(options)
    findings = evaluate(snapshot, checks, settings, options.severity_overrides)
    frameworks = load_frameworks({c.meta.id for c in available}, list(options.mapping_dirs), options.frameworks)
    mapped, verdicts = apply_mappings(findings, frameworks, settings)
    regions = sorted({r.region for a in snapshot.accounts for r in a.regions})
    log_window: dict[str, Any] | None = None
    if snapshot.log_evidence is not None:
        window = snapshot.log_evidence.window
        log_window = {"since": window.since, "until": window.until}
        athena = snapshot.log_evidence.athena
        if not isinstance(athena, UnsetType):  # what the Athena engine scanned and cost (docs/sql-engine.md)
            log_window["engine"] = "athena"
            stats: dict[str, Any] = {
                "table": athena.table,
                "statements": athena.statements,
                "estimated_scan_bytes": athena.estimated_scan_bytes,
                "data_scanned_bytes": athena.data_scanned_bytes,
                "engine_execution_ms": athena.engine_execution_ms,
                "estimated_cost_usd": athena.estimated_cost_usd,
                "refused": athena.refused,
            }
            failed = snapshot.log_evidence.failed_queries
            stats["failed_queries"] = 0 if isinstance(failed, UnsetType) else len(failed)
            log_window["athena"] = stats
    started = started_at or snapshot.collected_at
    digest = snapshot_sha256 or snapshot.sha256()
    evaluated = now_iso()
    scan = ScanInfo(
        id=scan_id or f"scan-{snapshot.collected_at.replace(':', '').replace('-', '')}-{digest[:8]}",
        started_at=started,
        finished_at=finished_at or evaluated,
        evaluated_at=evaluated,
        accounts=tuple(a.account_id for a in snapshot.accounts),
        regions=tuple(regions),
        log_window=log_window,
        snapshot_sha256=digest,
        profile=settings.profile,
        errors=tuple(e.evidence() for e in snapshot.errors),
    )
    results = Results(
        scan=scan,
        findings=tuple(mapped),
        frameworks=tuple(verdicts),
        checks=tuple(catalogue(checks)),
        summary=summarise(mapped),
        tool={"name": "trail-auditor", "version": __version__},
    )
    validate(results.to_dict(), "results.schema.json", "results")
    return results


def exit_code(findings: Sequence[Finding], fail_on: Severity, allow_incomplete: bool) -> int:
    """0 pass, 1 failures at or above fail_on, 3 ERROR results unless allowed.

    A definite failure outranks missing evidence: when both happen the exit code
    is 1, and the ERROR results are still listed in the output.
    """
    if any(f.status is Status.FAIL and f.severity.rank >= fail_on.rank for f in findings):
        return 1
    if not allow_incomplete and any(f.status is Status.ERROR for f in findings):
        return 3
    return 0

"""Results: findings (a check's result plus its metadata) and the results document."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditor.engine.checkapi import CheckMeta, CheckResult, Severity, Status
from auditor.model import serde

RESULTS_SCHEMA_VERSION = "1.0"


@dataclass(frozen=True)
class Finding:
    """One result of one check on one resource, as users and reports see it."""

    id: str
    check_id: str
    title: str
    status: Status
    severity: Severity
    account_id: str
    region: str
    resource_type: str
    resource_id: str
    message: str
    resource_arn: str | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    remediation: Mapping[str, str] = field(default_factory=dict)
    controls: Mapping[str, Sequence[str]] = field(default_factory=dict)
    #: Set when a baseline waiver turned a FAIL into WAIVED.
    waiver: Mapping[str, Any] | None = None
    #: The status a waiver replaced (FAIL), so that a gate with another baseline can judge it again.
    waived_status: Status | None = None

    @classmethod
    def from_result(cls, meta: CheckMeta, result: CheckResult, severity: Severity | None = None) -> Finding:
        """Attach a check's metadata to one of its results."""
        return cls(
            id=finding_id(meta.id, result.account_id, result.region, result.resource_id),
            check_id=meta.id,
            title=meta.title,
            status=result.status,
            severity=severity or meta.severity,
            account_id=result.account_id,
            region=result.region,
            resource_type=result.resource_type,
            resource_id=result.resource_id,
            resource_arn=result.resource_arn,
            message=result.message,
            evidence=dict(result.evidence),
            remediation={
                "summary": meta.remediation.summary,
                "cli": meta.remediation.cli,
                "terraform": meta.remediation.terraform,
                "url": meta.remediation.url,
            },
        )


def finding_id(check_id: str, account_id: str, region: str, resource_id: str) -> str:
    """A stable id: the same check on the same resource has the same id in every scan."""
    key = "\x1f".join((check_id, account_id, region, resource_id))
    return "f-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class ControlVerdict:
    """One control's roll-up (filled in by auditor.mapping.frameworks)."""

    id: str
    title: str
    status: str  # PASS | FAIL | NOT_ASSESSED | NOT_APPLICABLE | MANUAL
    automation: str
    checks: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()
    section: str = ""
    description: str = ""
    notes: str = ""
    waived: bool = False
    #: Mapped checks that produced no result in this run (e.g. logs-* with --no-logs).
    unassessed_checks: tuple[str, ...] = ()
    #: False when the scan's retention profile is weaker than the control needs
    #: (it then cannot PASS); kept so that a re-roll-up (gate waivers) stays right.
    retention_satisfied: bool = True
    #: Per mapped check, why that check evidences this control (the mapping's ``why``).
    why: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FrameworkVerdict:
    """A framework's controls and score."""

    id: str
    title: str
    version: str
    controls: tuple[ControlVerdict, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)
    score: float | None = None


@dataclass(frozen=True)
class ScanInfo:
    """What was scanned, when, and from which evidence."""

    id: str
    started_at: str
    finished_at: str
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    log_window: Mapping[str, Any] | None = None
    snapshot_sha256: str | None = None
    profile: str = "pci"
    errors: tuple[Mapping[str, Any], ...] = ()
    #: When these results were computed (``evaluate`` keeps the collection's times and id).
    evaluated_at: str | None = None


@dataclass(frozen=True)
class Results:
    """The results document (results.json)."""

    scan: ScanInfo
    findings: tuple[Finding, ...]
    frameworks: tuple[FrameworkVerdict, ...] = ()
    checks: tuple[Mapping[str, Any], ...] = ()
    summary: Mapping[str, Any] = field(default_factory=dict)
    tool: Mapping[str, str] = field(default_factory=dict)
    schema_version: str = RESULTS_SCHEMA_VERSION
    #: Set by auditor.gate.history for scheduled scans: previous scan, drift, score trend.
    history: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict, the shape results.schema.json describes."""
        doc: dict[str, Any] = serde.to_jsonable(self)
        return doc

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Results:
        """Rebuild from a validated document."""
        return serde.from_jsonable(cls, data)


def summarise(findings: Sequence[Finding]) -> dict[str, Any]:
    """Counts by status and, for failures, by severity."""
    by_status = {s.value: 0 for s in Status}
    fail_by_severity = {s.value: 0 for s in Severity}
    for f in findings:
        by_status[f.status.value] += 1
        if f.status is Status.FAIL:
            fail_by_severity[f.severity.value] += 1
    return {"total": len(findings), "by_status": by_status, "failed_by_severity": fail_by_severity}

"""The integrity report: what digest validation found, as a JSON-ready value.

The report is the only thing that leaves :mod:`auditor.integrity`. It is stored
in ``Snapshot.integrity`` as the typed document
:class:`auditor.model.integrity_report.IntegrityDocument` (:meth:`IntegrityReport.document`;
:meth:`IntegrityReport.to_dict` is its JSON) so that the ``logs-digest-integrity``
and ``logs-delivery-continuity`` checks can judge it offline. The enums
(:class:`FailureKind`, :class:`FileStatus`) live with the document.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from auditor.integrity.timeutil import parse_iso
from auditor.model.integrity_report import (
    INTEGRITY_SCHEMA_VERSION,
    FailureKind,
    FileStatus,
    IntegrityDocument,
)

__all__ = [
    "INTEGRITY_SCHEMA_VERSION",
    "DigestGap",
    "FailureKind",
    "FileResult",
    "FileStatus",
    "IntegrityReport",
    "Scope",
    "SourceError",
]


@dataclass(frozen=True)
class Scope:
    """One chain that was validated: an account's digests for one trail in one region."""

    account_id: str
    region: str
    trail_arn: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"account_id": self.account_id, "region": self.region, "trail_arn": self.trail_arn}


@dataclass(frozen=True)
class FileResult:
    """The verdict on one digest file or one log file a digest lists."""

    kind: str  # "digest" | "log"
    path: str  # s3://bucket/key, or the key relative to the local folder
    status: FileStatus
    scope: Scope
    failure_kind: FailureKind | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kind": self.kind,
            "path": self.path,
            "status": self.status.value,
            "failure_kind": self.failure_kind.value if self.failure_kind else None,
            "detail": self.detail,
            **self.scope.to_dict(),
        }


@dataclass(frozen=True)
class DigestGap:
    """A period with no digest file: logging (or validation) was off, or digests were deleted.

    CloudTrail delivers a digest every hour even when nothing happened, so a
    gap between consecutive digests longer than the tolerance is a precise
    bound on when logging stopped.
    """

    scope: Scope
    start: str
    end: str

    @property
    def hours(self) -> float:
        """Length of the gap in hours."""
        return round((parse_iso(self.end) - parse_iso(self.start)).total_seconds() / 3600, 2)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**self.scope.to_dict(), "start": self.start, "end": self.end, "hours": self.hours}


@dataclass(frozen=True)
class SourceError:
    """A listing or fetch that failed for a reason other than "not found"."""

    scope: Scope
    operation: str
    error_code: str
    message: str
    resource: str = ""

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {
            **self.scope.to_dict(),
            "operation": self.operation,
            "error_code": self.error_code,
            "message": self.message,
            "resource": self.resource,
        }


@dataclass(frozen=True)
class IntegrityReport:
    """Everything one validation run found, for one or more chains."""

    source: str  # "s3" | "local"
    location: str  # s3://bucket/prefix or the local folder
    range_start: str | None
    range_end: str | None
    scopes: tuple[Scope, ...] = ()
    files: tuple[FileResult, ...] = ()
    digest_gaps: tuple[DigestGap, ...] = ()
    errors: tuple[SourceError, ...] = ()
    #: Per scope: the span the digests found actually cover.
    found: Mapping[Scope, tuple[str, str]] = field(default_factory=dict)
    gap_tolerance_hours: float = 2.0

    # -- counts ------------------------------------------------------------------

    def _count(self, kind: str, valid_only: bool) -> int:
        return sum(1 for f in self.files if f.kind == kind and (not valid_only or f.status is FileStatus.VALID))

    @property
    def digests_total(self) -> int:
        """Digest files examined, including those the chain says are missing."""
        return self._count("digest", False)

    @property
    def digests_valid(self) -> int:
        """Digest files whose signature verified."""
        return self._count("digest", True)

    @property
    def log_files_total(self) -> int:
        """Log files listed by valid digests."""
        return self._count("log", False)

    @property
    def log_files_valid(self) -> int:
        """Log files whose SHA-256 matched their digest."""
        return self._count("log", True)

    def failures(self) -> list[FileResult]:
        """Every file result that is not valid."""
        return [f for f in self.files if f.status is not FileStatus.VALID]

    @property
    def ok(self) -> bool:
        """No failure, no unreadable source and nothing missing from the record."""
        return not self.failures() and not self.errors

    def document(self) -> IntegrityDocument:
        """The typed document stored in ``Snapshot.integrity``."""
        return IntegrityDocument.from_dict(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        """The JSON document stored in ``Snapshot.integrity`` (see the schema)."""
        grouped: dict[str, list[dict[str, Any]]] = {}
        for f in self.failures():
            key = (f.failure_kind or FailureKind.SOURCE_UNREADABLE).value
            grouped.setdefault(key, []).append({"path": f.path, "detail": f.detail, **f.scope.to_dict()})
        accounts = sorted({s.account_id for s in self.scopes})
        regions = sorted({s.region for s in self.scopes})
        trails = sorted({s.trail_arn for s in self.scopes})
        return {
            "schema_version": INTEGRITY_SCHEMA_VERSION,
            "scope": {
                "source": self.source,
                "location": self.location,
                "trails": trails,
                "accounts": accounts,
                "regions": regions,
                "range": {"start": self.range_start, "end": self.range_end},
            },
            "digests_total": self.digests_total,
            "digests_valid": self.digests_valid,
            "log_files_total": self.log_files_total,
            "log_files_valid": self.log_files_valid,
            "files": [f.to_dict() for f in self.files],
            "failures": grouped,
            "failure_counts": {k: len(v) for k, v in sorted(grouped.items())},
            "digest_gaps": [g.to_dict() for g in self.digest_gaps],
            "gap_tolerance_hours": self.gap_tolerance_hours,
            "errors": [e.to_dict() for e in self.errors],
            "validated": [s.to_dict() for s in self.scopes],
            "found": [{**s.to_dict(), "start": span[0], "end": span[1]} for s, span in self.found.items()],
        }

"""The digest-integrity document: what digest-chain validation found, as ``Snapshot.integrity``.

:class:`auditor.integrity.IntegrityReport` is the validator's working result;
its ``to_dict()`` is this document, and :func:`IntegrityDocument.from_dict`
types and validates it. The ``logs-digest-integrity`` and
``logs-delivery-continuity`` checks judge it offline.

Like :mod:`auditor.model.log_evidence`: immutable msgspec structs whose fields
are the document's keys in the order the validator writes them, so a document
reads and writes back unchanged; a key it may lack is ``UNSET`` when absent.
The JSON Schema is generated (``auditor/schemas/integrity.schema.json``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

INTEGRITY_SCHEMA_VERSION = 1

Time = Annotated[str, Meta(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")]
Count = Annotated[int, Meta(ge=0)]
Hours = Annotated[int, Meta(ge=0)] | Annotated[float, Meta(ge=0)]


class FailureKind(enum.StrEnum):
    """Every way a digest chain or a log file can fail, reported separately.

    The kinds are distinct because they mean different things to an auditor: a
    modified log is tampering with evidence, a gap in digests is logging that
    was switched off, an unreadable source is missing evidence (ERROR).
    """

    LOG_FILE_MODIFIED = "log_file_modified"
    LOG_FILE_MISSING = "log_file_missing"
    DIGEST_MISSING = "digest_missing"
    DIGEST_MOVED = "digest_moved"
    DIGEST_CONTENT_ALTERED = "digest_content_altered"
    SIGNATURE_INVALID = "signature_invalid"
    SIGNATURE_METADATA_MISSING = "signature_metadata_missing"
    PUBLIC_KEY_NOT_FOUND = "public_key_not_found"
    CHAIN_BROKEN = "chain_broken"
    #: The evidence could not be read (AccessDenied, throttling...): ERROR, not FAIL.
    SOURCE_UNREADABLE = "source_unreadable"


class FileStatus(enum.StrEnum):
    """The verdict on one digest or log file."""

    VALID = "valid"
    INVALID = "invalid"
    MISSING = "missing"
    ERROR = "error"


class FileKind(enum.StrEnum):
    """What a file result is about."""

    DIGEST = "digest"
    LOG = "log"


class _Doc(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of every part of the document."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form (plain dicts, lists and scalars; enums as their values)."""
        out: dict[str, Any] = msgspec.to_builtins(self)
        return out


class _OnChain:
    """The ``chain`` of an entry with a chain's account, region and trail ARN.

    A mixin rather than a base with the fields, so each entry keeps its keys where
    the validator writes them (first in :class:`_Scoped`, last in :class:`IntegrityFile`).
    """

    __slots__ = ()
    account_id: str
    region: str
    trail_arn: str

    @property
    def chain(self) -> tuple[str, str, str]:
        """(account, region, trail ARN): the chain this entry belongs to."""
        return (self.account_id, self.region, self.trail_arn)


class _Scoped(_Doc, _OnChain, frozen=True, kw_only=True):
    """An entry that belongs to one chain: an account's digests for one trail in one region."""

    account_id: str
    region: str
    #: Empty when no digest named the trail.
    trail_arn: str


class IntegrityRange(_Doc, frozen=True, kw_only=True):
    """The range validation was asked for (None: unbounded)."""

    start: Time | None
    end: Time | None


class IntegrityScopeSummary(_Doc, frozen=True, kw_only=True):
    """Where validation read and what it covered."""

    source: Literal["s3", "local"]
    location: str
    trails: tuple[str, ...]
    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    range: IntegrityRange


class IntegrityFile(_Doc, _OnChain, frozen=True, kw_only=True):
    """The verdict on one digest file or one log file a digest lists."""

    kind: FileKind
    path: str
    status: FileStatus
    failure_kind: FailureKind | None
    detail: str
    account_id: str
    region: str
    trail_arn: str


class IntegrityFailure(_Doc, frozen=True, kw_only=True):
    """One failed file, as listed under its failure kind."""

    path: str
    detail: str
    account_id: str
    region: str
    trail_arn: str


class IntegrityGap(_Scoped, frozen=True, kw_only=True):
    """A period longer than the tolerance with no digest file (read by logs-delivery-continuity)."""

    start: Time
    end: Time
    hours: Hours


class IntegritySourceError(_Scoped, frozen=True, kw_only=True):
    """Evidence that could not be read (AccessDenied...): ERROR, never PASS."""

    operation: str
    error_code: str
    message: str
    resource: str


class IntegrityChain(_Scoped, frozen=True, kw_only=True):
    """One chain that was validated."""


class IntegritySpan(_Scoped, frozen=True, kw_only=True):
    """The span the digests found for one chain actually cover."""

    start: str
    end: str


class IntegrityDocument(_Doc, frozen=True, kw_only=True):
    """What CloudTrail digest-chain validation found; stored in Snapshot.integrity.

    Judged by logs-digest-integrity (files, errors) and logs-delivery-continuity
    (digest_gaps, validated).
    """

    schema_version: Literal[1]
    scope: IntegrityScopeSummary
    digests_total: Count
    digests_valid: Count
    log_files_total: Count
    log_files_valid: Count
    files: tuple[IntegrityFile, ...]
    #: Failed files grouped by failure kind.
    failures: Mapping[FailureKind, tuple[IntegrityFailure, ...]]
    failure_counts: Mapping[FailureKind, Annotated[int, Meta(ge=1)]]
    digest_gaps: tuple[IntegrityGap, ...]
    gap_tolerance_hours: Hours | UnsetType = UNSET
    errors: tuple[IntegritySourceError, ...]
    validated: tuple[IntegrityChain, ...]
    found: tuple[IntegritySpan, ...] | UnsetType = UNSET

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IntegrityDocument:
        """Type and validate a JSON document (raises msgspec.ValidationError, a ValueError)."""
        return msgspec.convert(data, cls)

"""The snapshot: everything the collector saw, and everything it could not see.

A snapshot is the single input of every configuration check. It is a tree of
frozen dataclasses, built by :mod:`auditor.aws.collect` (the only layer that talks
to AWS) or loaded from JSON, so that an audit can be re-evaluated offline.

Fail-closed convention: any field whose evidence had to be fetched from AWS is
typed ``X | CollectionError``. A ``CollectionError`` in that place means "we
could not see it" and checks must turn it into an ERROR result, never a PASS.
``None`` means "AWS answered that it is not configured" (for example
NoSuchBucketPolicy), which is a fact a check may judge.

This module holds the document (:class:`Snapshot`, its accounts and organisation,
hashing); the per-resource records it contains are in :mod:`auditor.model.resources`
and re-exported here, so ``from auditor.model.snapshot import Trail`` keeps working.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from auditor.model import serde
from auditor.model.integrity_report import IntegrityDocument
from auditor.model.log_evidence import LogEvidence
from auditor.model.resources import *  # noqa: F403  (re-exported: see the module docstring)
from auditor.model.resources import (
    Bucket,
    CollectionError,
    KmsKey,
    PublicAccessBlock,
    RegionSnapshot,
    Trail,
)
from auditor.model.resources import __all__ as _RESOURCE_NAMES

__all__ = [
    *_RESOURCE_NAMES,
    "SNAPSHOT_SCHEMA_VERSION",
    "AccountSnapshot",
    "OrgAccount",
    "Organization",
    "Snapshot",
    "canonical_json",
    "is_error",
]

SNAPSHOT_SCHEMA_VERSION = 1

# --------------------------------------------------------------------------- accounts


@dataclass(frozen=True)
class AccountSnapshot:
    """One account. ``access_error`` set means nothing else could be read."""

    account_id: str
    name: str | None = None
    access_error: CollectionError | None = None
    #: True for the organisation's management account (or a delegated admin).
    is_organization_management: bool | None = None
    enabled_regions: tuple[str, ...] = ()
    disabled_regions: tuple[str, ...] = ()
    regions: tuple[RegionSnapshot, ...] = ()
    #: Every trail this account's DescribeTrails listed, deduplicated by ARN.
    trails: tuple[Trail, ...] = ()
    s3_account_public_access_block: PublicAccessBlock | CollectionError | None = None

    def region(self, name: str) -> RegionSnapshot | None:
        """The snapshot of one region, if it was scanned."""
        for reg in self.regions:
            if reg.region == name:
                return reg
        return None


@dataclass(frozen=True)
class OrgAccount:
    """An account listed by Organizations ListAccounts."""

    account_id: str
    name: str = ""
    status: str = "ACTIVE"


@dataclass(frozen=True)
class Organization:
    """DescribeOrganization plus ListAccounts."""

    id: str
    management_account_id: str
    accounts: tuple[OrgAccount, ...] = ()
    #: ListDelegatedAdministrators(ServicePrincipal=cloudtrail.amazonaws.com): the accounts
    #: that administer CloudTrail for the organisation (their organisation trails are owned
    #: by the management account). None: not collected (a scan without --organization).
    cloudtrail_delegated_admins: tuple[str, ...] | CollectionError | None = None


@dataclass(frozen=True)
class Snapshot:
    """Everything one collection saw. Checks are pure functions of this."""

    collected_at: str  # ISO 8601 UTC; also the "now" of every check
    tool_version: str
    partition: str = "aws"
    caller_account_id: str = ""
    requested_regions: tuple[str, ...] | None = None
    organization: Organization | CollectionError | None = None
    accounts: tuple[AccountSnapshot, ...] = ()
    buckets: tuple[Bucket, ...] = ()
    keys: tuple[KmsKey, ...] = ()
    errors: tuple[CollectionError, ...] = ()
    #: Log evidence (auditor.logs) and digest validation (auditor.integrity), typed
    #: documents of their own (auditor.model.log_evidence, auditor.model.integrity_report)
    #: so that they re-evaluate offline. Given as JSON (a Mapping), each is typed and
    #: validated here: a document that does not fit its model raises ValueError.
    log_evidence: LogEvidence | None = None
    integrity: IntegrityDocument | None = None
    schema_version: int = SNAPSHOT_SCHEMA_VERSION

    def __post_init__(self) -> None:
        raw_logs: object = self.log_evidence
        if isinstance(raw_logs, Mapping):
            object.__setattr__(self, "log_evidence", LogEvidence.from_dict(raw_logs))
        raw_integrity: object = self.integrity
        if isinstance(raw_integrity, Mapping):
            object.__setattr__(self, "integrity", IntegrityDocument.from_dict(raw_integrity))

    # -- lookups used by checks ------------------------------------------------

    def account(self, account_id: str) -> AccountSnapshot | None:
        """The account with this id, if it is in scope."""
        for acc in self.accounts:
            if acc.account_id == account_id:
                return acc
        return None

    def bucket(self, name: str) -> Bucket | None:
        """The collected bucket with this name."""
        for b in self.buckets:
            if b.name == name:
                return b
        return None

    def key(self, key_ref: str) -> KmsKey | None:
        """The collected key a trail names (by ARN, id or alias ARN)."""
        for k in self.keys:
            if k.key_ref == key_ref:
                return k
            if not isinstance(k.metadata, CollectionError) and key_ref in (
                k.metadata.arn,
                k.metadata.key_id,
            ):
                return k
        return None

    def trail(self, arn: str) -> Trail | None:
        """The most complete copy of a trail: its owner's, if the owner is in scope."""
        owner_copy = None
        any_copy = None
        for acc in self.accounts:
            for t in acc.trails:
                if t.arn == arn:
                    any_copy = any_copy or t
                    if acc.account_id == t.owner_account_id:
                        owner_copy = t
        return owner_copy or any_copy

    def accessible_accounts(self) -> Iterator[AccountSnapshot]:
        """Accounts whose credentials worked."""
        return (a for a in self.accounts if a.access_error is None)

    # -- persistence -----------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the document the schema describes)."""
        doc: dict[str, Any] = serde.to_jsonable(self)
        return doc

    def sha256(self) -> str:
        """SHA-256 of the canonical JSON form: what reports cite.

        Unkeyed, so it identifies the evidence and detects corruption; it does
        not prove the snapshot was not edited (see :mod:`auditor.model.snapshot_io`).
        """
        return hashlib.sha256(canonical_json(self.to_dict())).hexdigest()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Snapshot:
        """Rebuild from :meth:`to_dict` output (validate it first)."""
        return serde.from_jsonable(cls, data)


def canonical_json(data: Any) -> bytes:
    """Deterministic JSON bytes (sorted keys, no whitespace) for hashing."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def is_error(value: object) -> bool:
    """True when a collected field holds a CollectionError."""
    return isinstance(value, CollectionError)

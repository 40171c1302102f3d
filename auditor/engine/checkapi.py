"""The public API a check is written against (built-in or third-party).

A check is a pure function of a :class:`~auditor.model.snapshot.Snapshot` (through a
:class:`CheckContext`) plus its :class:`CheckMeta`. It never calls AWS. It
yields one :class:`CheckResult` per resource it judges, and must yield
something for every account in scope: NOT_APPLICABLE with a reason when there
is nothing to judge, ERROR with the collection error's reason when the
evidence could not be read. The engine turns a check that yields nothing, or
raises, into ERROR results, so silence can never read as a pass.

Example (a third-party check module)::

    from auditor.engine.checkapi import Check, CheckMeta, CheckContext, CheckResult, Remediation
    from auditor.engine.checkapi import Severity, Status

    META = CheckMeta(id="acme-trail-naming", title="Trails follow the naming rule",
                     severity=Severity.LOW, section="trail",
                     resource_type="AwsCloudTrailTrail", rationale="...",
                     remediation=Remediation(summary="Rename the trail."))

    def evaluate(ctx: CheckContext):
        for account in ctx.accounts():
            for trail in account.trails:
                ok = trail.name.startswith("acme-")
                yield ctx.result(account.account_id, trail.home_region,
                                 Status.PASS if ok else Status.FAIL,
                                 f"trail {trail.name}", resource_id=trail.name,
                                 resource_arn=trail.arn)

    CHECK = Check(META, evaluate)
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from auditor.model.snapshot import AccountSnapshot, CollectionError, RegionSnapshot, Snapshot


class Status(enum.StrEnum):
    """A result's status. WAIVED is set by a baseline, never by a check."""

    PASS = "PASS"  # noqa: S105 - a status, not a password
    FAIL = "FAIL"
    ERROR = "ERROR"
    NOT_APPLICABLE = "NOT_APPLICABLE"
    WAIVED = "WAIVED"


class Severity(enum.StrEnum):
    """Severity, most severe first."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """4 for critical down to 0 for info."""
        return {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}[self.value]


@dataclass(frozen=True)
class Remediation:
    """How to fix a failure: prose plus ready-to-adapt snippets."""

    summary: str
    cli: str = ""
    terraform: str = ""
    url: str = ""


@dataclass(frozen=True)
class CheckMeta:
    """What a check is, independent of any run."""

    id: str
    title: str
    severity: Severity
    #: trail | bucket | monitoring | account | logs
    section: str
    resource_type: str
    rationale: str
    remediation: Remediation
    #: Benchmark references, e.g. ("CIS AWS 3.2", "Security Hub CloudTrail.4").
    references: tuple[str, ...] = ()
    #: IAM actions the check's evidence needs, e.g. ("cloudtrail:DescribeTrails",).
    permissions: tuple[str, ...] = ()
    #: Where the catalogue and the public anchors disagree, what we chose.
    notes: str = ""


@dataclass(frozen=True)
class CheckResult:
    """One judgement of one resource."""

    status: Status
    account_id: str
    region: str  # a region name or "global"
    resource_type: str
    resource_id: str
    message: str
    resource_arn: str | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """Evaluation settings that are data, not code."""

    #: Days of retention bucket-retention requires (profile pci: 365, hipaa: 2190).
    retention_days: int = 365
    #: Days logs must stay immediately available (bucket-hot-retention).
    hot_retention_days: int = 90
    profile: str = "pci"
    trusted_accounts: tuple[str, ...] = ()
    #: Freshness limit for deliveries (trail-delivery-health, trail-cloudwatch-logs).
    delivery_max_age_hours: int = 24
    loggroup_min_retention_days: int = 365
    #: Tag keys every trail must carry (the baseline's ``required_tags``, trail-tags); none
    #: required: any tag passes.
    required_tags: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckContext:
    """What a check sees: the snapshot, the settings and the check's metadata."""

    snapshot: Snapshot
    meta: CheckMeta
    settings: Settings = field(default_factory=Settings)

    @property
    def now(self) -> datetime:
        """The snapshot's collection time: evaluation is reproducible offline."""
        return parse_time(self.snapshot.collected_at)

    def accounts(self) -> Iterator[AccountSnapshot]:
        """Accounts whose evidence could be read (the engine reports the others)."""
        return self.snapshot.accessible_accounts()

    def regions(self, account: AccountSnapshot) -> Iterator[RegionSnapshot]:
        """The scanned regions of an account."""
        return iter(account.regions)

    def result(
        self,
        account_id: str,
        region: str,
        status: Status,
        message: str,
        *,
        resource_id: str,
        resource_arn: str | None = None,
        resource_type: str | None = None,
        evidence: Mapping[str, Any] | None = None,
    ) -> CheckResult:
        """Build a result with this check's resource type by default."""
        return CheckResult(
            status=status,
            account_id=account_id,
            region=region,
            resource_type=resource_type or self.meta.resource_type,
            resource_id=resource_id,
            resource_arn=resource_arn,
            message=message,
            evidence=dict(evidence or {}),
        )

    def error(
        self,
        err: CollectionError,
        *,
        resource_id: str,
        resource_arn: str | None = None,
        region: str | None = None,
        account_id: str | None = None,
        resource_type: str | None = None,
    ) -> CheckResult:
        """An ERROR result that carries the collection failure as its reason."""
        return self.result(
            account_id or err.account_id,
            region or err.region,
            Status.ERROR,
            f"evidence could not be collected: {err.reason()}",
            resource_id=resource_id,
            resource_arn=resource_arn,
            resource_type=resource_type,
            evidence={
                "collection_error": {
                    "service": err.service,
                    "operation": err.operation,
                    "error_code": err.error_code,
                    "message": err.message,
                    "resource": err.resource,
                }
            },
        )


Evaluator = Callable[[CheckContext], Iterable[CheckResult]]


@dataclass(frozen=True)
class Check:
    """A check: its metadata and its pure evaluation function."""

    meta: CheckMeta
    evaluate: Evaluator


def parse_time(value: str) -> datetime:
    """Parse an ISO 8601 timestamp (with Z or offset) into an aware datetime."""
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)

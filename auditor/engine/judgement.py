"""The one judgement type of every check family, before it becomes a CheckResult.

Bucket checks (``policies``) return one per bucket, trail checks (``trails``) one per
trail and question, the alarm chain (``alarms``) one per candidate path, log checks
(``logjudge``) one per scope. It is three-valued where it matters: PASS is proven,
FAIL disproven, ERROR unknown because evidence was missing (``errors`` say which),
so a lack of evidence never reads as a PASS nor as a FAIL. NOT_APPLICABLE is for a
family that finds nothing to judge (a bucket that does not exist).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from auditor.engine.checkapi import CheckContext, CheckResult, Status
from auditor.model.snapshot import CollectionError

_OK = {Status.PASS: True, Status.FAIL: False}


@dataclass(frozen=True)
class Judgement:
    """One answer to one question about one thing, and why."""

    status: Status
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    #: The evidence that could not be collected, when ``status`` is ERROR because of it.
    errors: tuple[CollectionError, ...] = ()

    @classmethod
    def yes(cls, message: str) -> Judgement:
        """Proven (PASS)."""
        return cls(Status.PASS, message)

    @classmethod
    def no(cls, message: str) -> Judgement:
        """Disproven (FAIL)."""
        return cls(Status.FAIL, message)

    @classmethod
    def unknown(cls, message: str, *errors: CollectionError) -> Judgement:
        """Could not be judged (ERROR)."""
        return cls(Status.ERROR, message, errors=tuple(errors))

    @classmethod
    def of(cls, ok: bool | None, message: str) -> Judgement:
        """Three values to a judgement: True proven, False disproven, None unknown."""
        return cls.yes(message) if ok else cls.no(message) if ok is False else cls.unknown(message)

    @classmethod
    def either(cls, ok: bool, passed: str, failed: str, evidence: Mapping[str, Any] | None = None) -> Judgement:
        """PASS saying ``passed`` when ``ok``, else FAIL saying ``failed``; both with ``evidence``."""
        return cls(Status.PASS if ok else Status.FAIL, passed if ok else failed, evidence or {})

    @property
    def ok(self) -> bool | None:
        """True when proven, False when disproven, None otherwise (unknown or not applicable)."""
        return _OK.get(self.status)

    def result(
        self,
        ctx: CheckContext,
        account_id: str,
        region: str,
        *,
        resource_id: str,
        resource_arn: str | None = None,
        resource_type: str | None = None,
        evidence: Mapping[str, Any] | None = None,
    ) -> CheckResult:
        """The CheckResult saying this judgement, with ``evidence`` added to the judgement's own."""
        return ctx.result(
            account_id,
            region,
            self.status,
            self.message,
            resource_id=resource_id,
            resource_arn=resource_arn,
            resource_type=resource_type,
            evidence={**self.evidence, **(evidence or {})},
        )


@dataclass(frozen=True)
class Subject:
    """What a per-resource check judges, and where: a trail, a key, a log group, a store.

    Each family's builder names its resource once as a Subject; :meth:`result` then says
    any judgement of it, or the missing evidence, in the same words and fields.
    """

    account_id: str
    region: str
    resource_id: str
    resource_arn: str | None = None
    #: None for the check's own resource type.
    resource_type: str | None = None
    #: How messages name it ("trail org-trail"); a judgement's message follows after a colon.
    label: str = ""

    def result(
        self, ctx: CheckContext, verdict: Judgement | CollectionError, evidence: Mapping[str, Any] | None = None
    ) -> CheckResult:
        """The result saying ``verdict`` about this subject, ``evidence`` before the judgement's own.

        Missing evidence (a CollectionError) is ERROR with its reason (:meth:`CheckContext.error`).
        """
        if isinstance(verdict, CollectionError):
            return ctx.error(
                verdict,
                resource_id=self.resource_id,
                resource_arn=self.resource_arn,
                region=self.region,
                account_id=self.account_id,
                resource_type=self.resource_type,
            )
        return ctx.result(
            self.account_id,
            self.region,
            verdict.status,
            f"{self.label}: {verdict.message}" if self.label else verdict.message,
            resource_id=self.resource_id,
            resource_arn=self.resource_arn,
            resource_type=self.resource_type,
            evidence={**(evidence or {}), **verdict.evidence},
        )

"""Shared reasoning of the checks of a trail's configuration beyond coverage: data events
beyond S3, the trail's KMS key (state, rotation, policy), its CloudWatch Logs log group
(encryption, resource policies, retention) and trail tags.

Like :mod:`auditor.engine.trails`, every function here turns missing evidence into
ERROR (or an unknown judgement), never into PASS.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Status
from auditor.engine.judgement import Judgement, Subject
from auditor.engine.policies import (
    Statement,
    actions_cover,
    condition_entries,
    is_allow,
    principal_map,
    resources_cover,
    statements,
)
from auditor.engine.trails import (
    coverage_check,
    multi_region_logging,
    not_applicable_no_owned_trail,
    owned_trails,
    selectors_of,
    unlisted_trail_errors,
)
from auditor.model.arn import GLOBAL, log_group_name, parse_arn
from auditor.model.snapshot import AccountSnapshot, CollectionError, KmsKey, LogGroup, LogResourcePolicy, Trail
from auditor.semantics.event_selectors import DataResourceKind, data_coverage

# --------------------------------------------------------------------------- data events


def data_judgement(trail: Trail, kind: DataResourceKind) -> Judgement:
    """Whether the trail records read and write data events of every resource of ``kind``."""
    sel, problem = selectors_of(trail)
    if problem is not None or sel is None:
        return problem or Judgement.unknown("no selectors")
    cov = data_coverage(sel, kind)
    if cov.complete:
        return Judgement.yes(f"trail {trail.name} records read and write data events for all {kind.label}")
    missing = [k for k, ok in (("read", cov.read), ("write", cov.write)) if not ok]
    partial = f" (partial selectors: {'; '.join(cov.partial)})" if cov.partial else ""
    return Judgement.no(
        f"trail {trail.name} does not record {' and '.join(missing)} data events for all {kind.label}{partial}"
    )


def data_events_check(meta: CheckMeta, kind: DataResourceKind) -> Check:
    """One result per account: a multi-region, logging trail records all of ``kind``'s data events."""
    return coverage_check(
        meta,
        lambda trail: multi_region_logging(trail, data_judgement(trail, kind)),
        what=f"is multi-region, logging and records read and write data events for all {kind.label}",
    )


# --------------------------------------------------------------------------- keys


@dataclass(frozen=True)
class KeyUse:
    """A KMS key as used by the trails of one account."""

    account_id: str
    key_ref: str
    trails: tuple[Trail, ...]
    key: KmsKey | None


def keys_in_use(ctx: CheckContext) -> Iterator[tuple[AccountSnapshot, list[KeyUse]]]:
    """Per accessible account: the keys its own trails encrypt with (deduplicated)."""
    for account in ctx.accounts():
        by_ref: dict[str, list[Trail]] = {}
        for t in owned_trails(account):
            if t.kms_key_id:
                by_ref.setdefault(t.kms_key_id, []).append(t)
        uses = [KeyUse(account.account_id, ref, tuple(ts), ctx.snapshot.key(ref)) for ref, ts in by_ref.items()]
        yield account, uses


#: A per-key check's question about one key: its judgement, or the evidence that is missing.
KeyJudge = Callable[[CheckContext, KeyUse, KmsKey], Judgement | CollectionError]


def key_check(meta: CheckMeta, judge: KeyJudge) -> Check:
    """The check asking ``judge`` about every key the accounts' own trails use (see :func:`per_key`)."""

    def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
        """One result per key used by the account's trails."""

        def one(use: KeyUse, key: KmsKey) -> CheckResult:
            return key_result(ctx, use, judge(ctx, use, key))

        yield from per_key(ctx, one)

    return Check(meta, evaluate)


def per_key(
    ctx: CheckContext,
    judge: Callable[[KeyUse, KmsKey], CheckResult],
) -> Iterator[CheckResult]:
    """One result per key used by owned trails; NOT_APPLICABLE when there is none to judge."""
    for account, uses in keys_in_use(ctx):
        unlisted = unlisted_trail_errors(ctx, account)
        if not owned_trails(account):
            yield from unlisted or [not_applicable_no_owned_trail(ctx, account)]
            continue
        yield from unlisted
        if not uses:
            if not unlisted:
                yield ctx.result(
                    account.account_id,
                    GLOBAL,
                    Status.NOT_APPLICABLE,
                    "no trail of this account is encrypted with a KMS key (see trail-kms-encryption)",
                    resource_id=account.account_id,
                    resource_type="AwsAccount",
                )
            continue
        for use in uses:
            if use.key is None:
                yield key_result(
                    ctx,
                    use,
                    Judgement.unknown("the key was not collected with the snapshot; nothing can be concluded about it"),
                )
                continue
            yield judge(use, use.key)


def key_subject(use: KeyUse) -> Subject:
    """A key as the subject of a result: in the key's region (or the first trail's home region)."""
    region = use.key.region if use.key is not None else use.trails[0].home_region
    arn = use.key_ref
    if use.key is not None and not isinstance(use.key.metadata, CollectionError):
        arn = use.key.metadata.arn
    return Subject(use.account_id, region, arn, arn if arn.startswith("arn:") else None, "AwsKmsKey", f"key {arn}")


def key_result(ctx: CheckContext, use: KeyUse, verdict: Judgement | CollectionError) -> CheckResult:
    """A result about one key, its reference and trails first in the evidence.

    Evidence that could not be read is ERROR with the collection error, where it was read.
    """
    if isinstance(verdict, CollectionError):
        evidence = {"collection_error": verdict.evidence()}
        verdict = Judgement(Status.ERROR, f"evidence could not be collected: {verdict.reason()}", evidence)
    return key_subject(use).result(ctx, verdict, {"key_ref": use.key_ref, "trails": [t.arn for t in use.trails]})


# --------------------------------------------------------------------------- the trail's log group


@dataclass(frozen=True)
class TrailLogGroup:
    """A trail's log group as the snapshot holds it, with where it lives."""

    trail: Trail
    account_id: str
    region: str
    name: str
    arn: str  # without the ":*" suffix
    group: LogGroup
    resource_policies: tuple[LogResourcePolicy, ...] | CollectionError | None


def strip_stream_suffix(arn: str) -> str:
    """A log group ARN without the ``:*`` suffix trails and DescribeLogGroups use."""
    return arn[:-2] if arn.endswith(":*") else arn


def _parse_group_arn(arn: str) -> tuple[str | None, str | None, str]:
    """(region, account, name) of a log group ARN, tolerating the ``:*`` suffix."""
    parsed = parse_arn(arn)
    name = log_group_name(parsed) if parsed and parsed.service == "logs" else None
    if parsed is None or name is None:
        return None, None, strip_stream_suffix(arn)
    return parsed.region or None, parsed.account or None, name


#: The result for an account that owns no trail (by default :func:`not_applicable_no_owned_trail`).
NoTrail = Callable[[CheckContext, AccountSnapshot], CheckResult]


def trail_log_groups(
    ctx: CheckContext, no_trail: NoTrail = not_applicable_no_owned_trail
) -> Iterator[TrailLogGroup | CheckResult]:
    """Per owned trail: its log group, or the result (N/A, FAIL missing, ERROR) that replaces it.

    Accounts owning no trail get ``no_trail``'s NOT_APPLICABLE; regions whose trails could
    not be listed an ERROR each.
    """
    for account in ctx.accounts():
        owned = owned_trails(account)
        unlisted = unlisted_trail_errors(ctx, account)
        yield from unlisted
        if not owned:
            if not unlisted:
                yield no_trail(ctx, account)
            continue
        for trail in owned:
            group_arn = trail.cloudwatch_logs_log_group_arn
            if not group_arn:
                yield ctx.result(
                    account.account_id,
                    trail.home_region,
                    Status.NOT_APPLICABLE,
                    f"trail {trail.name} does not deliver to CloudWatch Logs (see trail-cloudwatch-logs)",
                    resource_id=trail.name,
                    resource_arn=trail.arn,
                    resource_type="AwsCloudTrailTrail",
                )
                continue
            yield _resolve(ctx, trail, group_arn)


def _resolve(ctx: CheckContext, trail: Trail, group_arn: str) -> TrailLogGroup | CheckResult:
    region, owner_id, name = _parse_group_arn(group_arn)
    region = region or trail.home_region
    arn = strip_stream_suffix(group_arn)
    owner = ctx.snapshot.account(owner_id or trail.owner_account_id)
    account_id = owner.account_id if owner else (owner_id or trail.owner_account_id)
    evidence = {"trail": trail.arn, "log_group_arn": group_arn}
    reg = owner.region(region) if owner is not None and owner.access_error is None else None
    if reg is None:
        return ctx.result(
            account_id,
            region,
            Status.ERROR,
            f"log group {name} of trail {trail.name} is in account {account_id}, region "
            f"{region}, which was not scanned; nothing can be concluded",
            resource_id=name,
            resource_arn=arn,
            evidence=evidence,
        )
    if isinstance(reg.log_groups, CollectionError):
        return ctx.error(reg.log_groups, resource_id=name, resource_arn=arn, region=region, account_id=account_id)
    found = next((g for g in reg.log_groups if strip_stream_suffix(g.arn) == arn or g.name == name), None)
    if found is None:
        return ctx.result(
            account_id,
            region,
            Status.FAIL,
            f"trail {trail.name} delivers to log group {name}, which does not exist",
            resource_id=name,
            resource_arn=arn,
            evidence=evidence,
        )
    return TrailLogGroup(trail, account_id, region, found.name, arn, found, reg.log_resource_policies)


def log_group_subject(tlg: TrailLogGroup) -> Subject:
    """A trail's log group as the subject of a result: in its account and region."""
    return Subject(tlg.account_id, tlg.region, tlg.name, tlg.arn, label=f"log group {tlg.name}")


def per_log_group(
    ctx: CheckContext,
    judge: Callable[[TrailLogGroup], CheckResult],
    no_trail: NoTrail = not_applicable_no_owned_trail,
) -> Iterator[CheckResult]:
    """``judge`` on every owned trail's log group; the results that replace a group pass as they are."""
    for item in trail_log_groups(ctx, no_trail):
        yield item if isinstance(item, CheckResult) else judge(item)


#: A loggroup-* check's question about one trail's log group: its judgement, or the evidence that is missing.
LogGroupJudge = Callable[[CheckContext, TrailLogGroup], Judgement | CollectionError]


def log_group_check(meta: CheckMeta, judge: LogGroupJudge) -> Check:
    """The check asking ``judge`` about every owned trail's log group (see :func:`trail_log_groups`)."""

    def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
        """One result per owned trail's log group."""

        def one(tlg: TrailLogGroup) -> CheckResult:
            evidence = {"trail": tlg.trail.arn, "log_group_arn": tlg.arn}
            return log_group_subject(tlg).result(ctx, judge(ctx, tlg), evidence)

        yield from per_log_group(ctx, one)

    return Check(meta, evaluate)


# --------------------------------------------------------------------------- resource policies

#: What another account could do to a trail's log group through a resource policy.
LOG_WRITE_ACTIONS = (
    "logs:PutLogEvents",
    "logs:CreateLogStream",
    "logs:DeleteLogStream",
    "logs:DeleteLogGroup",
    "logs:PutRetentionPolicy",
    "logs:DeleteRetentionPolicy",
    "logs:AssociateKmsKey",
    "logs:DisassociateKmsKey",
    "logs:PutSubscriptionFilter",
)
LOG_READ_ACTIONS = (
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
    "logs:StartQuery",
    "logs:StartLiveTail",
    "logs:GetLogRecord",
)

_ACCOUNT_IN_ARN = re.compile(r"^arn:[a-z-]+:(?:iam|sts)::(\d{12}):")
_SOURCE_KEYS = ("aws:sourceaccount", "aws:sourcearn", "aws:sourceowner")


@dataclass(frozen=True)
class Grant:
    """A statement that opens the log group to principals outside its account."""

    policy: str
    sid: str
    principals: tuple[str, ...]
    actions: tuple[str, ...]
    why: str

    def as_evidence(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "policy": self.policy,
            "sid": self.sid,
            "principals": list(self.principals),
            "actions": list(self.actions),
            "why": self.why,
        }


def _principal_account(value: str) -> str | None:
    if re.fullmatch(r"\d{12}", value):
        return value
    m = _ACCOUNT_IN_ARN.match(value)
    return m.group(1) if m else None


def _source_limited_to(stmt: Statement, allowed: set[str]) -> bool:
    """A positive aws:SourceAccount/SourceArn/SourceOwner condition naming only allowed accounts."""
    entries = [
        e
        for e in condition_entries(stmt)
        if e.key.lower() in _SOURCE_KEYS
        and not e.if_exists
        and e.values
        and "not" not in e.base
        and e.qualifier != "forallvalues"
    ]
    if not entries:
        return False
    for e in entries:
        for v in e.values:
            account = v if re.fullmatch(r"\d{12}", v) else (v.split(":")[4] if v.count(":") >= 5 else "")
            if account not in allowed:
                return False
    return True


def _covers_group(stmt: Statement, arn: str) -> bool:
    return any(resources_cover(stmt, a) for a in (arn, f"{arn}:*", f"{arn}:log-stream:x"))


def foreign_grants(policy: LogResourcePolicy, group_arn: str, owner: str, trusted: Sequence[str]) -> list[Grant]:
    """Allow statements of ``policy`` that let principals of other accounts read or write the group."""
    assert not isinstance(policy.document, CollectionError)
    if policy.resource_arn and strip_stream_suffix(policy.resource_arn) != group_arn:
        return []
    allowed = {owner, *trusted}
    out: list[Grant] = []
    for stmt in statements(policy.document):
        if not is_allow(stmt) or not (_covers_group(stmt, group_arn) or policy.resource_arn):
            continue
        actions = tuple(a for a in (*LOG_WRITE_ACTIONS, *LOG_READ_ACTIONS) if actions_cover(stmt, a))
        if not actions:
            continue
        sid = str(stmt.get("Sid", ""))
        if "NotPrincipal" in stmt:
            out.append(
                Grant(
                    policy.name,
                    sid,
                    ("NotPrincipal",),
                    actions,
                    "NotPrincipal allows everyone except the listed principals",
                )
            )
            continue
        foreign: list[str] = []
        for kind, values in principal_map(stmt).items():
            if kind != "AWS":
                continue  # service principals act for AWS services; checked by their source below
            for v in values:
                if v == "*":
                    if not _source_limited_to(stmt, allowed):
                        foreign.append(v)
                else:
                    account = _principal_account(v)
                    if account is None or account not in allowed:
                        foreign.append(v)
        services = principal_map(stmt).get("Service", [])
        if services and not foreign and not _source_limited_to(stmt, allowed):
            # a service writing on behalf of any account (no aws:SourceAccount/SourceArn): the
            # confused-deputy case, where another account's resource can make the service write here
            foreign.extend(f"{s} (for any account)" for s in services)
        if foreign:
            out.append(
                Grant(
                    policy.name,
                    sid,
                    tuple(foreign),
                    actions,
                    "principals outside the account (and the trusted accounts)",
                )
            )
    return out


def tag_keys(tags: Sequence[Any]) -> list[str]:
    """Sorted tag keys."""
    return sorted({t.key for t in tags})

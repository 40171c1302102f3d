"""Shared reasoning of the trail-* checks: which trails cover an account, and three-valued proof.

A coverage check asks "does some trail prove this account is covered?". Each
candidate trail answers with a :class:`Judgement`: proven (``ok`` True),
disproven (False) or unknown (None, because a piece of its evidence is a
CollectionError). The account PASSes if any trail proves it, is ERROR if none
proves it but some could not be judged, and FAILs only when every trail was
judged and none qualifies. A lack of evidence therefore never reads as a PASS
nor as a FAIL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from auditor.engine.accounts import Finding, account_check
from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Status, parse_time
from auditor.engine.judgement import Judgement, Subject
from auditor.engine.lake import lake_note, lake_recorders
from auditor.model.arn import GLOBAL
from auditor.model.snapshot import (
    AccountSnapshot,
    CollectionError,
    EventSelectors,
    Snapshot,
    Trail,
)
from auditor.semantics.event_selectors import ManagementCoverage, management_coverage, s3_data_coverage

_T = TypeVar("_T")


def all_of(*judgements: Judgement) -> Judgement:
    """AND in three values: any False decides; otherwise any unknown makes it unknown."""
    for j in judgements:
        if j.ok is False:
            return j
    unknown = [j for j in judgements if j.ok is None]
    if unknown:
        return Judgement.unknown("; ".join(j.message for j in unknown), *(e for j in unknown for e in j.errors))
    return Judgement.yes("; ".join(j.message for j in judgements))


# --------------------------------------------------------------------------- trail resolution


def _first_known(values: Iterable[Any]) -> Any:
    """The first value that is not a CollectionError or None, else the first error, else None."""
    first_error: Any = None
    for v in values:
        if v is None:
            continue
        if not isinstance(v, CollectionError):
            return v
        first_error = first_error or v
    return first_error


def trail_copies(snapshot: Snapshot, arn: str) -> list[Trail]:
    """Every copy of a trail across the accounts in scope, the owner's copy first."""
    owner: list[Trail] = []
    others: list[Trail] = []
    for acc in snapshot.accounts:
        for t in acc.trails:
            if t.arn == arn:
                (owner if acc.account_id == t.owner_account_id else others).append(t)
    return owner + others


def resolve_trail(snapshot: Snapshot, trail: Trail) -> Trail:
    """The authoritative view of a trail, merging what every copy in scope could read.

    Configuration comes from :meth:`Snapshot.trail` (the owner's copy when the
    owner is in scope). Status and selectors come from the first copy that
    could read them, so an organisation trail seen from a member account is
    judged by the owner's evidence, or by the member's when the owner's read
    failed; only when every copy failed does the error remain.
    """
    base = snapshot.trail(trail.arn) or trail
    copies = [base, *[c for c in trail_copies(snapshot, trail.arn) if c is not base]]
    if not any(c is trail for c in copies):
        copies.append(trail)
    return replace(
        base,
        status=_first_known(c.status for c in copies),
        event_selectors=_first_known(c.event_selectors for c in copies),
        insight_selectors=_first_known_insights(copies),
    )


def _first_known_insights(copies: Sequence[Trail]) -> tuple[str, ...] | CollectionError:
    first_error: CollectionError | None = None
    for c in copies:
        if isinstance(c.insight_selectors, CollectionError):
            first_error = first_error or c.insight_selectors
        else:
            return c.insight_selectors
    return first_error if first_error is not None else ()


def covering_trails(snapshot: Snapshot, account: AccountSnapshot) -> list[Trail]:
    """Trails that log this account's activity, resolved to their authoritative copy.

    Those are the account's own trails and organisation trails owned by
    another account; a non-organisation trail of another account does not
    log this account and is left out.
    """
    out: list[Trail] = []
    for t in account.trails:
        if t.owner_account_id == account.account_id or t.is_organization_trail:
            out.append(resolve_trail(snapshot, t))
    return out


def owned_trails(account: AccountSnapshot) -> list[Trail]:
    """Trails this account owns: the ones per-trail checks judge here."""
    return [t for t in account.trails if t.owner_account_id == account.account_id]


def trail_listing_errors(account: AccountSnapshot) -> list[tuple[str, CollectionError]]:
    """(region, error) for each scanned region whose DescribeTrails failed.

    A trail homed in such a region (a single-region one, or any trail when
    every listing failed) may be missing from ``account.trails``: "no trail
    here" is then unknown, not a fact.
    """
    return [(r.region, r.trail_arns) for r in account.regions if isinstance(r.trail_arns, CollectionError)]


def trails_may_be_missing(snapshot: Snapshot) -> list[str]:
    """Why the snapshot's trails may be incomplete: unreadable accounts, unlisted regions.

    Checks that narrow log evidence to "the trails' buckets/keys" use it: a
    resource of a trail nobody could list is otherwise silently ignored.
    """
    reasons: list[str] = []
    for acc in snapshot.accounts:
        if acc.access_error is not None:
            reasons.append(f"account {acc.account_id} could not be read")
        reasons.extend(
            f"the trails of account {acc.account_id} in {region} could not be listed"
            for region, _ in trail_listing_errors(acc)
        )
    return reasons


def narrowed_or_unknown(
    narrow: Iterable[CheckResult],
    broad: Iterable[CheckResult],
    missing: Sequence[str],
    what: str,
) -> Iterator[CheckResult]:
    """The narrowed results, with a PASS turned into ERROR where the broad reading FAILs.

    ``narrow`` judges only the known trails' resources, ``broad`` every
    resource. When trails may be missing, a change the narrow reading ignores
    may concern one of theirs: that scope cannot PASS.
    """
    if not missing:
        yield from narrow
        return
    by_scope = {(r.account_id, r.region): r for r in broad}
    for res in narrow:
        other = by_scope.get((res.account_id, res.region))
        if res.status is Status.PASS and other is not None and other.status is Status.FAIL:
            total = other.evidence.get("total", "some")
            res = replace(
                res,
                status=Status.ERROR,
                evidence={**other.evidence, "trails_may_be_missing": list(missing)},
                message=(
                    f"{total} {what} in account {res.account_id} ({res.region}) "
                    "concern resources not known to belong to a trail, but the "
                    "trail list is incomplete (" + "; ".join(missing) + "), so "
                    "they may concern one: nothing can be concluded"
                ),
            )
        yield res


def unlisted_trail_errors(ctx: CheckContext, account: AccountSnapshot) -> list[CheckResult]:
    """ERROR per region whose trails could not be listed: a trail homed there goes unjudged."""
    return [
        ctx.result(
            account.account_id,
            region,
            Status.ERROR,
            f"the trails of region {region} could not be listed, so a trail homed there is not judged: {err.reason()}",
            resource_id=account.account_id,
            resource_type="AwsAccount",
            evidence={"collection_error": err.evidence()},
        )
        for region, err in trail_listing_errors(account)
    ]


def trail_covers_region(trail: Trail, region: str) -> bool:
    """A multi-region trail covers every region; another trail only its home region."""
    return trail.is_multi_region or trail.home_region == region


# --------------------------------------------------------------------------- judgements


def logging_judgement(trail: Trail) -> Judgement:
    """Whether GetTrailStatus proves the trail is logging."""
    st = trail.status
    if isinstance(st, CollectionError):
        return Judgement.unknown(f"status of trail {trail.name} unreadable: {st.reason()}", st)
    if st is None:
        return Judgement.unknown(f"status of trail {trail.name} was not collected")
    if st.is_logging:
        return Judgement.yes(f"trail {trail.name} is logging")
    return Judgement.no(f"trail {trail.name} is not logging")


def selectors_of(trail: Trail) -> tuple[EventSelectors | None, Judgement | None]:
    """The trail's selectors, or an unknown judgement explaining why they cannot be used."""
    sel = trail.event_selectors
    if isinstance(sel, CollectionError):
        return None, Judgement.unknown(f"event selectors of trail {trail.name} unreadable: {sel.reason()}", sel)
    if sel is None:
        return None, Judgement.unknown(f"event selectors of trail {trail.name} were not collected")
    return sel, None


def management_judgement(trail: Trail, *, complete: bool) -> Judgement:
    """Whether the trail records management events (all of them when ``complete``)."""
    sel, problem = selectors_of(trail)
    if problem is not None or sel is None:
        return problem or Judgement.unknown("no selectors")
    cov: ManagementCoverage = management_coverage(sel)
    ok = cov.complete if complete else cov.any
    text = f"trail {trail.name} {cov.describe()}"
    return Judgement.of(ok, text)


def s3_data_judgement(trail: Trail, *, write: bool) -> Judgement:
    """Whether the trail records S3 object-level write (or read) events for all buckets."""
    kind = "write" if write else "read"
    sel, problem = selectors_of(trail)
    if problem is not None or sel is None:
        return problem or Judgement.unknown("no selectors")
    cov = s3_data_coverage(sel)
    if cov.write if write else cov.read:
        return Judgement.yes(f"trail {trail.name} records S3 object {kind} events for all buckets")
    partial = f" (only partial selectors: {'; '.join(cov.partial)})" if cov.partial else ""
    return Judgement.no(f"trail {trail.name} does not record S3 object {kind} events for all buckets{partial}")


def setting_judgement(key: str, value: str | None, passed: str, failed: str) -> Judgement:
    """PASS when a setting is set, saying ``passed`` with ``{}`` replaced by its value; else FAIL.

    The evidence holds ``key``: the value, or None when it is unset. For the checks that
    ask only "is it configured?" (a trail's KMS key and SNS topic, a log group's key).
    """
    return Judgement.either(bool(value), passed.format(value), failed, {key: value or None})


def multi_region_judgement(trail: Trail) -> Judgement:
    """Whether the trail is multi-region."""
    if trail.is_multi_region:
        return Judgement.yes(f"trail {trail.name} is multi-region")
    return Judgement.no(f"trail {trail.name} is single-region ({trail.home_region})")


def account_judgement(
    ctx: CheckContext,
    account: AccountSnapshot,
    judged: Sequence[tuple[Trail, Judgement]],
    *,
    what: str,
    region: str = GLOBAL,
    no_trail_message: str | None = None,
) -> Judgement:
    """PASS if some trail proves ``what``; ERROR if none does and some are unknown; else FAIL."""
    evidence: dict[str, Any] = {
        "trails": [
            {
                "arn": t.arn,
                "owner_account_id": t.owner_account_id,
                "verdict": {True: "proven", False: "not met", None: "unknown"}[j.ok],
                "reason": j.message,
            }
            for t, j in judged
        ],
    }
    lake = lake_recorders(ctx.snapshot, account)
    if lake:
        evidence["event_data_stores"] = lake
    proving = [(t, j) for t, j in judged if j.ok is True]
    if proving:
        t, _ = proving[0]
        return Judgement(Status.PASS, f"trail {t.name} ({t.arn}) {what}", evidence)
    unknown = [(t, j) for t, j in judged if j.ok is None]
    # An account-wide question is open while some region's trails could not be listed:
    # an unlisted trail might prove it. (A regional result needs only its own listing.)
    unlisted = trail_listing_errors(account) if region == GLOBAL else []
    if unknown or unlisted:
        errors = [e for _, j in unknown for e in j.errors] + [e for _, e in unlisted]
        if errors:
            evidence["collection_errors"] = [e.evidence() for e in errors]
        reasons = "; ".join(
            [j.message for _, j in unknown]
            + [f"the trails of region {r} could not be listed ({e.reason()})" for r, e in unlisted]
        )
        return Judgement(Status.ERROR, f"cannot prove that a trail {what}: {reasons}", evidence, tuple(errors))
    if not judged:
        msg = no_trail_message or f"no trail {what}: the account has no trail"
    else:
        msg = f"no trail {what}: " + "; ".join(j.message for _, j in judged)
    if lake:
        msg += lake_note(lake)
    return Judgement(Status.FAIL, msg, evidence)


def per_region_trails(
    ctx: CheckContext,
    account: AccountSnapshot,
    trails: Sequence[Trail],
    judge: Callable[[str, list[Trail]], Judgement],
) -> Iterator[Finding]:
    """Per scanned region: ``judge`` of the region and the ``trails`` that cover it.

    A region whose DescribeTrails failed is its listing's error instead: a trail homed
    there may be missing, so nothing about the region can be concluded.
    """
    for reg in ctx.regions(account):
        if isinstance(reg.trail_arns, CollectionError):
            yield Finding(reg.region, reg.trail_arns)
        else:
            yield Finding(reg.region, judge(reg.region, [t for t in trails if trail_covers_region(t, reg.region)]))


def coverage_check(meta: CheckMeta, judge: Callable[[Trail], Judgement], *, what: str) -> Check:
    """The check asking ``judge`` about every trail covering an account: one result per account.

    PASS when some trail proves ``what``, ERROR when none does and some could not be judged
    (see :func:`account_judgement`); ``meta`` names an account-level resource type.
    """

    def one(ctx: CheckContext, account: AccountSnapshot) -> Iterator[Finding]:
        judged = [(t, judge(t)) for t in covering_trails(ctx.snapshot, account)]
        yield Finding(GLOBAL, account_judgement(ctx, account, judged, what=what))

    return account_check(meta, one)


def multi_region_logging(trail: Trail, judgement: Judgement) -> Judgement:
    """``judgement`` of a trail that must also be multi-region and logging (CIS's coverage questions)."""
    return all_of(multi_region_judgement(trail), logging_judgement(trail), judgement)


def s3_data_events_check(meta: CheckMeta, *, write: bool) -> Check:
    """One result per account: a multi-region, logging trail records S3 object write/read events.

    The CIS 3.8 (write) and 3.9 (read) checks ask the same question of opposite
    event kinds; one implementation keeps their conditions identical.
    """
    kind = "write" if write else "read"
    return coverage_check(
        meta,
        lambda trail: multi_region_logging(trail, s3_data_judgement(trail, write=write)),
        what=f"is multi-region, logging and records S3 object {kind} events for all buckets",
    )


def per_owned_trail(
    ctx: CheckContext,
    judge: Callable[[AccountSnapshot, Trail], CheckResult],
) -> Iterator[CheckResult]:
    """One result per trail an account owns; NOT_APPLICABLE for an account that owns none.

    Regions whose trails could not be listed add an ERROR each (and replace
    the NOT_APPLICABLE): a trail homed there would otherwise go unjudged in silence.
    """
    for account in ctx.accounts():
        owned = owned_trails(account)
        unlisted = unlisted_trail_errors(ctx, account)
        if not owned:
            yield from unlisted or [not_applicable_no_owned_trail(ctx, account)]
            continue
        for trail in owned:
            yield judge(account, trail)
        yield from unlisted


def not_applicable_no_owned_trail(ctx: CheckContext, account: AccountSnapshot) -> CheckResult:
    """NOT_APPLICABLE for an account without a trail of its own, naming foreign trails."""
    foreign = [t for t in account.trails if t.owner_account_id != account.account_id]
    if foreign:
        names = ", ".join(
            f"{t.arn} (owned by {t.owner_account_id}"
            + ("" if ctx.snapshot.account(t.owner_account_id) else ", not in scope: not judged by this scan")
            + ")"
            for t in foreign
        )
        msg = f"no trail owned by this account; trails of other accounts are judged there: {names}"
    else:
        msg = "no trail in this account"
    return ctx.result(
        account.account_id,
        GLOBAL,
        Status.NOT_APPLICABLE,
        msg,
        resource_id=account.account_id,
        resource_type="AwsAccount",
    )


def trail_subject(trail: Trail, account_id: str | None = None) -> Subject:
    """A trail as the subject of a result: in its home region, its owner's by default."""
    return Subject(
        account_id or trail.owner_account_id,
        trail.home_region,
        trail.name,
        trail.arn,
        "AwsCloudTrailTrail",
        f"trail {trail.name}",
    )


def collected(value: _T | CollectionError | None, what: str) -> _T | CollectionError | Judgement:
    """A collected field of a trail or key; its error; or, when it was not collected, the unknown judgement.

    ``what`` names the field for the message ("the trail's tags were").
    """
    if value is None:
        return Judgement.unknown(f"{what} not collected; nothing can be concluded")
    return value


#: A per-trail check's question about one trail: its judgement, or the evidence that is missing.
TrailJudge = Callable[[CheckContext, Trail], Judgement | CollectionError]


def trail_check(meta: CheckMeta, judge: TrailJudge) -> Check:
    """The check asking ``judge`` about every trail, in the account that owns it (see :func:`per_owned_trail`)."""

    def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
        """One result per owned trail."""

        def one(account: AccountSnapshot, trail: Trail) -> CheckResult:
            return trail_subject(trail, account.account_id).result(ctx, judge(ctx, trail))

        yield from per_owned_trail(ctx, one)

    return Check(meta, evaluate)


def age_hours(ctx: CheckContext, iso_time: str) -> float | None:
    """Hours between an ISO time and the snapshot's collection time; None if unparseable."""
    try:
        return (ctx.now - parse_time(iso_time)).total_seconds() / 3600.0
    except ValueError:
        return None


def delivery_age_problem(
    ctx: CheckContext, delivered: str | None, what: str, evidence: dict[str, Any]
) -> str | Judgement | None:
    """Judge the last ``what`` (e.g. "delivery") time against Settings.delivery_max_age_hours.

    Returns the FAIL reason when no delivery is recorded or the last one is too
    old, None when it is fresh, and the ERROR judgement to return as is when the
    time cannot be parsed (fail closed: an unreadable time proves nothing).
    Records ``delivery_age_hours`` in ``evidence`` once the age is known.
    Shared by the S3 and CloudWatch Logs delivery checks so both apply the
    same freshness rule.
    """
    if delivered is None:
        return f"no {what} recorded"
    age = age_hours(ctx, delivered)
    if age is None:
        return Judgement(
            Status.ERROR, f"last {what} time {delivered!r} is not a valid timestamp; nothing can be concluded", evidence
        )
    evidence["delivery_age_hours"] = round(age, 2)
    limit = ctx.settings.delivery_max_age_hours
    if age > limit:
        return f"last {what} {delivered} is {age:.1f} h old (limit {limit} h)"
    return None

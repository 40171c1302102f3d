"""Never a false PASS: every configuration check, every field that can hold a CollectionError.

The promise under test: a check that could not see its evidence reports ERROR
(or FAIL on other, complete evidence), never PASS. Rather than listing by hand
which check reads which field (a list that rots when a field is added), the
dependency is measured:

* the fields are enumerated by walking the snapshot's dataclasses: every field
  whose annotation admits ``CollectionError`` (so a new field is covered as
  soon as the sound snapshot carries it);
* for each such field a handful of *adverse* values are derived from the sound
  value (None, empty, booleans flipped, states changed, a public policy ...);
* a check *depends* on the field, for a resource it PASSes, when one of those
  values takes that PASS away. Then an unreadable value must take it away too:
  what could have failed may not pass unseen.

Where a PASS legitimately survives an unreadable field, the adverse values do
not move the result either (Block Public Access fully on masks any ACL; the
trail list a check does not read), so no exception list is needed for them;
the ones that remain are in ``LEGITIMATE`` with the reason.

A second property needs no dependency at all: on a snapshot where the check
does not pass, making any field unreadable may never create a PASS.
"""

from __future__ import annotations

import dataclasses
import itertools
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import replace
from functools import cache
from typing import Any

import pytest

from auditor.engine.checkapi import Check, CheckContext, CheckResult, Settings, Status
from auditor.engine.registry import all_checks
from auditor.engine.runner import run_check
from auditor.model.snapshot import (
    AccountSnapshot,
    AclGrant,
    Bucket,
    BucketAcl,
    CollectionError,
    LogResourcePolicy,
    MetricFilter,
    MetricTransformation,
    ObjectLock,
    OrgAccount,
    Organization,
    PublicAccessBlock,
    Snapshot,
    Versioning,
)
from auditor.semantics.cis import CIS_ITEMS, METRIC_NAMESPACE, CisItem
from tests.builders import (
    ACCOUNT,
    LOG_GROUP,
    REGION,
    REGIONS,
    TRAIL_ARN,
    advanced_selectors,
    alarm,
    denied,
    sound_region,
    sound_snapshot,
    with_account,
    with_bucket,
    with_region,
    with_trail,
)

Path = tuple[str | int, ...]
Key = tuple[str, str, str]
MEMBER = "222222222222"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"

CONFIG_CHECKS: list[Check] = [c for c in all_checks() if not c.meta.id.startswith("logs-")]
CONFIG_IDS = [c.meta.id for c in CONFIG_CHECKS]
SETTINGS = Settings()
CIS_BY_CHECK = {item.check_id: item for item in CIS_ITEMS}


def unreadable(path: Path) -> CollectionError:
    """The error put in place of the field at ``path`` (its text names the path)."""
    return CollectionError(
        ACCOUNT, REGION, "test", "Read", "AccessDenied", f"unreadable for the test: {fmt(path)}", fmt(path)
    )


def fmt(path: Path) -> str:
    return ".".join(str(p) for p in path)


def full_snapshot(item: CisItem = CIS_ITEMS[0]) -> Snapshot:
    """sound_snapshot() plus one CIS item's metric filter and alarm: the check passes.

    One item per snapshot, not all fifteen: judging a filter against another
    item's pattern is the costly part of an alarm check, and the shape of the
    snapshot (hence the fields walked) is the same for every item.
    """
    mf = MetricFilter(
        LOG_GROUP, item.metric_name, item.pattern, (MetricTransformation(item.metric_name, METRIC_NAMESPACE),)
    )
    return with_region(sound_snapshot(), metric_filters=(mf,), alarms=(alarm(item.check_id, item.metric_name),))


def base_of(check: Check) -> Snapshot:
    """The snapshot a check is expected to pass on.

    Network activity events exist only in the advanced selector dialect: that check's base
    has the sound trail's selectors written as advanced selectors, plus network activity.
    """
    if check.meta.id == "trail-network-activity-events":
        return with_trail(FULL, event_selectors=advanced_selectors())
    item = CIS_BY_CHECK.get(check.meta.id)
    return FULL if item is None else full_snapshot(item)


# --------------------------------------------------------------------------- walking the model


@cache
def _cached_hints(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _hints(cls: Any) -> dict[str, Any]:
    return _cached_hints(cls)


def _union_args(annotation: Any) -> tuple[Any, ...]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)


def admits_error(annotation: Any) -> bool:
    return CollectionError in _union_args(annotation)


def admits_none(annotation: Any) -> bool:
    return type(None) in _union_args(annotation)


def error_fields(value: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """(path, annotation) of every field in the tree that may hold a CollectionError."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        hints = _hints(type(value))
        for f in dataclasses.fields(value):
            child = getattr(value, f.name)
            if admits_error(hints[f.name]) and not isinstance(child, CollectionError):
                yield (*path, f.name), hints[f.name]
            yield from error_fields(child, (*path, f.name))
    elif isinstance(value, tuple):
        for i, item in enumerate(value):
            yield from error_fields(item, (*path, i))


def get_at(value: Any, path: Path) -> Any:
    for step in path:
        value = value[step] if isinstance(step, int) else getattr(value, step)
    return value


def set_at(value: Any, path: Path, new: Any) -> Any:
    if not path:
        return new
    step, rest = path[0], path[1:]
    if isinstance(step, int):
        items = list(value)
        items[step] = set_at(items[step], rest, new)
        return tuple(items)
    return replace(value, **{step: set_at(getattr(value, step), rest, new)})


# --------------------------------------------------------------------------- adverse values

PUBLIC_STATEMENT = {"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}


#: Fields that name a thing rather than describe it: changing them changes the
#: result's resource id, not its verdict.
IDENTITY = frozenset(
    {
        "arn",
        "key_id",
        "name",
        "id",
        "owner_id",
        "topic_arn",
        "key_ref",
        "account_id",
        "home_region",
        "endpoint",
        "region",
    }
)
STRINGS = ("", "Disabled", "Suspended", "missing", "AWS", "GOVERNANCE", "AES256", "PendingConfirmation", "FAILURE")


def _scalar_variants(value: Any, annotation: Any) -> list[Any]:
    out: list[Any] = []
    if admits_none(annotation) and value is not None:
        out.append(None)
    if value is None and int in _union_args(annotation):
        out.append(1)
    if isinstance(value, bool):
        out.append(not value)
    elif isinstance(value, int):
        out.extend([0, 1])
    elif isinstance(value, str):
        out.extend(v for v in STRINGS if v != value)
    elif isinstance(value, tuple) and value:
        out.append(())
        if all(isinstance(v, str) for v in value) and len(value) > 1:
            out.append(value[:1])
    return out


#: Values the derivation cannot reach (a field None, a tuple empty in the full snapshot).
EXAMPLES: dict[type, list[Any]] = {
    BucketAcl: [BucketAcl("abc", (AclGrant("READ", "Group", grantee_uri=ALL_USERS),))],
    Organization: [
        Organization("o-example", ACCOUNT, (OrgAccount(ACCOUNT), OrgAccount(MEMBER))),
        Organization("o-example", MEMBER, (OrgAccount(ACCOUNT), OrgAccount(MEMBER))),
    ],
    # a region without a trail log group: its resource policies are not collected (None)
    tuple[LogResourcePolicy, ...]: [
        (
            LogResourcePolicy(
                "shared",
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
                            "Action": "logs:PutLogEvents",
                            "Resource": "*",
                        }
                    ]
                },
            ),
        )
    ],
}


def _is_instance(value: Any) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def adverse_values(value: Any, annotation: Any, depth: int = 0) -> list[Any]:
    """Plausible other values of a field: each one a fact AWS could have answered.

    A tuple of records gets the same change applied to every element (all
    alarms without actions, every rule disabled), which keeps the count small
    while still reaching the element each check reads.
    """
    out = _scalar_variants(value, annotation)
    if value is None:
        for t in _union_args(annotation):
            out.extend(EXAMPLES.get(t, []))
    else:
        out.extend(EXAMPLES.get(type(value), []))
    if isinstance(value, Mapping):
        statements = value.get("Statement", [])
        statements = statements if isinstance(statements, list) else [statements]
        out.append({})
        out.append({**value, "Statement": [*statements, PUBLIC_STATEMENT]})
        for i in range(len(statements)):
            out.append({**value, "Statement": statements[:i] + statements[i + 1 :]})
    elif _is_instance(value) and depth < 4:
        hints = _hints(type(value))
        for f in dataclasses.fields(value):
            if f.name in IDENTITY:
                continue
            child = getattr(value, f.name)
            for v in adverse_values(child, hints[f.name], depth + 1):
                out.append(replace(value, **{f.name: v}))
    elif isinstance(value, tuple) and value and all(_is_instance(v) for v in value) and depth < 4:
        per_element = [adverse_values(v, type(v), depth + 1) for v in value]
        for j in range(min(len(vs) for vs in per_element)):
            out.append(tuple(vs[j] for vs in per_element))
    return out


# --------------------------------------------------------------------------- running


def run(snap: Snapshot, check: Check) -> list[CheckResult]:
    return run_check(snap, check, SETTINGS)


def key(r: CheckResult) -> Key:
    return (r.account_id, r.region, r.resource_id)


def passes(results: list[CheckResult]) -> set[Key]:
    return {key(r) for r in results if r.status is Status.PASS}


def statuses_of(results: list[CheckResult]) -> set[Status]:
    return {r.status for r in results}


def describe(results: list[CheckResult]) -> str:
    return "\n".join(f"  {r.status} {key(r)}: {r.message}" for r in results)


FULL = full_snapshot()
FIELDS: list[tuple[Path, Any]] = [
    (p, a)
    for p, a in error_fields(FULL)
    # access_error is not evidence of one check but of the whole account: see the
    # dedicated test; fields empty in every region have no value to take away.
    if p[-1] != "access_error" and get_at(FULL, p) != ()
]
FIELD_IDS = [fmt(p) for p, _ in FIELDS]


def test_the_walk_reaches_every_field_the_brief_names() -> None:
    """If the walk stopped finding a field, the properties below would silently skip it."""
    found = {fmt(p) for p, _ in FIELDS}
    expected = {
        "accounts.0.regions.0.trail_arns",
        "accounts.0.regions.0.log_groups",
        "accounts.0.regions.0.metric_filters",
        "accounts.0.regions.0.alarms",
        "accounts.0.regions.0.config_recorders",
        "accounts.0.regions.0.topics.0.subscriptions",
        "accounts.0.trails.0.status",
        "accounts.0.trails.0.event_selectors",
        "accounts.0.trails.0.insight_selectors",
        "accounts.0.s3_account_public_access_block",
        "organization",
        "keys.0.metadata",
        "keys.0.rotation_enabled",
        "keys.0.policy",
        *(
            f"buckets.0.{f}"
            for f in (
                "existence",
                "region",
                "policy",
                "acl",
                "public_access_block",
                "versioning",
                "object_lock",
                "lifecycle",
                "logging",
                "encryption",
            )
        ),
    }
    assert expected <= found, sorted(expected - found)


def test_every_configuration_check_passes_on_the_full_snapshot() -> None:
    """The baseline of the dependency property: a check that never passes tests nothing."""
    not_passing = {c.meta.id: describe(res) for c in CONFIG_CHECKS if not passes(res := run(BASES[c.meta.id], c))}
    assert not_passing == {}


def test_every_base_snapshot_has_the_walked_fields() -> None:
    assert all([p for p, _ in error_fields(b)] == [p for p, _ in error_fields(FULL)] for b in BASES.values())


BASES: dict[str, Snapshot] = {c.meta.id: base_of(c) for c in CONFIG_CHECKS}
BASELINE: dict[str, set[Key]] = {c.meta.id: passes(run(BASES[c.meta.id], c)) for c in CONFIG_CHECKS}

#: (check id, field path) where a PASS legitimately survives an unreadable field.
LEGITIMATE: dict[tuple[str, str], str] = {}


def false_passes(check: Check, base: Snapshot, path: Path, annotation: Any) -> list[str]:
    """PASSes an adverse value of the field takes away but an unreadable value keeps."""
    baseline = passes(run(base, check))
    value = get_at(base, path)
    values = [None] if path[-1] in IDENTITY else adverse_values(value, annotation)
    assert values, f"no adverse value derived for {fmt(path)}"
    at_stake: set[Key] = set()
    for v in values:
        at_stake |= baseline - passes(run(set_at(base, path, v), check))
    if not at_stake:
        return []
    results = run(set_at(base, path, unreadable(path)), check)
    still = at_stake & passes(results)
    if not still:
        return []
    return [f"{check.meta.id} still PASSes {sorted(still)} with {fmt(path)} unreadable:\n{describe(results)}"]


def created_passes(check: Check, failing: Snapshot) -> list[str]:
    """PASSes that appear when any one field of a failing snapshot becomes unreadable."""
    before = passes(run(failing, check))
    created: list[str] = []
    for path, _ in error_fields(failing):
        results = run(set_at(failing, path, unreadable(path)), check)
        new = passes(results) - before
        if new:
            created.append(f"{fmt(path)} unreadable creates PASS {sorted(new)}:\n{describe(results)}")
    return created


@pytest.mark.parametrize(("path", "annotation"), FIELDS, ids=FIELD_IDS)
def test_an_unreadable_field_never_keeps_a_pass_it_could_have_taken_away(path: Path, annotation: Any) -> None:
    found: list[str] = []
    for check in CONFIG_CHECKS:
        if (check.meta.id, fmt(path)) not in LEGITIMATE:
            found += false_passes(check, BASES[check.meta.id], path, annotation)
    assert not found, "\n".join(found)


def failing_snapshot(
    check: Check, base: Snapshot | None = None, fields: list[tuple[Path, Any]] | None = None
) -> tuple[str, Snapshot] | None:
    """A snapshot (one adverse value of one field) on which the check FAILs."""
    if base is None and check.meta.id in HAND_MADE:
        return HAND_MADE[check.meta.id]
    base = base or BASES[check.meta.id]
    for path, annotation in fields or FIELDS:
        for v in adverse_values(get_at(base, path), annotation):
            snap = set_at(base, path, v)
            if any(r.status is Status.FAIL for r in run(snap, check)):
                return f"{fmt(path)}={v!r}"[:200], snap
    return None


def _second_trail(snap: Snapshot) -> Snapshot:
    second = replace(snap.accounts[0].trails[0], arn=TRAIL_ARN + "-2", name="org-trail-2")
    return with_account(snap, trails=(*snap.accounts[0].trails, second))


#: Checks no adverse value of a CollectionError-capable field makes FAIL on its own.
HAND_MADE: dict[str, tuple[str, Snapshot]] = {
    "bucket-mfa-delete": (
        "MFA delete off, governance-mode lock",
        with_bucket(
            FULL, versioning=Versioning("Enabled", "Disabled"), object_lock=ObjectLock(True, "GOVERNANCE", 400)
        ),
    ),
    "bucket-not-public": (
        "no Block Public Access anywhere, public policy",
        with_account(
            with_bucket(
                FULL, public_access_block=None, policy={"Version": "2012-10-17", "Statement": [PUBLIC_STATEMENT]}
            ),
            s3_account_public_access_block=None,
        ),
    ),
    "trail-duplicate-management-copies": ("two logging trails", _second_trail(FULL)),
    "trail-kms-encryption": ("trail without a key", with_trail(FULL, kms_key_id=None)),
    "trail-log-file-validation": ("validation off", with_trail(FULL, log_file_validation_enabled=False)),
    "trail-sns-notification": ("trail without a topic", with_trail(FULL, sns_topic_arn=None)),
}


@pytest.mark.parametrize("check", CONFIG_CHECKS, ids=CONFIG_IDS)
def test_an_unreadable_field_never_turns_a_failing_check_into_a_pass(check: Check) -> None:
    found = failing_snapshot(check)
    if found is None:
        pytest.fail(f"no adverse value makes {check.meta.id} FAIL: add one to HAND_MADE")
    how, failing = found
    assert any(r.status is Status.FAIL for r in run(failing, check)), how
    created = created_passes(check, failing)
    assert not created, f"failing snapshot: {how}\n" + "\n".join(created)


# --------------------------------------------------------------------------- organisation


def in_organisation(snap: Snapshot) -> Snapshot:
    """The snapshot plus a member account that sees the organisation trail.

    The member's copy could be listed but nothing more (its status, selectors
    and insights are unreadable, as with a member role lacking those reads),
    so every verdict about the member rests on the owner's copy: the
    properties then say whether an unreadable owner field leaks into a member
    PASS.
    """
    trail = snap.accounts[0].trails[0]
    copy = replace(
        trail,
        status=denied("GetTrailStatus", account=MEMBER),
        event_selectors=denied("GetEventSelectors", account=MEMBER),
        insight_selectors=denied("GetInsightSelectors", account=MEMBER),
    )
    member = AccountSnapshot(
        account_id=MEMBER,
        name="member",
        is_organization_management=False,
        enabled_regions=REGIONS,
        regions=tuple(replace(sound_region(r), log_groups=(), topics=()) for r in REGIONS),
        trails=(copy,),
        s3_account_public_access_block=PublicAccessBlock(True, True, True, True),
    )
    # the member administers CloudTrail for the organisation (its trail-organization is judged)
    org = Organization(
        "o-abc123", ACCOUNT, (OrgAccount(ACCOUNT), OrgAccount(MEMBER)), cloudtrail_delegated_admins=(MEMBER,)
    )
    return replace(snap, organization=org, accounts=(*snap.accounts, member))


ORG_BASES = {cid: in_organisation(b) for cid, b in BASES.items()}
ORG_FULL = in_organisation(FULL)
ORG_FIELDS: list[tuple[Path, Any]] = [
    (p, a) for p, a in error_fields(ORG_FULL) if p[-1] != "access_error" and get_at(ORG_FULL, p) != ()
]


def test_every_configuration_check_passes_for_both_accounts_of_the_organisation() -> None:
    """The member's unreadable copy is judged through the owner's: nothing is ERROR or FAIL."""
    bad: dict[str, str] = {}
    for c in CONFIG_CHECKS:
        res = run(ORG_BASES[c.meta.id], c)
        if {r.account_id for r in res} != {ACCOUNT, MEMBER} or statuses_of(res) - {Status.PASS, Status.NOT_APPLICABLE}:
            bad[c.meta.id] = describe(res)
    assert bad == {}


@pytest.mark.parametrize(("path", "annotation"), ORG_FIELDS, ids=[fmt(p) for p, _ in ORG_FIELDS])
def test_in_an_organisation_an_unreadable_field_never_keeps_a_pass(path: Path, annotation: Any) -> None:
    found: list[str] = []
    for check in CONFIG_CHECKS:
        found += false_passes(check, ORG_BASES[check.meta.id], path, annotation)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("check", CONFIG_CHECKS, ids=CONFIG_IDS)
def test_in_an_organisation_an_unreadable_field_never_creates_a_pass(check: Check) -> None:
    found = failing_snapshot(check, ORG_BASES[check.meta.id], ORG_FIELDS)
    if found is None:
        pytest.skip("no single adverse value makes it FAIL here (covered above by HAND_MADE)")
    how, failing = found
    created = created_passes(check, failing)
    assert not created, f"failing snapshot: {how}\n" + "\n".join(created)


# --------------------------------------------------------------------------- the properties bite


def _lax_versioning(ctx: CheckContext) -> Iterator[CheckResult]:
    """A deliberately wrong check: it reads an unreadable versioning as enabled."""
    for bucket in ctx.snapshot.buckets:
        v = bucket.versioning
        ok = isinstance(v, CollectionError) or (v is not None and v.status == "Enabled")
        yield ctx.result(ACCOUNT, REGION, Status.PASS if ok else Status.FAIL, "lax", resource_id=bucket.name)


LAX = Check(replace(CONFIG_CHECKS[0].meta, id="lax-versioning"), _lax_versioning)


def test_the_dependency_property_catches_a_check_that_passes_unread_evidence() -> None:
    found = false_passes(LAX, FULL, ("buckets", 0, "versioning"), _hints(Bucket)["versioning"])
    assert found and "lax-versioning still PASSes" in found[0]


def test_the_failing_snapshot_property_catches_a_check_that_passes_unread_evidence() -> None:
    failing = with_bucket(FULL, versioning=Versioning("Suspended"))
    found = created_passes(LAX, failing)
    assert [f.split(" ")[0] for f in found] == ["buckets.0.versioning"]


# --------------------------------------------------------------------------- more unknown, no more PASS


@pytest.mark.parametrize("check", CONFIG_CHECKS, ids=CONFIG_IDS)
def test_two_unreadable_fields_never_pass_where_either_alone_did_not(check: Check) -> None:
    """Monotonicity: losing a second piece of evidence can never create a PASS."""
    base = BASES[check.meta.id]
    alone = {p: passes(run(set_at(base, p, unreadable(p)), check)) for p, _ in FIELDS}
    created: list[str] = []
    for (p1, _), (p2, _) in itertools.combinations(FIELDS, 2):
        if p2[: len(p1)] == p1:  # p2 lies inside p1 (a store's config in a region's stores): p1 covers it
            continue
        both = set_at(set_at(base, p1, unreadable(p1)), p2, unreadable(p2))
        extra = passes(run(both, check)) - (alone[p1] & alone[p2])
        if extra:
            created.append(f"{fmt(p1)} + {fmt(p2)} unreadable: PASS {sorted(extra)}")
    assert not created, "\n".join(created)


# --------------------------------------------------------------------------- legitimate PASSes


BPA_CHECK = next(c for c in CONFIG_CHECKS if c.meta.id == "bucket-not-public")


@pytest.mark.parametrize(
    ("field", "setting"),
    [
        # IgnorePublicAcls makes S3 disregard every public ACL: the ACL's content cannot matter.
        ("acl", "ignore_public_acls"),
        # RestrictPublicBuckets confines a public policy to the owner account and AWS services.
        ("policy", "restrict_public_buckets"),
    ],
)
def test_block_public_access_legitimately_masks_an_unreadable_acl_or_policy(field: str, setting: str) -> None:
    """The one PASS an unreadable field may keep, and only with the masking setting on."""
    unread = with_account(
        with_bucket(
            FULL, **{field: denied(f"GetBucket{field}", "s3")}, public_access_block=PublicAccessBlock(**{setting: True})
        ),
        s3_account_public_access_block=None,
    )
    assert statuses_of(run(unread, BPA_CHECK)) == {Status.PASS}
    unmasked = with_bucket(
        unread,
        public_access_block=PublicAccessBlock(
            **{
                n: True
                for n in ("block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets")
                if n != setting
            }
        ),
    )
    assert statuses_of(run(unmasked, BPA_CHECK)) == {Status.ERROR}

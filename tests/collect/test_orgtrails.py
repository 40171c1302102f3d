"""Organisation trails cover member accounts even when a member's listing does not show them."""

from __future__ import annotations

from dataclasses import replace

from auditor.aws.collect._orgtrails import attach_organization_trails
from auditor.engine.checkapi import Settings, Status
from auditor.engine.registry import all_checks
from auditor.engine.runner import run_check
from auditor.model.snapshot import AccountSnapshot, CollectionError, OrgAccount, Organization
from tests.builders import ACCOUNT, sound_snapshot

MEMBER = "222222222222"
OUTSIDER = "333333333333"


def _org_snapshot():  # type: ignore[no-untyped-def]
    snap = sound_snapshot()
    member = AccountSnapshot(
        MEMBER,
        enabled_regions=snap.accounts[0].enabled_regions,
        regions=snap.accounts[0].regions,
        is_organization_management=False,
    )
    outsider = AccountSnapshot(
        OUTSIDER,
        enabled_regions=snap.accounts[0].enabled_regions,
        regions=snap.accounts[0].regions,
        is_organization_management=False,
    )
    org = Organization("o-abc", ACCOUNT, (OrgAccount(ACCOUNT), OrgAccount(MEMBER)))
    return replace(snap, organization=org, accounts=(*snap.accounts, member, outsider))


def _trail_enabled(snap):  # type: ignore[no-untyped-def]
    check = next(c for c in all_checks() if c.meta.id == "trail-enabled")
    return {r.account_id: r.status for r in run_check(snap, check, Settings())}


def test_member_gets_the_owner_copy_marked_inferred() -> None:
    snap = attach_organization_trails(_org_snapshot())
    member = snap.account(MEMBER)
    assert member is not None
    (trail,) = member.trails
    assert trail.inferred_from_organization and trail.owner_account_id == ACCOUNT
    assert snap.account(OUTSIDER).trails == ()  # type: ignore[union-attr]
    assert _trail_enabled(snap) == {ACCOUNT: Status.PASS, MEMBER: Status.PASS, OUTSIDER: Status.FAIL}


def test_nothing_is_attached_without_a_readable_organisation() -> None:
    snap = _org_snapshot()
    unreadable = replace(
        snap,
        organization=CollectionError(ACCOUNT, "global", "organizations", "DescribeOrganization", "AccessDenied", "no"),
    )
    assert attach_organization_trails(unreadable) == unreadable
    assert attach_organization_trails(replace(snap, organization=None)).account(MEMBER).trails == ()  # type: ignore[union-attr]


def test_a_trail_that_is_not_an_organisation_trail_is_not_attached() -> None:
    snap = _org_snapshot()
    owner = snap.accounts[0]
    local = replace(owner, trails=(replace(owner.trails[0], is_organization_trail=False),))
    snap = replace(snap, accounts=(local, *snap.accounts[1:]))
    assert attach_organization_trails(snap).account(MEMBER).trails == ()  # type: ignore[union-attr]

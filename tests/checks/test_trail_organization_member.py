"""An organisation trail seen from a member account: judged through the owner's copy."""

from __future__ import annotations

from dataclasses import replace
from importlib import import_module

import pytest

from auditor.engine.checkapi import Check, CheckResult, Settings, Status
from auditor.engine.runner import run_check
from auditor.model.snapshot import AccountSnapshot, Organization, Snapshot, TrailStatus
from tests.builders import (
    ACCOUNT,
    REGIONS,
    denied,
    own_trail,
    sound_region,
    sound_snapshot,
    sound_trail,
)
from tests.checks.test_trail_kms_checks import KEY_CHECKS
from tests.checks.test_trail_per_trail_checks import PER_TRAIL as TRAIL_CHECKS

MEMBER = "222222222222"
COVERAGE = [
    "trail-enabled",
    "trail-multi-region",
    "trail-global-service-events",
    "trail-s3-data-events-write",
    "trail-s3-data-events-read",
    "trail-insights",
]
PER_TRAIL = [*TRAIL_CHECKS, *KEY_CHECKS]

#: The member's copy of the organisation trail: nothing beyond DescribeTrails was readable.
UNREADABLE_COPY = sound_trail(
    status=denied("GetTrailStatus", account=MEMBER),
    event_selectors=denied("GetEventSelectors", account=MEMBER),
    insight_selectors=denied("GetInsightSelectors", account=MEMBER),
)


def member(*trails: object) -> AccountSnapshot:
    return AccountSnapshot(
        account_id=MEMBER,
        name="member",
        is_organization_management=False,
        enabled_regions=REGIONS,
        regions=tuple(sound_region(r) for r in REGIONS),
        trails=trails,
    )  # type: ignore[arg-type]


def member_results(check_id: str, snap: Snapshot) -> list[CheckResult]:
    chk: Check = import_module("checks." + check_id.replace("-", "_")).CHECK
    return [r for r in run_check(snap, chk, Settings()) if r.account_id == MEMBER]


def with_member(owner_in_scope: bool, copy: object = UNREADABLE_COPY) -> Snapshot:
    base = sound_snapshot(organization=Organization("o-abc123", ACCOUNT))
    accounts = (*base.accounts, member(copy)) if owner_in_scope else (member(copy),)
    return replace(base, accounts=accounts)


@pytest.mark.parametrize("check_id", COVERAGE)
def test_member_covered_through_owner_copy(check_id: str) -> None:
    res = member_results(check_id, with_member(owner_in_scope=True))
    assert res
    assert {r.status for r in res} == {Status.PASS}


@pytest.mark.parametrize("check_id", COVERAGE)
def test_member_with_owner_out_of_scope_and_unreadable_copy_is_error(check_id: str) -> None:
    res = [r for r in member_results(check_id, with_member(owner_in_scope=False)) if r.region == "global"]
    assert [r.status for r in res] == [Status.ERROR]
    assert "AccessDenied" in res[0].message


def test_member_readable_copy_proves_coverage_without_owner() -> None:
    res = member_results("trail-enabled", with_member(False, sound_trail()))
    assert [r.status for r in res] == [Status.PASS]


def test_member_copy_used_when_owner_copy_unreadable() -> None:
    base = sound_snapshot()
    owner = replace(base.accounts[0], trails=(sound_trail(status=denied("GetTrailStatus")),))
    snap = replace(base, accounts=(owner, member(sound_trail())))
    assert [r.status for r in member_results("trail-enabled", snap)] == [Status.PASS]


def test_member_stopped_org_trail_fails() -> None:
    base = sound_snapshot()
    owner = replace(base.accounts[0], trails=(sound_trail(status=TrailStatus(is_logging=False)),))
    snap = replace(base, accounts=(owner, member(UNREADABLE_COPY)))
    assert [r.status for r in member_results("trail-enabled", snap)] == [Status.FAIL]


def test_member_region_results_follow_owner_copy() -> None:
    res = member_results("trail-multi-region", with_member(owner_in_scope=True))
    assert sorted((r.region, r.status) for r in res) == [
        ("eu-west-1", Status.PASS),
        ("global", Status.PASS),
        ("us-east-1", Status.PASS),
    ]


def test_foreign_non_organisation_trail_does_not_cover_member() -> None:
    foreign = sound_trail(is_organization_trail=False)
    assert [r.status for r in member_results("trail-enabled", with_member(True, foreign))] == [Status.FAIL]


@pytest.mark.parametrize("check_id", PER_TRAIL)
def test_per_trail_checks_judge_the_trail_only_in_its_owner(check_id: str) -> None:
    res = member_results(check_id, with_member(owner_in_scope=True))
    assert [r.status for r in res] == [Status.NOT_APPLICABLE]
    assert f"owned by {ACCOUNT}" in res[0].message


def test_per_trail_not_applicable_says_owner_out_of_scope() -> None:
    res = member_results("trail-delivery-health", with_member(owner_in_scope=False))
    assert [r.status for r in res] == [Status.NOT_APPLICABLE]
    assert "not in scope" in res[0].message


def test_member_organization_check_not_applicable() -> None:
    res = member_results("trail-organization", with_member(owner_in_scope=True))
    assert [r.status for r in res] == [Status.NOT_APPLICABLE]


def test_member_duplicate_copies_counts_org_trail() -> None:
    own = own_trail(MEMBER, "own")
    base = sound_snapshot(organization=Organization("o-abc123", ACCOUNT))
    snap = replace(base, accounts=(*base.accounts, member(UNREADABLE_COPY, own)))
    res = member_results("trail-duplicate-management-copies", snap)
    assert {r.status for r in res} == {Status.FAIL}

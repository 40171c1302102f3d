"""CloudTrail Lake event data stores: PASS, FAIL, ERROR and NOT_APPLICABLE for each lake-* check,
and the trail-* findings that name a store recording the account."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from auditor.engine.checkapi import CheckResult, Settings, Status
from auditor.model.snapshot import AccountSnapshot, CollectionError, OrgAccount, Organization, Snapshot
from tests.builders import (
    ACCOUNT,
    REGION,
    STORE_ARN,
    denied,
    sound_account,
    sound_event_data_store,
    sound_snapshot,
    with_account,
    with_region,
    with_trail,
)
from tests.builders import run_by_id as run
from tests.mapping.catalogue import LAKE as LAKE_CHECKS

MEMBER = "222222222222"


def only(results: list[CheckResult]) -> CheckResult:
    assert len(results) == 1, results
    return results[0]


def with_store(snap: Snapshot, **changes: Any) -> Snapshot:
    return with_region(snap, event_data_stores=(sound_event_data_store(**changes),))


@pytest.mark.parametrize("check_id", LAKE_CHECKS)
def test_sound_store_passes(check_id: str) -> None:
    res = only(run(check_id, sound_snapshot()))
    assert res.status is Status.PASS, res.message
    assert (res.resource_arn, res.region, res.account_id) == (STORE_ARN, REGION, ACCOUNT)


@pytest.mark.parametrize(
    ("check_id", "change", "says"),
    [
        ("lake-kms-encryption", {"kms_key_id": None}, "AWS owns"),
        ("lake-multi-region", {"multi_region_enabled": False}, "only in us-east-1"),
        ("lake-organization", {"organization_enabled": False}, "not the organisation"),
        ("lake-retention", {"retention_days": 364}, "only 364 days (required 365)"),
        ("lake-termination-protection", {"termination_protection_enabled": False}, "off"),
        ("lake-ingestion", {"status": "STOPPED_INGESTION"}, "STOPPED_INGESTION"),
        ("lake-ingestion", {"status": "PENDING_DELETION"}, "PENDING_DELETION"),
    ],
)
def test_store_falling_short_fails_and_says_why(check_id: str, change: dict[str, Any], says: str) -> None:
    res = only(run(check_id, with_store(sound_snapshot(), **change)))
    assert res.status is Status.FAIL and says in res.message, res.message


def test_retention_follows_the_profile() -> None:
    snap = with_store(sound_snapshot(), retention_days=400)
    assert only(run("lake-retention", snap)).status is Status.PASS  # pci: 365
    hipaa = only(run("lake-retention", snap, Settings(retention_days=2190, profile="hipaa")))
    assert hipaa.status is Status.FAIL and hipaa.evidence["required_days"] == 2190
    unknown = only(run("lake-retention", with_store(sound_snapshot(), retention_days=None)))
    assert unknown.status is Status.ERROR


@pytest.mark.parametrize("check_id", LAKE_CHECKS)
def test_account_without_a_store_is_not_applicable(check_id: str) -> None:
    res = only(run(check_id, with_region(sound_snapshot(), event_data_stores=())))
    assert res.status is Status.NOT_APPLICABLE and "no CloudTrail Lake event data store" in res.message


@pytest.mark.parametrize("check_id", LAKE_CHECKS)
def test_unlisted_region_unreadable_store_and_old_snapshot_are_errors(check_id: str) -> None:
    listing = denied("ListEventDataStores", region="eu-west-1")
    res = run(check_id, with_region(sound_snapshot(), "eu-west-1", event_data_stores=listing))
    assert {r.status for r in res} == {Status.PASS, Status.ERROR}  # the home region's store is still judged
    assert any("ListEventDataStores" in r.message and r.region == "eu-west-1" for r in res if r.status is Status.ERROR)
    alone = run(
        check_id,
        with_region(with_region(sound_snapshot(), event_data_stores=()), "eu-west-1", event_data_stores=listing),
    )
    assert [r.status for r in alone] == [Status.ERROR]  # never NOT_APPLICABLE while a region is unknown
    get = denied("GetEventDataStore", resource=STORE_ARN)
    res_get = only(run(check_id, with_store(sound_snapshot(), config=get)))
    assert res_get.status is Status.ERROR and "GetEventDataStore" in res_get.message
    old = only(
        run(
            check_id,
            with_region(with_region(sound_snapshot(), event_data_stores=None), "eu-west-1", event_data_stores=None),
        )
    )
    assert old.status is Status.ERROR and "not collected" in old.message


def test_store_listed_in_two_regions_is_judged_once() -> None:
    snap = with_region(sound_snapshot(), "eu-west-1", event_data_stores=(sound_event_data_store(),))
    assert len(run("lake-kms-encryption", snap)) == 1


# --------------------------------------------------------------------------- lake-organization


def _org(admins: Any = ()) -> Organization:
    return Organization(
        "o-example", ACCOUNT, (OrgAccount(ACCOUNT), OrgAccount(MEMBER)), cloudtrail_delegated_admins=admins
    )


def _member_store_snapshot(admins: Any, **store: Any) -> Snapshot:
    member = replace(sound_account(), account_id=MEMBER, is_organization_management=False)
    member = replace(
        member,
        regions=tuple(
            replace(
                r,
                event_data_stores=(replace(sound_event_data_store(**store), arn=STORE_ARN.replace(ACCOUNT, MEMBER)),)
                if r.region == REGION
                else (),
            )
            for r in member.regions
        ),
    )
    snap = sound_snapshot(organization=_org(admins))
    return replace(snap, accounts=(*snap.accounts, member))


def _member(results: list[CheckResult]) -> CheckResult:
    return only([r for r in results if r.account_id == MEMBER])


def test_delegated_administrators_own_store_must_be_organisation_enabled() -> None:
    res = _member(run("lake-organization", _member_store_snapshot((MEMBER,), organization_enabled=False)))
    assert res.status is Status.FAIL and "delegated administrator" in res.message
    ok = _member(run("lake-organization", _member_store_snapshot((MEMBER,))))
    assert ok.status is Status.PASS


def test_member_store_is_not_applicable_and_unknown_admins_are_an_error() -> None:
    res = _member(run("lake-organization", _member_store_snapshot((), organization_enabled=False)))
    assert res.status is Status.NOT_APPLICABLE
    err = _member(
        run(
            "lake-organization",
            _member_store_snapshot(
                denied("ListDelegatedAdministrators", service="organizations"), organization_enabled=False
            ),
        )
    )
    assert err.status is Status.ERROR and "ListDelegatedAdministrators" in err.message


def test_store_outside_an_organisation_is_not_applicable_and_unreadable_organisation_an_error() -> None:
    outside = with_account(sound_snapshot(), is_organization_management=False)
    assert only(run("lake-organization", outside)).status is Status.NOT_APPLICABLE
    unreadable = replace(outside, organization=denied("DescribeOrganization", service="organizations"))
    assert only(run("lake-organization", unreadable)).status is Status.ERROR


# --------------------------------------------------------------------------- trail-* evidence


def _unlogged_member(store_changes: dict[str, Any] | None = None) -> Snapshot:
    """The management account's organisation store records a member that has no trail."""
    member = AccountSnapshot(
        account_id=MEMBER,
        is_organization_management=False,
        enabled_regions=(REGION,),
        regions=(replace(sound_account().regions[0], trail_arns=(), event_data_stores=()),),
    )
    snap = sound_snapshot(organization=_org())
    snap = with_trail(snap, is_organization_trail=False)
    if store_changes:
        snap = with_store(snap, **store_changes)
    return replace(snap, accounts=(*snap.accounts, member))


def test_no_trail_logging_finding_names_the_organisation_event_data_store() -> None:
    res = _member(run("trail-enabled", _unlogged_member()))
    assert res.status is Status.FAIL
    assert "CloudTrail Lake event data store org-events (organisation) records the account" in res.message
    assert res.evidence["event_data_stores"][0]["arn"] == STORE_ARN


@pytest.mark.parametrize(
    "change",
    [
        {"organization_enabled": False},
        {"status": "STOPPED_INGESTION"},
        {"config": CollectionError(ACCOUNT, REGION, "cloudtrail", "GetEventDataStore", "AccessDenied", "no")},
    ],
)
def test_a_store_that_does_not_record_the_member_is_not_named(change: dict[str, Any]) -> None:
    res = _member(run("trail-enabled", _unlogged_member(change)))
    assert res.status is Status.FAIL and "CloudTrail Lake" not in res.message
    assert "event_data_stores" not in res.evidence

"""Never a PASS on no evidence: empty and missing evidence, for every configuration check.

Each case removes a whole source of evidence (no region scanned, no trail
listed, the bucket or key absent from the snapshot, no account at all) and
asserts that every check still says something, and that nothing PASSes unless
other evidence that is complete proves it. Those exceptions are listed per
case with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from auditor.engine.checkapi import Check, CheckResult, Settings, Status
from auditor.engine.registry import all_checks
from auditor.engine.runner import run_check
from auditor.model.snapshot import CollectionError, Snapshot
from tests.builders import (
    ACCOUNT,
    REGIONS,
    denied,
    sound_snapshot,
    with_account,
    with_region,
)
from tests.checks.test_fail_closed import BASES

ALL = all_checks()
CONFIG = [c for c in ALL if not c.meta.id.startswith("logs-")]
IDS = [c.meta.id for c in CONFIG]

#: Account-level questions a listed trail answers on its own ("is some trail logging?").
ANSWERED_BY_A_LISTED_TRAIL = frozenset(
    {
        "trail-enabled",
        "trail-global-service-events",
        "trail-insights",
        "trail-organization",
        "trail-s3-data-events-read",
        "trail-s3-data-events-write",
        "trail-lambda-data-events",
        "trail-dynamodb-data-events",
        "trail-network-activity-events",
        *(c.meta.id for c in CONFIG if c.meta.id.startswith("alarm-")),
    }
)


def run(snap: Snapshot, check: Check) -> list[CheckResult]:
    return run_check(snap, check, Settings())


def statuses(results: list[CheckResult]) -> set[Status]:
    return {r.status for r in results}


def assert_said_something(check: Check, results: list[CheckResult]) -> None:
    assert results, f"{check.meta.id} is silent"
    for r in results:
        assert r.message.strip(), f"{check.meta.id} gave {r.status} without a reason"


def no_trails(snap: Snapshot, listing: Callable[[str], tuple[str, ...] | CollectionError]) -> Snapshot:
    """Every region's trail listing replaced by ``listing(region)``, and no trail known."""
    acc = snap.accounts[0]
    regions = tuple(replace(r, trail_arns=listing(r.region)) for r in acc.regions)
    return with_account(snap, trails=(), regions=regions)


# --------------------------------------------------------------------------- no region scanned

#: What these checks judge lives in regions: with none scanned nothing can pass.
REGIONAL = frozenset(
    {
        "config-recorder-all-regions",
        "loggroup-retention",
        "trail-duplicate-management-copies",
        *(c.meta.id for c in CONFIG if c.meta.id.startswith("alarm-")),
    }
)


@pytest.mark.parametrize("check", CONFIG, ids=IDS)
def test_an_account_with_no_region_scanned_never_passes_a_regional_check(check: Check) -> None:
    results = run(with_account(BASES[check.meta.id], regions=()), check)
    assert_said_something(check, results)
    if check.meta.id in REGIONAL:
        assert Status.PASS not in statuses(results), results


# --------------------------------------------------------------------------- no trail listed


#: With no trail at all (AWS said so), these still PASS on other, complete evidence.
PASS_WITHOUT_TRAILS = {
    # AWS Config recorders are read per region, independently of trails.
    "config-recorder-all-regions": "recorders are their own evidence",
    # A cost check: zero copies of management events cost nothing extra.
    "trail-duplicate-management-copies": "no trail, no duplicate cost",
    # CloudTrail Lake event data stores are listed per region, independently of trails.
    **{
        f"lake-{c}": "event data stores are their own evidence"
        for c in ("kms-encryption", "multi-region", "organization", "retention", "termination-protection", "ingestion")
    },
}


@pytest.mark.parametrize("check", CONFIG, ids=IDS)
def test_regions_that_list_no_trail_never_pass_on_trail_evidence(check: Check) -> None:
    results = run(no_trails(BASES[check.meta.id], lambda r: ()), check)
    assert_said_something(check, results)
    if check.meta.id not in PASS_WITHOUT_TRAILS:
        assert Status.PASS not in statuses(results), results


@pytest.mark.parametrize("check", CONFIG, ids=IDS)
def test_trails_that_could_not_be_listed_anywhere_are_an_error_not_absent(check: Check) -> None:
    snap = no_trails(BASES[check.meta.id], lambda r: denied("DescribeTrails", region=r))
    results = run(snap, check)
    assert_said_something(check, results)
    if check.meta.id == "config-recorder-all-regions" or check.meta.id.startswith("lake-"):
        return  # recorders and event data stores do not depend on trails
    assert statuses(results) == {Status.ERROR}, results
    assert all("DescribeTrails" in r.message for r in results), results


@pytest.mark.parametrize("check", CONFIG, ids=IDS)
def test_a_region_whose_trails_could_not_be_listed_is_reported(check: Check) -> None:
    """A trail homed in the unlisted region would be judged by nobody: ERROR for that region."""
    snap = with_region(BASES[check.meta.id], REGIONS[1], trail_arns=denied("DescribeTrails", region=REGIONS[1]))
    results = run(snap, check)
    if check.meta.id == "config-recorder-all-regions" or check.meta.id.startswith("lake-"):
        return
    if check.meta.id in ANSWERED_BY_A_LISTED_TRAIL:
        # The listed multi-region trail proves the account-level question.
        assert statuses(results) == {Status.PASS}, results
        return
    errors = [r for r in results if r.status is Status.ERROR and r.region == REGIONS[1]]
    assert errors and "DescribeTrails" in errors[0].message, results


def test_unlisted_trails_turn_an_account_level_fail_into_an_error() -> None:
    """A stopped trail fails trail-enabled, unless a trail we could not list might be logging."""
    check = next(c for c in CONFIG if c.meta.id == "trail-enabled")
    snap = sound_snapshot()
    acc = snap.accounts[0]
    stopped = with_account(
        snap, trails=(replace(acc.trails[0], status=replace(acc.trails[0].status, is_logging=False)),)
    )  # type: ignore[type-var]
    assert statuses(run(stopped, check)) == {Status.FAIL}
    unlisted = with_region(stopped, REGIONS[1], trail_arns=denied("DescribeTrails", region=REGIONS[1]))
    results = run(unlisted, check)
    assert statuses(results) == {Status.ERROR}
    assert "could not be listed" in results[0].message


# --------------------------------------------------------------------------- bucket, key absent


BUCKET_CHECKS = [c for c in CONFIG if c.meta.id.startswith("bucket-")]
KEY_CHECKS = [c for c in CONFIG if c.meta.id.startswith("trail-kms-key-")]


@pytest.mark.parametrize("check", BUCKET_CHECKS, ids=[c.meta.id for c in BUCKET_CHECKS])
def test_a_trail_bucket_missing_from_the_snapshot_is_an_error(check: Check) -> None:
    results = run(replace(sound_snapshot(), buckets=()), check)
    assert statuses(results) == {Status.ERROR}, results
    assert "not collected" in results[0].message


@pytest.mark.parametrize("check", KEY_CHECKS, ids=[c.meta.id for c in KEY_CHECKS])
def test_a_trail_key_missing_from_the_snapshot_is_an_error(check: Check) -> None:
    results = run(replace(sound_snapshot(), keys=()), check)
    assert statuses(results) == {Status.ERROR}, results
    assert "not collected" in results[0].message


# --------------------------------------------------------------------------- no account at all


@pytest.mark.parametrize("check", ALL, ids=[c.meta.id for c in ALL])
def test_a_snapshot_without_accounts_is_an_error_for_every_check(check: Check) -> None:
    results = run(replace(sound_snapshot(), accounts=()), check)
    assert results, f"{check.meta.id} is silent on a snapshot without accounts"
    assert_said_something(check, results)
    if check.meta.id.startswith("logs-"):
        # No log evidence in this snapshot: "log files were not read" is their answer.
        assert Status.PASS not in statuses(results), results
    else:
        assert statuses(results) == {Status.ERROR}, results


@pytest.mark.parametrize("check", ALL, ids=[c.meta.id for c in ALL])
def test_an_inaccessible_account_is_an_error_for_every_check(check: Check) -> None:
    snap = with_account(BASES.get(check.meta.id, sound_snapshot()), access_error=denied("AssumeRole", "sts"))
    results = run(snap, check)
    assert Status.PASS not in statuses(results), results
    errors = [r for r in results if r.status is Status.ERROR and r.account_id == ACCOUNT]
    assert errors and "AssumeRole" in errors[0].message, results


def test_an_unreadable_organisation_is_an_error_when_the_account_role_is_unknown() -> None:
    check = next(c for c in CONFIG if c.meta.id == "trail-organization")
    snap = with_account(
        replace(sound_snapshot(), organization=denied("DescribeOrganization", "organizations")),
        is_organization_management=None,
    )
    results = run(snap, check)
    assert statuses(results) == {Status.ERROR}, results
    assert "DescribeOrganization" in results[0].message

"""Account-level trail checks: trail-enabled, -multi-region, -global-service-events,
-organization, -s3-data-events-read/-write, -insights (run through the engine)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from auditor.engine.checkapi import Status
from auditor.model.snapshot import (
    AccountSnapshot,
    BasicEventSelector,
    CollectionError,
    DataResource,
    EventSelectors,
    FieldSelector,
    Organization,
    Snapshot,
    TrailStatus,
)
from tests.builders import (
    ACCOUNT,
    REGION,
    advanced_management,
    denied,
    sound_snapshot,
    sound_trail,
    with_account,
    with_region,
    with_trail,
)
from tests.builders import run_by_id as results


def status_of(check_id: str, snap: Snapshot, region: str = "global") -> Status:
    found = [r for r in results(check_id, snap) if r.account_id == ACCOUNT and r.region == region]
    assert len(found) == 1, found
    return found[0].status


ACCOUNT_CHECKS = [
    "trail-enabled",
    "trail-multi-region",
    "trail-global-service-events",
    "trail-organization",
    "trail-s3-data-events-write",
    "trail-s3-data-events-read",
    "trail-insights",
]
COVERAGE_CHECKS = [c for c in ACCOUNT_CHECKS if c != "trail-organization"]
NOT_LOGGING = TrailStatus(is_logging=False, stop_logging_time="2026-11-19T00:00:00Z")
STATUS_DENIED = denied("GetTrailStatus", resource=sound_trail().arn)
SELECTORS_DENIED = denied("GetEventSelectors", resource=sound_trail().arn)


@pytest.mark.parametrize("check_id", ACCOUNT_CHECKS)
def test_sound_snapshot_passes(check_id: str) -> None:
    assert status_of(check_id, sound_snapshot()) is Status.PASS


@pytest.mark.parametrize("check_id", COVERAGE_CHECKS)
def test_stopped_trail_fails(check_id: str) -> None:
    assert status_of(check_id, with_trail(sound_snapshot(), status=NOT_LOGGING)) is Status.FAIL


@pytest.mark.parametrize("check_id", COVERAGE_CHECKS)
def test_unreadable_status_is_error_never_pass(check_id: str) -> None:
    res = [r for r in results(check_id, with_trail(sound_snapshot(), status=STATUS_DENIED)) if r.region == "global"]
    assert [r.status for r in res] == [Status.ERROR]
    assert "AccessDenied" in res[0].message


@pytest.mark.parametrize("check_id", COVERAGE_CHECKS)
def test_account_without_trails_fails(check_id: str) -> None:
    snap = with_account(sound_snapshot(), trails=())
    assert status_of(check_id, snap) is Status.FAIL


def test_unreadable_trail_does_not_hide_a_proving_trail() -> None:
    second = sound_trail(arn=sound_trail().arn.replace("org-trail", "second"), name="second", status=STATUS_DENIED)
    snap = with_account(sound_snapshot(), trails=(sound_trail(), second))
    assert status_of("trail-enabled", snap) is Status.PASS


def test_unreadable_trail_plus_stopped_trail_is_error() -> None:
    second = sound_trail(arn=sound_trail().arn.replace("org-trail", "second"), name="second", status=STATUS_DENIED)
    snap = with_account(sound_snapshot(), trails=(sound_trail(status=NOT_LOGGING), second))
    assert status_of("trail-enabled", snap) is Status.ERROR


def test_status_not_collected_is_error() -> None:
    assert status_of("trail-enabled", with_trail(sound_snapshot(), status=None)) is Status.ERROR


# --------------------------------------------------------------------------- multi-region


def test_single_region_trail_fails_multi_region_and_uncovered_region() -> None:
    snap = with_trail(sound_snapshot(), is_multi_region=False)
    assert status_of("trail-multi-region", snap) is Status.FAIL
    assert status_of("trail-multi-region", snap, REGION) is Status.PASS
    res = [r for r in results("trail-multi-region", snap) if r.region == "eu-west-1"]
    assert [r.status for r in res] == [Status.FAIL]
    assert "no trail covers region eu-west-1" in res[0].message


def test_multi_region_yields_one_result_per_scanned_region() -> None:
    regions = sorted(r.region for r in results("trail-multi-region", sound_snapshot()))
    assert regions == ["eu-west-1", "global", "us-east-1"]


@pytest.mark.parametrize(
    "selectors",
    [
        EventSelectors(basic=(BasicEventSelector(read_write_type="WriteOnly"),)),
        EventSelectors(basic=(BasicEventSelector(read_write_type="ReadOnly"),)),
        EventSelectors(basic=(BasicEventSelector(exclude_management_event_sources=("kms.amazonaws.com",)),)),
        advanced_management(FieldSelector("readOnly", equals=("false",))),
    ],
)
def test_multi_region_needs_complete_management_events(selectors: EventSelectors) -> None:
    snap = with_trail(sound_snapshot(), event_selectors=selectors)
    assert status_of("trail-multi-region", snap) is Status.FAIL
    # Coverage of regions only needs a logging trail.
    assert status_of("trail-multi-region", snap, "eu-west-1") is Status.PASS


def test_multi_region_unreadable_selectors_is_error() -> None:
    snap = with_trail(sound_snapshot(), event_selectors=SELECTORS_DENIED)
    assert status_of("trail-multi-region", snap) is Status.ERROR


def test_multi_region_single_region_trail_fails_even_with_unreadable_status() -> None:
    snap = with_trail(sound_snapshot(), is_multi_region=False, status=STATUS_DENIED)
    assert status_of("trail-multi-region", snap) is Status.FAIL


def test_region_whose_trails_cannot_be_listed_is_error() -> None:
    err = denied("DescribeTrails", region="eu-west-1")
    snap = with_region(sound_snapshot(), "eu-west-1", trail_arns=err)
    res = [r for r in results("trail-multi-region", snap) if r.region == "eu-west-1"]
    assert [r.status for r in res] == [Status.ERROR]
    assert "DescribeTrails" in res[0].message


def test_region_with_unreadable_status_is_error() -> None:
    snap = with_trail(sound_snapshot(), status=STATUS_DENIED)
    assert status_of("trail-multi-region", snap, "eu-west-1") is Status.ERROR


# --------------------------------------------------------------------------- global service events


def test_global_service_events_excluded_fails() -> None:
    snap = with_trail(sound_snapshot(), include_global_service_events=False)
    assert status_of("trail-global-service-events", snap) is Status.FAIL


def test_global_service_events_on_data_only_trail_fails() -> None:
    sel = EventSelectors(
        basic=(
            BasicEventSelector(
                include_management_events=False, data_resources=(DataResource("AWS::S3::Object", ("arn:aws:s3",)),)
            ),
        )
    )
    snap = with_trail(sound_snapshot(), event_selectors=sel)
    assert status_of("trail-global-service-events", snap) is Status.FAIL


# --------------------------------------------------------------------------- organization


ORG = Organization(id="o-abc123", management_account_id=ACCOUNT)


def test_organization_not_applicable_outside_an_organisation() -> None:
    snap = with_account(sound_snapshot(), is_organization_management=None)
    assert status_of("trail-organization", snap) is Status.NOT_APPLICABLE


def test_organization_management_without_org_trail_fails() -> None:
    snap = with_trail(sound_snapshot(organization=ORG), is_organization_trail=False)
    assert status_of("trail-organization", snap) is Status.FAIL


def test_organization_management_known_from_organisation_passes() -> None:
    snap = with_account(sound_snapshot(organization=ORG), is_organization_management=None)
    assert status_of("trail-organization", snap) is Status.PASS


def test_organization_management_with_stopped_org_trail_fails() -> None:
    snap = with_trail(sound_snapshot(organization=ORG), status=NOT_LOGGING)
    assert status_of("trail-organization", snap) is Status.FAIL


def test_organization_management_without_trails_fails() -> None:
    snap = with_account(sound_snapshot(organization=ORG), trails=())
    assert status_of("trail-organization", snap) is Status.FAIL


def test_organization_unreadable_is_error() -> None:
    err = denied("DescribeOrganization", service="organizations")
    snap = with_account(sound_snapshot(organization=err), is_organization_management=None)
    assert status_of("trail-organization", snap) is Status.ERROR


def test_organization_member_account_not_applicable() -> None:
    org = Organization(id="o-abc123", management_account_id="999999999999")
    snap = with_account(sound_snapshot(organization=org), is_organization_management=False)
    res = results("trail-organization", snap)
    assert [r.status for r in res] == [Status.NOT_APPLICABLE]
    assert "member account" in res[0].message


# --------------------------------------------------------------------------- S3 data events


def _s3(rw: str) -> EventSelectors:
    return EventSelectors(
        basic=(
            BasicEventSelector(
                read_write_type="All",
                data_resources=(),
            ),
            BasicEventSelector(
                read_write_type=rw,
                include_management_events=False,
                data_resources=(DataResource("AWS::S3::Object", ("arn:aws:s3:::",)),),
            ),
        )
    )


def test_s3_write_only_selector_passes_write_fails_read() -> None:
    snap = with_trail(sound_snapshot(), event_selectors=_s3("WriteOnly"))
    assert status_of("trail-s3-data-events-write", snap) is Status.PASS
    assert status_of("trail-s3-data-events-read", snap) is Status.FAIL


def test_s3_read_only_selector_passes_read_fails_write() -> None:
    snap = with_trail(sound_snapshot(), event_selectors=_s3("ReadOnly"))
    assert status_of("trail-s3-data-events-read", snap) is Status.PASS
    assert status_of("trail-s3-data-events-write", snap) is Status.FAIL


def test_s3_single_bucket_selector_fails_and_names_partial() -> None:
    sel = EventSelectors(
        basic=(BasicEventSelector(data_resources=(DataResource("AWS::S3::Object", ("arn:aws:s3:::one-bucket/",)),)),)
    )
    snap = with_trail(sound_snapshot(), event_selectors=sel)
    res = [r for r in results("trail-s3-data-events-write", snap)]
    assert [r.status for r in res] == [Status.FAIL]
    assert "one-bucket" in res[0].message


def test_s3_on_single_region_trail_fails() -> None:
    snap = with_trail(sound_snapshot(), is_multi_region=False)
    assert status_of("trail-s3-data-events-read", snap) is Status.FAIL


@pytest.mark.parametrize("check_id", ["trail-s3-data-events-read", "trail-s3-data-events-write"])
def test_s3_unreadable_selectors_is_error(check_id: str) -> None:
    snap = with_trail(sound_snapshot(), event_selectors=SELECTORS_DENIED)
    assert status_of(check_id, snap) is Status.ERROR


# --------------------------------------------------------------------------- insights


def test_insights_absent_fails() -> None:
    assert status_of("trail-insights", with_trail(sound_snapshot(), insight_selectors=())) is Status.FAIL


def test_insights_unreadable_is_error() -> None:
    err = denied("GetInsightSelectors")
    assert status_of("trail-insights", with_trail(sound_snapshot(), insight_selectors=err)) is Status.ERROR


def test_insights_on_single_region_trail_fails() -> None:
    snap = with_trail(sound_snapshot(), is_multi_region=False)
    assert status_of("trail-insights", snap) is Status.FAIL


def test_insights_one_type_passes_and_names_the_missing_one() -> None:
    snap = with_trail(sound_snapshot(), insight_selectors=("ApiCallRateInsight",))
    res = results("trail-insights", snap)
    assert [r.status for r in res] == [Status.PASS]
    assert "missing ApiErrorRateInsight" in str(res[0].evidence)


# --------------------------------------------------------------------------- engine guarantees


@pytest.mark.parametrize("check_id", ACCOUNT_CHECKS)
def test_inaccessible_account_is_error(check_id: str) -> None:
    snap = sound_snapshot(
        accounts=(
            AccountSnapshot(
                account_id=ACCOUNT,
                access_error=CollectionError(ACCOUNT, "global", "sts", "AssumeRole", "AccessDenied", "no"),
            ),
        )
    )
    res = results(check_id, snap)
    assert {r.status for r in res} == {Status.ERROR}


@pytest.mark.parametrize("check_id", ACCOUNT_CHECKS)
def test_second_account_gets_its_own_result(check_id: str) -> None:
    other = replace(
        sound_snapshot().accounts[0], account_id="333333333333", trails=(), is_organization_management=False
    )
    snap = sound_snapshot(accounts=(*sound_snapshot().accounts, other))
    assert any(r.account_id == "333333333333" for r in results(check_id, snap))


def test_global_service_events_single_region_trail_outside_us_east_1_fails() -> None:
    snap = with_trail(sound_snapshot(), is_multi_region=False, home_region="eu-west-1")
    assert status_of("trail-global-service-events", snap) is Status.FAIL


def test_global_service_events_single_region_trail_in_us_east_1_passes() -> None:
    snap = with_trail(sound_snapshot(), is_multi_region=False)
    assert status_of("trail-global-service-events", snap) is Status.PASS

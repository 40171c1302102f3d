"""trail-duplicate-management-copies: one result per account and region, with a cost message."""

from __future__ import annotations

from auditor.engine.checkapi import CheckResult, Settings, Status
from auditor.engine.runner import run_check
from auditor.model.snapshot import BasicEventSelector, DataResource, EventSelectors, Snapshot
from checks.trail_duplicate_management_copies import CHECK
from tests.builders import (
    REGION,
    TRAIL_ARN,
    denied,
    sound_snapshot,
    sound_trail,
    with_account,
    with_region,
)

REGIONAL = sound_trail(
    arn=TRAIL_ARN.replace("org-trail", "legacy"), name="legacy", is_multi_region=False, is_organization_trail=False
)


def by_region(snap: Snapshot) -> dict[str, CheckResult]:
    res = run_check(snap, CHECK, Settings())
    out = {r.region: r for r in res}
    assert len(out) == len(res)
    return out


def test_one_trail_passes_in_every_region() -> None:
    res = by_region(sound_snapshot())
    assert set(res) == {"us-east-1", "eu-west-1"}
    assert {r.status for r in res.values()} == {Status.PASS}


def test_second_trail_in_home_region_fails_only_there_with_cost() -> None:
    res = by_region(with_account(sound_snapshot(), trails=(sound_trail(), REGIONAL)))
    assert res[REGION].status is Status.FAIL
    assert res["eu-west-1"].status is Status.PASS
    msg = res[REGION].message
    assert "2 trails" in msg and "$2.00" in msg and "100,000" in msg
    assert "event volume" in msg
    assert res[REGION].evidence["additional_copies"] == 1


def test_two_multi_region_trails_fail_everywhere() -> None:
    other = sound_trail(arn=TRAIL_ARN.replace("org-trail", "copy"), name="copy")
    res = by_region(with_account(sound_snapshot(), trails=(sound_trail(), other)))
    assert {r.status for r in res.values()} == {Status.FAIL}


def test_data_events_only_trail_is_no_copy() -> None:
    data_only = REGIONAL.__class__(
        **{
            **REGIONAL.__dict__,
            "event_selectors": EventSelectors(
                basic=(
                    BasicEventSelector(
                        include_management_events=False,
                        data_resources=(DataResource("AWS::S3::Object", ("arn:aws:s3",)),),
                    ),
                )
            ),
        }
    )
    res = by_region(with_account(sound_snapshot(), trails=(sound_trail(), data_only)))
    assert res[REGION].status is Status.PASS


def test_stopped_second_trail_is_no_copy() -> None:
    from auditor.model.snapshot import TrailStatus

    stopped = REGIONAL.__class__(**{**REGIONAL.__dict__, "status": TrailStatus(is_logging=False)})
    res = by_region(with_account(sound_snapshot(), trails=(sound_trail(), stopped)))
    assert res[REGION].status is Status.PASS


def test_unreadable_second_trail_that_could_duplicate_is_error() -> None:
    unknown = REGIONAL.__class__(**{**REGIONAL.__dict__, "status": denied("GetTrailStatus")})
    res = by_region(with_account(sound_snapshot(), trails=(sound_trail(), unknown)))
    assert res[REGION].status is Status.ERROR
    assert res["eu-west-1"].status is Status.PASS


def test_region_whose_trails_cannot_be_listed_is_error() -> None:
    res = by_region(with_region(sound_snapshot(), "eu-west-1", trail_arns=denied("DescribeTrails", region="eu-west-1")))
    assert res["eu-west-1"].status is Status.ERROR


def test_account_without_scanned_regions_is_not_applicable() -> None:
    res = by_region(with_account(sound_snapshot(), regions=()))
    assert [r.status for r in res.values()] == [Status.NOT_APPLICABLE]

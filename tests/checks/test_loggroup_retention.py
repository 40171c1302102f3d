"""loggroup-retention: the trail's CloudWatch Logs group keeps events long enough."""

from __future__ import annotations

from auditor.builtin_checks import loggroup_retention
from auditor.engine.checkapi import CheckResult, Settings, Status
from auditor.engine.runner import run_check
from auditor.model.snapshot import LogGroup, Snapshot
from tests.builders import (
    ACCOUNT,
    LOG_GROUP,
    LOG_GROUP_ARN,
    REGION,
    denied,
    sound_snapshot,
    with_region,
    with_trail,
)


def run(snap: Snapshot, settings: Settings | None = None) -> CheckResult:
    [res] = run_check(snap, loggroup_retention.CHECK, settings or Settings())
    return res


def with_retention(days: int | None) -> Snapshot:
    return with_region(sound_snapshot(), log_groups=(LogGroup(LOG_GROUP, LOG_GROUP_ARN, days),))


def test_never_expire_passes() -> None:
    res = run(sound_snapshot())
    assert res.status is Status.PASS and "never expires" in res.message
    assert (res.account_id, res.region, res.resource_id) == (ACCOUNT, REGION, LOG_GROUP)


def test_short_retention_fails_and_long_enough_passes() -> None:
    res = run(with_retention(90))
    assert res.status is Status.FAIL and "90" in res.message
    assert run(with_retention(365)).status is Status.PASS
    assert run(with_retention(365), Settings(loggroup_min_retention_days=400)).status is Status.FAIL


def test_log_group_found_by_arn_without_star_suffix_or_by_name() -> None:
    snap = with_region(sound_snapshot(), log_groups=(LogGroup(LOG_GROUP, "arn:bogus", 30),))
    assert run(snap).status is Status.FAIL  # matched by name
    snap = with_trail(with_retention(30), cloudwatch_logs_log_group_arn=LOG_GROUP_ARN[:-2])
    assert run(snap).status is Status.FAIL  # matched by ARN without ":*"


def test_missing_log_group_fails() -> None:
    res = run(with_region(sound_snapshot(), log_groups=()))
    assert res.status is Status.FAIL and "does not exist" in res.message


def test_unreadable_log_groups_are_error() -> None:
    res = run(with_region(sound_snapshot(), log_groups=denied("DescribeLogGroups", "logs")))
    assert res.status is Status.ERROR and "DescribeLogGroups" in res.message


def test_unscanned_region_is_error() -> None:
    arn = LOG_GROUP_ARN.replace(REGION, "ap-south-1")
    res = run(with_trail(sound_snapshot(), cloudwatch_logs_log_group_arn=arn))
    assert res.status is Status.ERROR and "not scanned" in res.message


def test_trail_without_log_group_is_not_applicable() -> None:
    res = run(with_trail(sound_snapshot(), cloudwatch_logs_log_group_arn=None))
    assert res.status is Status.NOT_APPLICABLE and "trail-cloudwatch-logs" in res.message


def test_trail_owned_elsewhere_is_not_judged_here() -> None:
    res = run(with_trail(sound_snapshot(), owner_account_id="999999999999"))
    assert res.status is Status.NOT_APPLICABLE


def test_meta_is_monitoring_section() -> None:
    meta = loggroup_retention.META
    assert meta.section == "monitoring" and meta.resource_type == "AwsLogsLogGroup"
    assert meta.remediation.cli.startswith("aws logs put-retention-policy")
    assert meta.remediation.terraform.startswith("resource ")

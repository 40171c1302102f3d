"""The 15 alarm-* checks (CIS 4.1-4.15): trail -> log group -> metric filter -> alarm -> SNS."""

from __future__ import annotations

import importlib
from dataclasses import replace
from typing import Any

import pytest

from auditor.engine.checkapi import Check, CheckResult, Settings, Severity, Status
from auditor.engine.runner import run_check
from auditor.model.snapshot import (
    AccountSnapshot,
    Alarm,
    BasicEventSelector,
    EventSelectors,
    MetricFilter,
    MetricTransformation,
    Snapshot,
    Subscription,
    TopicSubscriptions,
    TrailStatus,
)
from auditor.semantics.cis import CIS_ITEMS, METRIC_NAMESPACE, CisItem, item_by_check
from tests.builders import (
    LOG_GROUP,
    REGION,
    TOPIC_ARN,
    alarm,
    denied,
    sound_account,
    sound_region,
    sound_snapshot,
    sound_trail,
    with_region,
    with_trail,
)

IDS = [item.check_id for item in CIS_ITEMS]
MEMBER = "222222222222"


def check_of(item: CisItem) -> Check:
    module = importlib.import_module(f"auditor.builtin_checks.{item.check_id.replace('-', '_')}")
    check = module.CHECK
    assert isinstance(check, Check)
    return check


def metric_filter(
    item: CisItem,
    pattern: str | None = None,
    *,
    name: str | None = None,
    group: str = LOG_GROUP,
    metric: str | None = None,
) -> MetricFilter:
    return MetricFilter(
        log_group_name=group,
        name=name or item.metric_name,
        pattern=item.pattern if pattern is None else pattern,
        transformations=(MetricTransformation(metric or item.metric_name, METRIC_NAMESPACE),),
    )


def with_cis_alarms(snap: Snapshot, item: CisItem, **region_changes: Any) -> Snapshot:
    """The sound snapshot plus the item's filter and alarm in the home region."""
    changes: dict[str, Any] = {
        "metric_filters": (metric_filter(item),),
        "alarms": (alarm(item.check_id, item.metric_name),),
    }
    changes.update(region_changes)
    return with_region(snap, **changes)


def run(snap: Snapshot, item: CisItem) -> list[CheckResult]:
    return run_check(snap, check_of(item), Settings())


def only(snap: Snapshot, item: CisItem) -> CheckResult:
    results = run(snap, item)
    assert len(results) == 1, results
    return results[0]


# --------------------------------------------------------------------------- metadata


@pytest.mark.parametrize("item", CIS_ITEMS, ids=IDS)
def test_metadata_is_complete(item: CisItem) -> None:
    meta = check_of(item).meta
    assert meta.id == item.check_id
    assert meta.severity is Severity.LOW
    assert meta.section == "monitoring"
    assert meta.resource_type == "AwsCloudWatchAlarm"
    assert f"CIS AWS {item.number} (v3.0/v5.0)" in meta.references
    assert ("Security Hub " + item.security_hub in meta.references) if item.security_hub else True
    assert item.pattern in meta.remediation.cli
    assert "put-metric-alarm" in meta.remediation.cli and "sns subscribe" in meta.remediation.cli
    assert "aws_cloudwatch_log_metric_filter" in meta.remediation.terraform
    assert "aws_cloudwatch_metric_alarm" in meta.remediation.terraform
    assert set(meta.permissions) >= {
        "logs:DescribeMetricFilters",
        "cloudwatch:DescribeAlarms",
        "sns:ListSubscriptionsByTopic",
        "cloudtrail:GetTrailStatus",
    }
    assert meta.rationale


# --------------------------------------------------------------------------- the complete chain


@pytest.mark.parametrize("item", CIS_ITEMS, ids=IDS)
def test_complete_chain_passes(item: CisItem) -> None:
    res = only(with_cis_alarms(sound_snapshot(), item), item)
    assert res.status is Status.PASS, res.message
    assert res.region == REGION
    assert res.resource_id == f"{LOG_GROUP}/{item.metric_name}"
    assert TOPIC_ARN in res.message


@pytest.mark.parametrize("item", CIS_ITEMS, ids=IDS)
def test_sound_snapshot_without_filters_fails_naming_the_log_group(item: CisItem) -> None:
    res = only(sound_snapshot(), item)
    assert res.status is Status.FAIL
    assert f"no metric filter on log group {LOG_GROUP}" in res.message
    assert res.resource_id == sound_snapshot().accounts[0].account_id


@pytest.mark.parametrize("item", CIS_ITEMS, ids=IDS)
def test_filter_missing_a_clause_fails_and_names_it(item: CisItem) -> None:
    # Drop the last parenthesised clause (or the last && clause for 4.3).
    text = item.pattern
    if item.number == "4.3":
        broken = text.replace(' && $.eventType != "AwsServiceEvent"', "")
        dropped = '$.eventType != "AwsServiceEvent"'
    else:
        inner = text.rstrip()[:-1].rstrip()
        cut = inner.rstrip(")").rstrip()
        last_open = cut.rfind("(")
        clause = cut[last_open + 1 :]
        broken = cut[:last_open].rstrip().removesuffix("||").removesuffix("&&").rstrip()
        broken += ")" * (len(inner) - len(inner.rstrip(")")) - 1) + " }"
        dropped = clause.split("=", 1)[-1].strip().strip('"')
    assert broken != text
    res = only(with_cis_alarms(sound_snapshot(), item, metric_filters=(metric_filter(item, broken),)), item)
    assert res.status is Status.FAIL, (broken, res.message)
    assert "lacks" in res.message and dropped in res.message, res.message


@pytest.mark.parametrize("item", CIS_ITEMS, ids=IDS)
def test_filter_with_extra_restriction_fails(item: CisItem) -> None:
    narrowed = "{ (" + item.pattern.strip()[1:-1] + ') && ($.awsRegion = "us-east-1") }'
    res = only(with_cis_alarms(sound_snapshot(), item, metric_filters=(metric_filter(item, narrowed),)), item)
    assert res.status is Status.FAIL
    assert 'narrows it with $.awsRegion = "us-east-1"' in res.message


@pytest.mark.parametrize("item", CIS_ITEMS, ids=IDS)
def test_filter_on_another_log_group_does_not_count(item: CisItem) -> None:
    res = only(
        with_cis_alarms(sound_snapshot(), item, metric_filters=(metric_filter(item, group="other-group"),)), item
    )
    assert res.status is Status.FAIL
    assert f"no metric filter on log group {LOG_GROUP}" in res.message


@pytest.mark.parametrize("item", CIS_ITEMS, ids=IDS)
def test_alarm_on_a_different_metric_fails(item: CisItem) -> None:
    res = only(with_cis_alarms(sound_snapshot(), item, alarms=(alarm("other", "SomethingElse"),)), item)
    assert res.status is Status.FAIL
    assert f"no alarm on metric {METRIC_NAMESPACE}/{item.metric_name}" in res.message
    assert res.resource_id == f"{LOG_GROUP}/{item.metric_name}"


@pytest.mark.parametrize("item", CIS_ITEMS, ids=IDS)
def test_alarm_in_a_different_namespace_fails(item: CisItem) -> None:
    res = only(with_cis_alarms(sound_snapshot(), item, alarms=(alarm("x", item.metric_name, namespace="Other"),)), item)
    assert res.status is Status.FAIL
    assert "no alarm on metric" in res.message


@pytest.mark.parametrize("item", CIS_ITEMS, ids=IDS)
def test_alarm_without_sns_action_fails(item: CisItem) -> None:
    bare = replace(alarm("a", item.metric_name), alarm_actions=("arn:aws:automate:us-east-1:ec2:stop",))
    res = only(with_cis_alarms(sound_snapshot(), item, alarms=(bare,)), item)
    assert res.status is Status.FAIL
    assert "has no SNS topic action" in res.message


@pytest.mark.parametrize("item", CIS_ITEMS, ids=IDS)
def test_alarm_with_actions_disabled_fails(item: CisItem) -> None:
    off = replace(alarm("a", item.metric_name), actions_enabled=False)
    res = only(with_cis_alarms(sound_snapshot(), item, alarms=(off,)), item)
    assert res.status is Status.FAIL
    assert "actions disabled" in res.message


@pytest.mark.parametrize("item", CIS_ITEMS, ids=IDS)
def test_topic_with_only_pending_subscriptions_fails(item: CisItem) -> None:
    pending = TopicSubscriptions(TOPIC_ARN, (Subscription("PendingConfirmation", "email", "secops@example.com"),))
    res = only(with_cis_alarms(sound_snapshot(), item, topics=(pending,)), item)
    assert res.status is Status.FAIL
    assert "no confirmed subscription (1 pending confirmation)" in res.message


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"is_multi_region": False}, "single-region"),
        ({"cloudwatch_logs_log_group_arn": None}, "does not deliver to CloudWatch Logs"),
    ],
    ids=["single-region", "no-cloudwatch-delivery"],
)
@pytest.mark.parametrize("item", CIS_ITEMS, ids=IDS)
def test_trail_that_cannot_feed_the_alarm_fails(item: CisItem, change: dict[str, Any], words: str) -> None:
    snap = with_trail(with_cis_alarms(sound_snapshot(), item), **change)
    res = only(snap, item)
    assert res.status is Status.FAIL
    assert words in res.message


@pytest.mark.parametrize(
    ("field", "service", "operation"),
    [("metric_filters", "logs", "DescribeMetricFilters"), ("alarms", "cloudwatch", "DescribeAlarms")],
    ids=["metric-filters", "alarms"],
)
@pytest.mark.parametrize("item", CIS_ITEMS, ids=IDS)
def test_unreadable_alarm_evidence_is_error(item: CisItem, field: str, service: str, operation: str) -> None:
    err = denied(operation, service=service)
    res = only(with_cis_alarms(sound_snapshot(), item, **{field: err}), item)
    assert res.status is Status.ERROR
    assert f"{service}:{operation}" in res.message and "AccessDenied" in res.message
    assert res.evidence["collection_errors"][0]["operation"] == operation


# --------------------------------------------------------------------------- the finer points

ROOT = item_by_check("alarm-root-usage")
ROUTES = item_by_check("alarm-route-table-changes")


def test_trail_not_logging_fails() -> None:
    snap = with_trail(with_cis_alarms(sound_snapshot(), ROOT), status=TrailStatus(is_logging=False))
    res = only(snap, ROOT)
    assert res.status is Status.FAIL and "is not logging" in res.message


def test_trail_status_unreadable_is_error() -> None:
    snap = with_trail(with_cis_alarms(sound_snapshot(), ROOT), status=denied("GetTrailStatus"))
    assert only(snap, ROOT).status is Status.ERROR


def test_trail_recording_only_write_events_fails() -> None:
    write_only = EventSelectors(basic=(BasicEventSelector(read_write_type="WriteOnly"),))
    res = only(with_trail(with_cis_alarms(sound_snapshot(), ROOT), event_selectors=write_only), ROOT)
    assert res.status is Status.FAIL and "read management events" in res.message


def test_topic_subscriptions_unreadable_is_error() -> None:
    topic = TopicSubscriptions(TOPIC_ARN, denied("ListSubscriptionsByTopic", service="sns"))
    res = only(with_cis_alarms(sound_snapshot(), ROOT, topics=(topic,)), ROOT)
    assert res.status is Status.ERROR and "sns:ListSubscriptionsByTopic" in res.message


def test_topic_not_collected_is_error() -> None:
    res = only(with_cis_alarms(sound_snapshot(), ROOT, topics=()), ROOT)
    assert res.status is Status.ERROR and "were not collected" in res.message


def test_unparseable_filter_is_reported_not_a_crash() -> None:
    res = only(
        with_cis_alarms(sound_snapshot(), ROOT, metric_filters=(metric_filter(ROOT, "{ $.userIdentity.type = "),)), ROOT
    )
    assert res.status is Status.FAIL
    assert "unparseable pattern" in res.message


def test_unparseable_filter_beside_a_good_one_passes() -> None:
    filters = (metric_filter(ROOT, "not a json pattern", name="junk"), metric_filter(ROOT))
    assert only(with_cis_alarms(sound_snapshot(), ROOT, metric_filters=filters), ROOT).status is Status.PASS


def test_reformatted_pattern_passes() -> None:
    pattern = '{$.eventType!=AwsServiceEvent&&($.userIdentity.invokedBy NOT EXISTS)&&$.userIdentity.type="Root"}'
    assert (
        only(with_cis_alarms(sound_snapshot(), ROOT, metric_filters=(metric_filter(ROOT, pattern),)), ROOT).status
        is Status.PASS
    )


def test_route_table_filter_with_create_route_table_in_place_of_create_route_fails() -> None:
    swapped = ROUTES.pattern.replace("($.eventName = CreateRoute)", "($.eventName = CreateRouteTable)")
    res = only(with_cis_alarms(sound_snapshot(), ROUTES, metric_filters=(metric_filter(ROUTES, swapped),)), ROUTES)
    assert res.status is Status.FAIL
    assert '$.eventName = "CreateRoute"' in res.message


def with_unreadable_second_trail(snap: Snapshot) -> Snapshot:
    """``snap`` with a second trail, in eu-west-1, whose status could not be read."""
    other = sound_trail(
        arn="arn:aws:cloudtrail:eu-west-1:111111111111:trail/other",
        name="other",
        home_region="eu-west-1",
        status=denied("GetTrailStatus"),
    )
    return replace(snap, accounts=(replace(snap.accounts[0], trails=(*snap.accounts[0].trails, other)),))


def test_second_trail_with_unreadable_status_does_not_spoil_a_proven_chain() -> None:
    snap = with_unreadable_second_trail(with_cis_alarms(sound_snapshot(), ROOT))
    assert only(snap, ROOT).status is Status.PASS


def test_unreadable_evidence_on_another_path_beats_a_fail() -> None:
    snap = with_unreadable_second_trail(sound_snapshot())  # the sound trail's path FAILs: no filter
    res = only(snap, ROOT)
    assert res.status is Status.ERROR
    assert [p["status"] for p in res.evidence["paths"]] == ["FAIL", "ERROR"]


def test_fail_names_the_link_of_the_path_that_got_furthest() -> None:
    single = sound_trail(
        arn="arn:aws:cloudtrail:eu-west-1:111111111111:trail/local",
        name="local",
        home_region="eu-west-1",
        is_multi_region=False,
    )
    snap = with_cis_alarms(sound_snapshot(), ROOT, alarms=())
    snap = replace(snap, accounts=(replace(snap.accounts[0], trails=(single, *snap.accounts[0].trails)),))
    res = only(snap, ROOT)
    assert res.status is Status.FAIL
    assert "no alarm on metric" in res.message


def test_account_without_trails_fails() -> None:
    snap = replace(sound_snapshot(), accounts=(replace(sound_account(), trails=()),))
    res = only(snap, ROOT)
    assert res.status is Status.FAIL and "no trail logs this account" in res.message
    assert res.region == "global"


# --------------------------------------------------------------------------- organisation trails


def member_account() -> AccountSnapshot:
    """A member account that sees only the management account's organisation trail."""
    return AccountSnapshot(
        account_id=MEMBER,
        name="member",
        is_organization_management=False,
        enabled_regions=(REGION,),
        regions=(replace(sound_region(REGION), log_groups=(), topics=()),),
        trails=(
            sound_trail(
                status=denied("GetTrailStatus", account=MEMBER),
                event_selectors=denied("GetEventSelectors", account=MEMBER),
            ),
        ),
    )


def test_member_account_is_judged_by_the_management_accounts_alarms() -> None:
    snap = with_cis_alarms(sound_snapshot(), ROOT)
    snap = replace(snap, accounts=(*snap.accounts, member_account()))
    results = {r.account_id: r for r in run(snap, ROOT)}
    assert results[MEMBER].status is Status.PASS, results[MEMBER].message
    assert results[MEMBER].region == REGION


def test_member_account_fails_when_management_account_lacks_the_alarm() -> None:
    snap = with_cis_alarms(sound_snapshot(), ROOT, alarms=())
    snap = replace(snap, accounts=(*snap.accounts, member_account()))
    results = {r.account_id: r for r in run(snap, ROOT)}
    assert results[MEMBER].status is Status.FAIL
    assert "no alarm on metric" in results[MEMBER].message


def test_member_account_whose_organisation_trail_owner_is_out_of_scope_is_error() -> None:
    member = replace(member_account(), trails=(sound_trail(),))
    snap = replace(sound_snapshot(), accounts=(member,))
    res = only(snap, ROOT)
    assert res.status is Status.ERROR
    assert "not in scope" in res.message
    assert res.account_id == MEMBER


def test_alarm_in_the_member_account_does_not_count_for_the_org_trail() -> None:
    member = replace(
        member_account(),
        trails=(sound_trail(),),
        regions=(
            replace(
                sound_region(REGION), metric_filters=(metric_filter(ROOT),), alarms=(alarm("a", ROOT.metric_name),)
            ),
        ),
    )
    snap = with_region(sound_snapshot(), metric_filters=(), alarms=())
    snap = replace(snap, accounts=(*snap.accounts, member))
    results = {r.account_id: r for r in run(snap, ROOT)}
    assert results[MEMBER].status is Status.FAIL


def test_inaccessible_account_gets_an_error_from_the_engine() -> None:
    locked = AccountSnapshot(account_id=MEMBER, access_error=denied("AssumeRole", service="sts", account=MEMBER))
    snap = with_cis_alarms(sound_snapshot(), ROOT)
    snap = replace(snap, accounts=(*snap.accounts, locked))
    statuses = {r.account_id: r.status for r in run(snap, ROOT)}
    assert statuses == {"111111111111": Status.PASS, MEMBER: Status.ERROR}


def test_alarm_fields_are_matched_exactly() -> None:
    wrong_case = Alarm(
        name="a",
        arn="arn:aws:cloudwatch:us-east-1:111111111111:alarm:a",
        metric_name=ROOT.metric_name.lower(),
        namespace=METRIC_NAMESPACE,
        alarm_actions=(TOPIC_ARN,),
    )
    assert only(with_cis_alarms(sound_snapshot(), ROOT, alarms=(wrong_case,)), ROOT).status is Status.FAIL

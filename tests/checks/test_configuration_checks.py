"""Configuration checks of issue 14: trail tags, SNS notification, Lambda/DynamoDB data events,
network activity events, the trail log group's KMS key and resource policies.

Each check: PASS on the sound snapshot, FAIL on one broken thing, ERROR when the evidence
could not be read, NOT_APPLICABLE where there is nothing to judge.
"""

from __future__ import annotations

from typing import Any

import pytest

from auditor.engine.checkapi import CheckResult, Settings, Status
from auditor.model.snapshot import (
    AdvancedEventSelector,
    BasicEventSelector,
    DataResource,
    EventSelectors,
    FieldSelector,
    LogGroup,
    LogResourcePolicy,
    Tag,
)
from auditor.semantics.event_selectors import DYNAMODB_TABLES, LAMBDA_FUNCTIONS, data_coverage
from tests.builders import (
    ACCOUNT,
    KEY_ARN,
    LOG_GROUP,
    LOG_GROUP_ARN,
    REGION,
    advanced_selectors,
    denied,
    sound_snapshot,
    with_account,
    with_region,
    with_trail,
)
from tests.builders import check_by_id as check
from tests.builders import run_by_id as run

GROUP_ARN = LOG_GROUP_ARN[:-2]
OTHER = "999988887777"


def statuses(results: list[CheckResult]) -> set[Status]:
    return {r.status for r in results}


def only(results: list[CheckResult]) -> CheckResult:
    assert len(results) == 1, results
    return results[0]


# --------------------------------------------------------------------------- trail-tags


def test_tagged_trail_passes_when_no_tag_is_required() -> None:
    res = only(run("trail-tags", sound_snapshot()))
    assert res.status is Status.PASS
    assert res.evidence["tag_keys"] == ["owner", "purpose"]


def test_untagged_trail_fails() -> None:
    res = only(run("trail-tags", with_trail(sound_snapshot(), tags=())))
    assert res.status is Status.FAIL and "has no tags" in res.message


def test_trail_missing_a_required_tag_fails_naming_it() -> None:
    res = only(run("trail-tags", sound_snapshot(), Settings(required_tags=("owner", "cost-center"))))
    assert res.status is Status.FAIL
    assert res.evidence["missing"] == ["cost-center"]


def test_trail_with_every_required_tag_passes() -> None:
    res = only(run("trail-tags", sound_snapshot(), Settings(required_tags=("owner",))))
    assert res.status is Status.PASS


def test_tag_keys_are_case_sensitive() -> None:
    snap = with_trail(sound_snapshot(), tags=(Tag("Owner", "x"),))
    assert only(run("trail-tags", snap, Settings(required_tags=("owner",)))).status is Status.FAIL


def test_unreadable_tags_are_an_error() -> None:
    res = only(run("trail-tags", with_trail(sound_snapshot(), tags=denied("ListTags"))))
    assert res.status is Status.ERROR and "ListTags" in res.message


def test_tags_not_collected_are_an_error() -> None:
    assert only(run("trail-tags", with_trail(sound_snapshot(), tags=None))).status is Status.ERROR


def test_tags_not_applicable_without_an_owned_trail() -> None:
    res = only(run("trail-tags", with_account(sound_snapshot(), trails=())))
    assert res.status is Status.NOT_APPLICABLE


def test_baseline_required_tags_reach_the_check(tmp_path: Any) -> None:
    from auditor.app.pipeline import EvaluationOptions, settings_for
    from auditor.gate.baseline import load_baseline

    path = tmp_path / "baseline.yaml"
    path.write_text("version: 1\nrequired_tags: [owner, cost-center]\n")
    baseline = load_baseline(path)
    assert baseline.required_tags == ("owner", "cost-center")
    settings = settings_for(EvaluationOptions(required_tags=baseline.required_tags))
    assert only(run("trail-tags", sound_snapshot(), settings)).status is Status.FAIL


# --------------------------------------------------------------------------- trail-sns-notification


def test_trail_with_topic_passes_and_without_fails() -> None:
    assert only(run("trail-sns-notification", sound_snapshot())).status is Status.PASS
    res = only(run("trail-sns-notification", with_trail(sound_snapshot(), sns_topic_arn=None)))
    assert res.status is Status.FAIL


def test_sns_notification_error_when_trails_unlisted_and_na_without_trail() -> None:
    snap = with_account(sound_snapshot(), trails=())
    assert only(run("trail-sns-notification", snap)).status is Status.NOT_APPLICABLE
    snap = with_region(snap, trail_arns=denied("DescribeTrails"))
    assert statuses(run("trail-sns-notification", snap)) == {Status.ERROR}


# --------------------------------------------------------------------------- data events


@pytest.mark.parametrize("check_id", ["trail-lambda-data-events", "trail-dynamodb-data-events"])
def test_data_events_pass_with_basic_and_advanced_selectors(check_id: str) -> None:
    assert only(run(check_id, sound_snapshot())).status is Status.PASS
    snap = with_trail(sound_snapshot(), event_selectors=advanced_selectors())
    assert only(run(check_id, snap)).status is Status.PASS


@pytest.mark.parametrize(
    ("check_id", "rtype", "value"),
    [
        ("trail-lambda-data-events", "AWS::Lambda::Function", "arn:aws:lambda:us-east-1:111111111111:function:one"),
        ("trail-dynamodb-data-events", "AWS::DynamoDB::Table", "arn:aws:dynamodb:us-east-1:111111111111:table/orders"),
    ],
)
def test_data_events_for_some_resources_only_fail_and_say_so(check_id: str, rtype: str, value: str) -> None:
    sel = EventSelectors(basic=(BasicEventSelector(data_resources=(DataResource(rtype, (value,)),)),))
    res = only(run(check_id, with_trail(sound_snapshot(), event_selectors=sel)))
    assert res.status is Status.FAIL and value in res.message


@pytest.mark.parametrize("check_id", ["trail-lambda-data-events", "trail-dynamodb-data-events"])
def test_data_events_error_fail_and_not_multi_region(check_id: str) -> None:
    assert (
        only(run(check_id, with_trail(sound_snapshot(), event_selectors=denied("GetEventSelectors")))).status
        is Status.ERROR
    )
    assert only(run(check_id, with_trail(sound_snapshot(), is_multi_region=False))).status is Status.FAIL
    assert only(run(check_id, with_account(sound_snapshot(), trails=()))).status is Status.FAIL


def _adv(name: str, rtype: str, *extra: FieldSelector) -> AdvancedEventSelector:
    return AdvancedEventSelector(
        name,
        (FieldSelector("eventCategory", equals=("Data",)), FieldSelector("resources.type", equals=(rtype,)), *extra),
    )


def test_read_only_plus_write_only_selectors_cover_only_together() -> None:
    ro = _adv("ro", "AWS::DynamoDB::Table", FieldSelector("readOnly", equals=("true",)))
    wo = _adv("wo", "AWS::DynamoDB::Table", FieldSelector("readOnly", equals=("false",)))
    assert data_coverage(EventSelectors(advanced=(ro, wo)), DYNAMODB_TABLES).complete
    alone = data_coverage(EventSelectors(advanced=(ro,)), DYNAMODB_TABLES)
    assert (alone.read, alone.write, alone.complete) == (True, False, False)
    snap = with_trail(sound_snapshot(), event_selectors=EventSelectors(advanced=(ro,)))
    res = only(run("trail-dynamodb-data-events", snap))
    assert res.status is Status.FAIL and "write data events" in res.message
    basic_ro = EventSelectors(
        basic=(
            BasicEventSelector(
                "ReadOnly", data_resources=(DataResource("AWS::Lambda::Function", ("arn:aws:lambda",)),)
            ),
            BasicEventSelector(
                "WriteOnly", data_resources=(DataResource("AWS::Lambda::Function", ("arn:aws:lambda",)),)
            ),
        )
    )
    assert data_coverage(basic_ro, LAMBDA_FUNCTIONS).complete
    assert not data_coverage(EventSelectors(basic=basic_ro.basic[:1]), LAMBDA_FUNCTIONS).complete


def test_advanced_arn_prefix_of_every_function_counts_and_a_narrower_one_does_not() -> None:
    every = _adv("all", "AWS::Lambda::Function", FieldSelector("resources.ARN", starts_with=("arn:aws:lambda",)))
    assert data_coverage(EventSelectors(advanced=(every,)), LAMBDA_FUNCTIONS).complete
    narrow = _adv(
        "one region",
        "AWS::Lambda::Function",
        FieldSelector("resources.ARN", starts_with=("arn:aws:lambda:us-east-1:",)),
    )
    cov = data_coverage(EventSelectors(advanced=(narrow,)), LAMBDA_FUNCTIONS)
    assert not cov.read and not cov.write and cov.partial
    other_condition = _adv("names", "AWS::Lambda::Function", FieldSelector("eventName", equals=("Invoke",)))
    assert not data_coverage(EventSelectors(advanced=(other_condition,)), LAMBDA_FUNCTIONS).complete


def test_s3_data_selectors_do_not_count_for_lambda() -> None:
    sel = EventSelectors(
        basic=(BasicEventSelector(data_resources=(DataResource("AWS::S3::Object", ("arn:aws:s3",)),)),)
    )
    res = only(run("trail-lambda-data-events", with_trail(sound_snapshot(), event_selectors=sel)))
    assert res.status is Status.FAIL


# --------------------------------------------------------------------------- network activity


def test_network_activity_pass_fail_error_and_no_trail() -> None:
    snap = with_trail(sound_snapshot(), event_selectors=advanced_selectors())
    res = only(run("trail-network-activity-events", snap))
    assert res.status is Status.PASS
    assert "kms.amazonaws.com, s3.amazonaws.com" in res.evidence["trails"][0]["reason"]
    assert check("trail-network-activity-events").meta.severity.value == "info"
    assert only(run("trail-network-activity-events", sound_snapshot())).status is Status.FAIL
    denied_snap = with_trail(sound_snapshot(), event_selectors=denied("GetEventSelectors"))
    assert only(run("trail-network-activity-events", denied_snap)).status is Status.ERROR
    snap = with_account(sound_snapshot(), trails=())
    assert only(run("trail-network-activity-events", snap)).status is Status.FAIL


# --------------------------------------------------------------------------- loggroup-kms-encryption


def test_log_group_with_key_passes_without_fails() -> None:
    assert only(run("loggroup-kms-encryption", sound_snapshot())).status is Status.PASS
    snap = with_region(sound_snapshot(), log_groups=(LogGroup(LOG_GROUP, LOG_GROUP_ARN, None),))
    res = only(run("loggroup-kms-encryption", snap))
    assert res.status is Status.FAIL and "not encrypted" in res.message


def test_log_group_unreadable_missing_and_not_applicable() -> None:
    snap = with_region(sound_snapshot(), log_groups=denied("DescribeLogGroups", service="logs"))
    assert only(run("loggroup-kms-encryption", snap)).status is Status.ERROR
    snap = with_region(sound_snapshot(), log_groups=())
    assert only(run("loggroup-kms-encryption", snap)).status is Status.FAIL
    snap = with_trail(sound_snapshot(), cloudwatch_logs_log_group_arn=None)
    assert only(run("loggroup-kms-encryption", snap)).status is Status.NOT_APPLICABLE
    assert (
        only(run("loggroup-kms-encryption", with_account(sound_snapshot(), trails=()))).status is Status.NOT_APPLICABLE
    )
    res = only(run("loggroup-kms-encryption", sound_snapshot()))
    assert res.evidence["kms_key_id"] == KEY_ARN


# --------------------------------------------------------------------------- loggroup-resource-policy


def _policy(statement: dict[str, Any], **kw: Any) -> LogResourcePolicy:
    return LogResourcePolicy(kw.pop("name", "p"), {"Version": "2012-10-17", "Statement": [statement]}, **kw)


def _with_policies(*policies: LogResourcePolicy) -> Any:
    return with_region(sound_snapshot(), log_resource_policies=policies)


FOREIGN_WRITE = {
    "Sid": "Other",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
    "Resource": f"{GROUP_ARN}:*",
}


def test_no_policy_passes_and_a_foreign_writer_fails() -> None:
    assert only(run("loggroup-resource-policy", sound_snapshot())).status is Status.PASS
    res = only(run("loggroup-resource-policy", _with_policies(_policy(FOREIGN_WRITE))))
    assert res.status is Status.FAIL and OTHER in res.message
    assert res.evidence["grants"][0]["sid"] == "Other"


def test_trusted_account_and_own_account_pass() -> None:
    snap = _with_policies(_policy(FOREIGN_WRITE))
    assert only(run("loggroup-resource-policy", snap, Settings(trusted_accounts=(OTHER,)))).status is Status.PASS
    own = {**FOREIGN_WRITE, "Principal": {"AWS": ACCOUNT}}
    assert only(run("loggroup-resource-policy", _with_policies(_policy(own)))).status is Status.PASS


def test_policy_on_another_group_does_not_count() -> None:
    elsewhere = {**FOREIGN_WRITE, "Resource": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:other:*"}
    assert only(run("loggroup-resource-policy", _with_policies(_policy(elsewhere)))).status is Status.PASS
    scoped = _policy(
        {**FOREIGN_WRITE, "Resource": "*"},
        scope="RESOURCE",
        resource_arn=f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:other",
    )
    assert only(run("loggroup-resource-policy", _with_policies(scoped))).status is Status.PASS


def test_service_principal_needs_a_source_condition() -> None:
    service = {
        "Effect": "Allow",
        "Principal": {"Service": "delivery.logs.amazonaws.com"},
        "Action": "logs:PutLogEvents",
        "Resource": "*",
    }
    assert only(run("loggroup-resource-policy", _with_policies(_policy(service)))).status is Status.FAIL
    scoped = {**service, "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}
    assert only(run("loggroup-resource-policy", _with_policies(_policy(scoped)))).status is Status.PASS


def test_wildcard_principal_fails_unless_limited_to_the_account() -> None:
    anyone = {**FOREIGN_WRITE, "Principal": "*"}
    assert only(run("loggroup-resource-policy", _with_policies(_policy(anyone)))).status is Status.FAIL
    org = {**anyone, "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}}
    assert only(run("loggroup-resource-policy", _with_policies(_policy(org)))).status is Status.FAIL
    mine = {**anyone, "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:*"}}}
    assert only(run("loggroup-resource-policy", _with_policies(_policy(mine)))).status is Status.PASS


def test_foreign_reader_fails_and_a_deny_does_not() -> None:
    reader = {**FOREIGN_WRITE, "Action": "logs:StartQuery"}
    assert only(run("loggroup-resource-policy", _with_policies(_policy(reader)))).status is Status.FAIL
    deny = {**FOREIGN_WRITE, "Effect": "Deny"}
    assert only(run("loggroup-resource-policy", _with_policies(_policy(deny)))).status is Status.PASS


def test_resource_policies_unreadable_not_collected_or_unparsable_are_errors() -> None:
    snap = with_region(sound_snapshot(), log_resource_policies=denied("DescribeResourcePolicies", service="logs"))
    res = only(run("loggroup-resource-policy", snap))
    assert res.status is Status.ERROR and "DescribeResourcePolicies" in res.message
    assert (
        only(run("loggroup-resource-policy", with_region(sound_snapshot(), log_resource_policies=None))).status
        is Status.ERROR
    )
    broken = LogResourcePolicy("broken", denied("DescribeResourcePolicies", service="logs"))
    assert only(run("loggroup-resource-policy", _with_policies(broken))).status is Status.ERROR


def test_resource_policy_not_applicable_without_log_group() -> None:
    snap = with_trail(sound_snapshot(), cloudwatch_logs_log_group_arn=None)
    assert only(run("loggroup-resource-policy", snap)).status is Status.NOT_APPLICABLE


# --------------------------------------------------------------------------- delegated administrator

MEMBER = "222222222222"


def _org_with_member(admins: Any, *, org_trail: bool = True) -> Any:
    from dataclasses import replace

    from auditor.model.snapshot import OrgAccount, Organization
    from tests.builders import sound_account, sound_trail

    trail = sound_trail(is_organization_trail=org_trail)
    member = replace(
        sound_account(),
        account_id=MEMBER,
        name="security-tooling",
        is_organization_management=False,
        trails=(trail,) if org_trail else (),
    )
    org = Organization(
        "o-example", ACCOUNT, (OrgAccount(ACCOUNT), OrgAccount(MEMBER)), cloudtrail_delegated_admins=admins
    )
    snap = with_account(sound_snapshot(organization=org), trails=(trail,))
    return replace(snap, accounts=(*snap.accounts, member))


def _member_result(snap: Any) -> CheckResult:
    return only([r for r in run("trail-organization", snap) if r.account_id == MEMBER])


def test_delegated_admin_passes_on_the_management_owned_organisation_trail() -> None:
    res = _member_result(_org_with_member((MEMBER,)))
    assert res.status is Status.PASS and "delegated administrator" in res.message
    # the organisation trail it created is listed under the management account's ARN
    assert res.evidence["trails"][0]["owner_account_id"] == ACCOUNT


def test_delegated_admin_without_organisation_trail_fails() -> None:
    res = _member_result(_org_with_member((MEMBER,), org_trail=False))
    assert res.status is Status.FAIL and "delegated administrator" in res.message


def test_member_that_is_not_the_delegated_admin_is_not_applicable() -> None:
    assert _member_result(_org_with_member(("333333333333",))).status is Status.NOT_APPLICABLE
    assert _member_result(_org_with_member(())).status is Status.NOT_APPLICABLE


def test_unreadable_delegated_admins_are_an_error_unless_an_organisation_trail_covers_the_member() -> None:
    err = denied("ListDelegatedAdministrators", service="organizations")
    res = _member_result(_org_with_member(err, org_trail=False))
    assert res.status is Status.ERROR and "ListDelegatedAdministrators" in res.message
    assert _member_result(_org_with_member(err)).status is Status.NOT_APPLICABLE

"""trail-sns-notification: the trail notifies an SNS topic of each log file it delivers."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Remediation, Severity, Status
from auditor.engine.trails import per_owned_trail, trail_result
from auditor.model.snapshot import AccountSnapshot, Trail

from ._snippets import trail_resource

META = CheckMeta(
    id="trail-sns-notification",
    title="Trails notify an SNS topic of log file deliveries",
    severity=Severity.LOW,
    section="trail",
    resource_type="AwsCloudTrailTrail",
    rationale=(
        "An SNS notification per delivered log file lets a SIEM or a pipeline pick logs up as "
        "they arrive. Its silence is also an early sign that delivery stopped."
    ),
    remediation=Remediation(
        summary="Give the trail an SNS topic whose policy lets cloudtrail.amazonaws.com publish.",
        cli="aws cloudtrail update-trail --name <trail> --sns-topic-name cloudtrail-deliveries",
        terraform=trail_resource("sns_topic_name = aws_sns_topic.cloudtrail.name"),
        url="https://docs.aws.amazon.com/awscloudtrail/latest/userguide/configure-sns-notifications-for-cloudtrail.html",
    ),
    references=(
        "AWS Config cloudtrail-enabled (snsTopicArn parameter)",
        "CloudSploit CloudTrail Notifications Enabled",
    ),
    permissions=("cloudtrail:DescribeTrails",),
    notes=(
        "AWS Config's cloudtrail-enabled rule checks the topic only when its snsTopicArn "
        "parameter is set; CloudSploit requires a topic. We require one (SnsTopicARN in "
        "DescribeTrails) at low severity; whether the topic exists and has subscribers is not "
        "judged here (the alarm-* checks judge their own topics)."
    ),
)


def _judge(ctx: CheckContext, account: AccountSnapshot, trail: Trail) -> CheckResult:
    topic = trail.sns_topic_arn
    if topic:
        return trail_result(
            ctx,
            trail,
            Status.PASS,
            f"notifies SNS topic {topic}",
            {"sns_topic_arn": topic},
            account_id=account.account_id,
        )
    return trail_result(
        ctx,
        trail,
        Status.FAIL,
        "no SNS topic is notified of log file deliveries",
        {"sns_topic_arn": None},
        account_id=account.account_id,
    )


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per owned trail."""
    yield from per_owned_trail(ctx, lambda acc, t: _judge(ctx, acc, t))


CHECK = Check(META, evaluate)

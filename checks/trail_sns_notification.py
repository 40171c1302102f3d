"""trail-sns-notification: the trail notifies an SNS topic of each log file it delivers."""

from __future__ import annotations

from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity
from auditor.engine.judgement import Judgement
from auditor.engine.trails import setting_judgement, trail_check
from auditor.model.snapshot import Trail

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


def _judge(ctx: CheckContext, trail: Trail) -> Judgement:
    return setting_judgement(
        "sns_topic_arn",
        trail.sns_topic_arn,
        "notifies SNS topic {}",
        "no SNS topic is notified of log file deliveries",
    )


CHECK = trail_check(META, _judge)

"""trail-cloudwatch-logs: the trail delivers to CloudWatch Logs, recently and without errors."""

from __future__ import annotations

from typing import Any

from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity, Status
from auditor.engine.judgement import Judgement
from auditor.engine.trails import collected, delivery_age_problem, trail_check
from auditor.model.snapshot import CollectionError, Trail

from ._snippets import trail_resource

META = CheckMeta(
    id="trail-cloudwatch-logs",
    title="Trails deliver to CloudWatch Logs for real-time monitoring",
    severity=Severity.LOW,
    section="trail",
    resource_type="AwsCloudTrailTrail",
    rationale=(
        "Metric filters and alarms on CloudTrail events (the CIS monitoring controls) only work "
        "when the trail delivers to a CloudWatch Logs group. Delivery that has stopped leaves "
        "the alarms silent while they look configured."
    ),
    remediation=Remediation(
        summary="Send the trail to a CloudWatch Logs log group with a role CloudTrail can assume.",
        cli=(
            "aws cloudtrail update-trail --name <trail> "
            "--cloud-watch-logs-log-group-arn "
            "arn:aws:logs:<region>:<account>:log-group:cloudtrail-logs:* "
            "--cloud-watch-logs-role-arn arn:aws:iam::<account>:role/CloudTrailToCloudWatch"
        ),
        terraform=trail_resource(
            'cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.trail.arn}:*"',
            "cloud_watch_logs_role_arn = aws_iam_role.cloudtrail_to_cwl.arn",
        ),
        url="https://docs.aws.amazon.com/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html",
    ),
    references=(
        "CIS AWS 1.4 3.4",
        "Security Hub CloudTrail.5",
        "AWS Config cloud-trail-cloud-watch-logs-enabled",
    ),
    permissions=("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus"),
    notes=(
        "CloudTrail.5 and the Config rule only require a log group and a recent delivery "
        "(24 h, Settings.delivery_max_age_hours). When a log group is set but GetTrailStatus "
        "returns no LatestCloudWatchLogsDeliveryTime, we FAIL with 'no CloudWatch Logs delivery "
        "recorded' and record delivery_time_reported=false in the evidence: real AWS returns "
        "the time once a delivery has happened, so its absence means nothing proves delivery; "
        "moto never returns it, so moto-based runs always show this FAIL. A missing role ARN or "
        "a LatestCloudWatchLogsDeliveryError also FAILs."
    ),
)


def _judge(ctx: CheckContext, trail: Trail) -> Judgement | CollectionError:
    group = trail.cloudwatch_logs_log_group_arn
    ev: dict[str, Any] = {"log_group_arn": group, "role_arn": trail.cloudwatch_logs_role_arn}
    if not group:
        return Judgement(Status.FAIL, "no CloudWatch Logs log group configured", ev)
    st = collected(trail.status, "trail status was")
    if isinstance(st, Judgement | CollectionError):
        return st
    delivered = st.latest_cloudwatch_logs_delivery_time
    ev.update(
        {
            "latest_cloudwatch_logs_delivery_time": delivered,
            "latest_cloudwatch_logs_delivery_error": st.latest_cloudwatch_logs_delivery_error,
            "delivery_time_reported": delivered is not None,
            "max_age_hours": ctx.settings.delivery_max_age_hours,
        }
    )
    problems: list[str] = []
    if not trail.cloudwatch_logs_role_arn:
        problems.append("no CloudWatch Logs role: CloudTrail cannot deliver")
    if st.latest_cloudwatch_logs_delivery_error:
        problems.append(f"last delivery failed: {st.latest_cloudwatch_logs_delivery_error}")
    stale = delivery_age_problem(ctx, delivered, "CloudWatch Logs delivery", ev)
    if isinstance(stale, Judgement):
        return stale
    if stale:
        problems.append(stale)
    return Judgement.either(
        not problems,
        f"delivers to {group}; last delivery {delivered}",
        f"log group {group}: " + "; ".join(problems),
        ev,
    )


CHECK = trail_check(META, _judge)

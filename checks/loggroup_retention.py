"""loggroup-retention: the trail's CloudWatch Logs group keeps events long enough."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Remediation, Severity, Status
from auditor.engine.judgement import Judgement
from auditor.engine.trailconfig import TrailLogGroup, per_log_group, strip_stream_suffix
from auditor.model.arn import GLOBAL
from auditor.model.snapshot import AccountSnapshot

META = CheckMeta(
    id="loggroup-retention",
    title="The trail's CloudWatch Logs log group retains events for at least a year",
    severity=Severity.MEDIUM,
    section="monitoring",
    resource_type="AwsLogsLogGroup",
    rationale=(
        "The CloudWatch Logs copy of the trail is what analysts query and alarms run on. A "
        "short retention means investigations that start weeks after an incident find nothing "
        "to search, and it falls short of PCI DSS 10.5.1 and NIST AU-11 when this copy is the "
        "one relied on for review."
    ),
    remediation=Remediation(
        summary="Set the log group's retention to at least 365 days (or never expire).",
        cli="aws logs put-retention-policy --log-group-name <log-group> --retention-in-days 400",
        terraform=(
            'resource "aws_cloudwatch_log_group" "cloudtrail" {\n'
            '  name              = "cloudtrail-logs"\n'
            "  retention_in_days = 400\n"
            "}"
        ),
        url="https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Working-with-log-groups-and-streams.html",
    ),
    references=(
        "AWS Config cw-loggroup-retention-period-check",
        "Security Hub CloudWatch.16",
        "PCI DSS 10.5.1",
        "NIST SP 800-53 AU-11",
        "HIPAA 164.312(b)",
    ),
    permissions=("cloudtrail:DescribeTrails", "logs:DescribeLogGroups"),
    notes=(
        "Minimum from settings.loggroup_min_retention_days (365). Never-expire passes. A trail "
        "without a log group is NOT_APPLICABLE (trail-cloudwatch-logs judges that); a log group "
        "the trail names but that does not exist fails."
    ),
)


def _judge(ctx: CheckContext, tlg: TrailLogGroup) -> CheckResult:
    days, need = tlg.group.retention_days, ctx.settings.loggroup_min_retention_days
    if days is None:
        status, msg = Status.PASS, f"log group {tlg.name} never expires events"
    elif days >= need:
        status, msg = Status.PASS, f"log group {tlg.name} keeps events {days} days (at least {need})"
    else:
        status, msg = Status.FAIL, f"log group {tlg.name} keeps events only {days} days, less than {need}"
    evidence = {
        "trail": tlg.trail.arn,
        "log_group_arn": tlg.trail.cloudwatch_logs_log_group_arn,
        "retention_days": days,
        "required_days": need,
    }
    return Judgement(status, msg, evidence).result(
        ctx, tlg.account_id, tlg.region, resource_id=tlg.name, resource_arn=strip_stream_suffix(tlg.group.arn)
    )


def _owns_no_trail(ctx: CheckContext, account: AccountSnapshot) -> CheckResult:
    return ctx.result(
        account.account_id,
        GLOBAL,
        Status.NOT_APPLICABLE,
        "this account owns no trail",
        resource_id=account.account_id,
        resource_type="AwsAccount",
    )


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per trail owned by a scanned account."""
    yield from per_log_group(ctx, lambda tlg: _judge(ctx, tlg), _owns_no_trail)


CHECK = Check(META, evaluate)

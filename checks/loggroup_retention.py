"""loggroup-retention: the trail's CloudWatch Logs group keeps events long enough."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditor.engine.checkapi import (
    Check,
    CheckContext,
    CheckMeta,
    CheckResult,
    Remediation,
    Severity,
    Status,
)
from auditor.engine.trails import unlisted_trail_errors
from auditor.model.arn import log_group_name, parse_arn
from auditor.model.snapshot import CollectionError, LogGroup, Trail

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


def _parse_arn(arn: str) -> tuple[str | None, str | None, str]:
    """(region, account, name) of a log-group ARN, tolerating the ``:*`` suffix."""
    parsed = parse_arn(arn)
    name = log_group_name(parsed) if parsed and parsed.service == "logs" else None
    if parsed is None or name is None:
        return None, None, _strip(arn)
    return parsed.region or None, parsed.account or None, name


def _strip(arn: str) -> str:
    return arn[:-2] if arn.endswith(":*") else arn


def _trail_result(ctx: CheckContext, trail: Trail, group_arn: str) -> CheckResult:
    region, account_id, name = _parse_arn(group_arn)
    region = region or trail.home_region
    account = ctx.snapshot.account(account_id or trail.owner_account_id)
    owner = account.account_id if account else trail.owner_account_id
    evidence: dict[str, Any] = {"trail": trail.arn, "log_group_arn": group_arn}
    reg = account.region(region) if account else None
    if reg is None:
        return ctx.result(
            owner,
            region,
            Status.ERROR,
            f"log group {name} of trail {trail.name} is in {region}, which was not scanned; nothing can be concluded",
            resource_id=name,
            resource_arn=_strip(group_arn),
            evidence=evidence,
        )
    if isinstance(reg.log_groups, CollectionError):
        return ctx.error(
            reg.log_groups, resource_id=name, resource_arn=_strip(group_arn), region=region, account_id=owner
        )
    found: LogGroup | None = next(
        (g for g in reg.log_groups if _strip(g.arn) == _strip(group_arn) or g.name == name), None
    )
    if found is None:
        return ctx.result(
            owner,
            region,
            Status.FAIL,
            f"trail {trail.name} delivers to log group {name}, which does not exist",
            resource_id=name,
            resource_arn=_strip(group_arn),
            evidence=evidence,
        )
    need = ctx.settings.loggroup_min_retention_days
    evidence.update(retention_days=found.retention_days, required_days=need)
    if found.retention_days is None:
        status, msg = Status.PASS, f"log group {found.name} never expires events"
    elif found.retention_days >= need:
        status, msg = (
            Status.PASS,
            (f"log group {found.name} keeps events {found.retention_days} days (at least {need})"),
        )
    else:
        status, msg = (
            Status.FAIL,
            (f"log group {found.name} keeps events only {found.retention_days} days, less than {need}"),
        )
    return ctx.result(
        owner, region, status, msg, resource_id=found.name, resource_arn=_strip(found.arn), evidence=evidence
    )


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per trail owned by a scanned account."""
    for account in ctx.accounts():
        owned = [t for t in account.trails if t.owner_account_id == account.account_id]
        unlisted = unlisted_trail_errors(ctx, account)
        yield from unlisted
        if not owned and not unlisted:
            yield ctx.result(
                account.account_id,
                "global",
                Status.NOT_APPLICABLE,
                "this account owns no trail",
                resource_id=account.account_id,
                resource_type="AwsAccount",
            )
        for trail in owned:
            if not trail.cloudwatch_logs_log_group_arn:
                yield ctx.result(
                    account.account_id,
                    trail.home_region,
                    Status.NOT_APPLICABLE,
                    f"trail {trail.name} does not deliver to CloudWatch Logs (see trail-cloudwatch-logs)",
                    resource_id=trail.name,
                    resource_arn=trail.arn,
                    resource_type="AwsCloudTrailTrail",
                )
                continue
            yield _trail_result(ctx, trail, trail.cloudwatch_logs_log_group_arn)


CHECK = Check(META, evaluate)

"""trail-log-file-validation: every trail has log file integrity validation on."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.engine.checkapi import (
    Check,
    CheckContext,
    CheckMeta,
    CheckResult,
    Remediation,
    Severity,
    Status,
)
from auditor.engine.trails import per_owned_trail, trail_result
from auditor.model.snapshot import AccountSnapshot, Trail

from ._snippets import trail_resource

META = CheckMeta(
    id="trail-log-file-validation",
    title="Trails have log file integrity validation enabled",
    severity=Severity.MEDIUM,
    section="trail",
    resource_type="AwsCloudTrailTrail",
    rationale=(
        "With validation on, CloudTrail delivers hourly digest files signed by AWS that chain "
        "the SHA-256 of every log file. They are the only way to prove that a log file was not "
        "modified, deleted or forged after delivery."
    ),
    remediation=Remediation(
        summary="Enable log file validation on the trail.",
        cli="aws cloudtrail update-trail --name <trail> --enable-log-file-validation",
        terraform=trail_resource("enable_log_file_validation = true"),
        url="https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-intro.html",
    ),
    references=(
        "CIS AWS 3.2",
        "Security Hub CloudTrail.4",
        "AWS Config cloud-trail-log-file-validation-enabled",
    ),
    permissions=("cloudtrail:DescribeTrails",),
    notes="Judged per trail in its owner account; an organisation trail is judged once, there.",
)


def _judge(ctx: CheckContext, account: AccountSnapshot, trail: Trail) -> CheckResult:
    on = trail.log_file_validation_enabled
    return trail_result(
        ctx,
        trail,
        Status.PASS if on else Status.FAIL,
        "log file validation is " + ("enabled" if on else "disabled"),
        {"log_file_validation_enabled": on},
        account_id=account.account_id,
    )


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per owned trail."""
    yield from per_owned_trail(ctx, lambda acc, t: _judge(ctx, acc, t))


CHECK = Check(META, evaluate)

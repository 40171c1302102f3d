"""trail-log-file-validation: every trail has log file integrity validation on."""

from __future__ import annotations

from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity
from auditor.engine.judgement import Judgement
from auditor.engine.trails import trail_check
from auditor.model.snapshot import Trail

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


def _judge(ctx: CheckContext, trail: Trail) -> Judgement:
    on = trail.log_file_validation_enabled
    return Judgement.either(
        on, "log file validation is enabled", "log file validation is disabled", {"log_file_validation_enabled": on}
    )


CHECK = trail_check(META, _judge)

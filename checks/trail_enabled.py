"""trail-enabled: the account has at least one trail that is logging."""

from __future__ import annotations

from auditor.engine.checkapi import CheckMeta, Remediation, Severity
from auditor.engine.trails import coverage_check, logging_judgement

from ._snippets import trail_resource

META = CheckMeta(
    id="trail-enabled",
    title="At least one CloudTrail trail is logging in the account",
    severity=Severity.CRITICAL,
    section="trail",
    resource_type="AwsAccount",
    rationale=(
        "Without a logging trail, API activity in the account is kept only for 90 days in "
        "Event history and cannot be delivered, protected or reviewed. Every other audit "
        "control on AWS activity depends on a trail existing and running (IsLogging)."
    ),
    remediation=Remediation(
        summary="Create a multi-region trail (or join the organisation trail) and start logging.",
        cli=(
            "aws cloudtrail create-trail --name org-trail --s3-bucket-name <log-bucket> "
            "--is-multi-region-trail --enable-log-file-validation --kms-key-id <key-arn>\n"
            "aws cloudtrail start-logging --name org-trail"
        ),
        terraform=trail_resource(
            "is_multi_region_trail = true",
            "include_global_service_events = true",
            "enable_log_file_validation = true",
            "enable_logging = true",
            "kms_key_id = aws_kms_key.trail.arn",
        ),
        url="https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-create-a-trail-using-the-console-first-time.html",
    ),
    references=("Security Hub CloudTrail.3", "AWS Config cloudtrail-enabled", "CIS AWS 3.1"),
    permissions=("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus"),
    notes=(
        "An organisation trail owned by another account counts for a member account; its status "
        "is read from the owner's copy when the owner is in scope, else from the member's copy. "
        "A trail whose status could not be read never proves logging: when no other trail "
        "proves it, the result is ERROR, not FAIL."
    ),
)


CHECK = coverage_check(META, logging_judgement, what="is logging")

"""trail-s3-data-events-read: S3 object-level read events are recorded for all buckets."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Remediation, Severity
from auditor.engine.trails import s3_data_events_check

META = CheckMeta(
    id="trail-s3-data-events-read",
    title="S3 object-level read events are recorded for all buckets",
    severity=Severity.MEDIUM,
    section="trail",
    resource_type="AwsAccount",
    rationale=(
        "Management events do not show who touched which object (GetObject). "
        "Object-level read events for every bucket, recorded by a multi-region trail, are "
        "the evidence an investigation of data access or tampering needs (CIS 3.9)."
    ),
    remediation=Remediation(
        summary=(
            "Add an S3 data event selector for all buckets (read events) to the "
            "multi-region trail."
        ),
        cli=(
            "aws cloudtrail put-advanced-event-selectors --trail-name org-trail "
            "--advanced-event-selectors '["
            "{\"Name\":\"Management events\",\"FieldSelectors\":["
            "{\"Field\":\"eventCategory\",\"Equals\":[\"Management\"]}]},"
            "{\"Name\":\"S3 object read events\",\"FieldSelectors\":["
            "{\"Field\":\"eventCategory\",\"Equals\":[\"Data\"]},"
            "{\"Field\":\"resources.type\",\"Equals\":[\"AWS::S3::Object\"]},"
            "{\"Field\":\"readOnly\",\"Equals\":[\"true\"]}]}]'"
        ),
        terraform=(
            'resource "aws_cloudtrail" "main" {\n'
            '  name                  = "org-trail"\n'
            "  s3_bucket_name        = aws_s3_bucket.logs.id\n"
            "  is_multi_region_trail = true\n"
            "  event_selector {\n"
            '    read_write_type           = "All"\n'
            "    include_management_events = true\n"
            "    data_resource {\n"
            '      type   = "AWS::S3::Object"\n'
            '      values = ["arn:aws:s3"]\n'
            "    }\n"
            "  }\n"
            "}"
        ),
        url="https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html",
    ),
    references=(
        "CIS AWS 3.9", "Security Hub S3.23",
        "AWS Config cloudtrail-all-read-s3-data-event-check",
        "AWS Config cloudtrail-s3-dataevents-enabled",
    ),
    permissions=(
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetEventSelectors",
    ),
    notes=(
        "Basic selectors pass with DataResources type AWS::S3::Object and value arn:aws:s3 "
        "or arn:aws:s3::: (ReadWriteType All or ReadOnly). Advanced selectors pass with "
        "eventCategory Data, resources.type AWS::S3::Object, readOnly absent or true, and no "
        "resources.ARN restriction other than a StartsWith prefix every S3 object ARN has; "
        "any other condition (eventName, userIdentity...) limits coverage and does not count. "
        "Like CIS 3.9 we require the trail to be multi-region; we also require it to be "
        "logging."
    ),
)


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per account."""
    yield from s3_data_events_check(ctx, write=False)


CHECK = Check(META, evaluate)

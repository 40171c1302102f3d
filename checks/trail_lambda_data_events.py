"""trail-lambda-data-events: Lambda invoke (data) events are recorded for all functions."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Remediation, Severity
from auditor.engine.trailconfig import data_events_check
from auditor.semantics.event_selectors import LAMBDA_FUNCTIONS

META = CheckMeta(
    id="trail-lambda-data-events",
    title="Lambda invoke events are recorded for all functions",
    severity=Severity.LOW,
    section="trail",
    resource_type="AwsAccount",
    rationale=(
        "Management events show who changed a function, not who ran it. Invoke data events for "
        "every function, recorded by a multi-region trail, show which principal invoked which "
        "function when: the trace an investigation of abused automation needs."
    ),
    remediation=Remediation(
        summary="Add a Lambda data event selector for all functions to the multi-region trail.",
        cli=(
            "aws cloudtrail put-advanced-event-selectors --trail-name org-trail "
            "--advanced-event-selectors '["
            '{"Name":"Management events","FieldSelectors":['
            '{"Field":"eventCategory","Equals":["Management"]}]},'
            '{"Name":"Lambda invokes","FieldSelectors":['
            '{"Field":"eventCategory","Equals":["Data"]},'
            '{"Field":"resources.type","Equals":["AWS::Lambda::Function"]}]}]\''
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
            '      type   = "AWS::Lambda::Function"\n'
            '      values = ["arn:aws:lambda"]\n'
            "    }\n"
            "  }\n"
            "}"
        ),
        url="https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html",
    ),
    references=("CloudTrail user guide: Logging data events (AWS::Lambda::Function)",),
    permissions=("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"),
    notes=(
        "Basic selectors pass with DataResources type AWS::Lambda::Function and value "
        "arn:aws:lambda (all functions) with ReadWriteType All; advanced selectors with "
        "eventCategory Data, resources.type AWS::Lambda::Function and no resources.ARN restriction "
        "other than a StartsWith prefix of every function ARN (arn:aws:lambda:). Read and write "
        "events are judged separately: a read-only selector plus a write-only one is full coverage "
        "only together, in the same trail. Any other condition limits coverage and does not count. "
        "Like the S3 data-event checks the trail must be multi-region and logging. Data events are "
        "billed per event: a baseline may waive or lower this check."
    ),
)


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per account."""
    yield from data_events_check(ctx, LAMBDA_FUNCTIONS)


CHECK = Check(META, evaluate)

"""trail-dynamodb-data-events: DynamoDB item-level (data) events are recorded for all tables."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Remediation, Severity
from auditor.engine.trailconfig import data_events_check
from auditor.semantics.event_selectors import DYNAMODB_TABLES

META = CheckMeta(
    id="trail-dynamodb-data-events",
    title="DynamoDB data events are recorded for all tables",
    severity=Severity.LOW,
    section="trail",
    resource_type="AwsAccount",
    rationale=(
        "Management events show who changed a table, not who read or wrote its items. "
        "DynamoDB data events (GetItem, PutItem, Query...) for every table, recorded by a "
        "multi-region trail, show which principal touched which table's data when."
    ),
    remediation=Remediation(
        summary="Add a DynamoDB data event selector for all tables to the multi-region trail.",
        cli=(
            "aws cloudtrail put-advanced-event-selectors --trail-name org-trail "
            "--advanced-event-selectors '["
            '{"Name":"Management events","FieldSelectors":['
            '{"Field":"eventCategory","Equals":["Management"]}]},'
            '{"Name":"DynamoDB items","FieldSelectors":['
            '{"Field":"eventCategory","Equals":["Data"]},'
            '{"Field":"resources.type","Equals":["AWS::DynamoDB::Table"]}]}]\''
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
            '      type   = "AWS::DynamoDB::Table"\n'
            '      values = ["arn:aws:dynamodb"]\n'
            "    }\n"
            "  }\n"
            "}"
        ),
        url="https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html",
    ),
    references=("CloudTrail user guide: Logging data events (AWS::DynamoDB::Table)",),
    permissions=("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"),
    notes=(
        "Basic selectors pass with DataResources type AWS::DynamoDB::Table and value "
        "arn:aws:dynamodb (all tables) with ReadWriteType All; advanced selectors with "
        "eventCategory Data, resources.type AWS::DynamoDB::Table and no resources.ARN restriction "
        "other than a StartsWith prefix of every table ARN (arn:aws:dynamodb:). Read and write "
        "events are judged separately: a read-only selector plus a write-only one is full coverage "
        "only together, in the same trail. Any other condition limits coverage and does not count. "
        "Like the S3 data-event checks the trail must be multi-region and logging. Data events are "
        "billed per event: a baseline may waive or lower this check."
    ),
)


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per account."""
    yield from data_events_check(ctx, DYNAMODB_TABLES)


CHECK = Check(META, evaluate)

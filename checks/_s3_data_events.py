"""The two S3 data-event checks (CIS 3.8 writes, CIS 3.9 reads): one definition, two directions.

Not a check itself (the registry skips ``_`` modules): ``trail_s3_data_events_read``
and ``trail_s3_data_events_write`` each build theirs from :func:`s3_data_events`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Remediation, Severity
from auditor.engine.trails import s3_data_events_check


@dataclass(frozen=True)
class _Direction:
    word: str  # "read" / "write"
    examples: str
    cis: str
    security_hub: str
    read_only: str  # the advanced selector's readOnly value
    basic_type: str  # the basic selector's ReadWriteType besides All


_DIRECTIONS = {
    False: _Direction("read", "GetObject", "3.9", "S3.23", "true", "ReadOnly"),
    True: _Direction("write", "PutObject, DeleteObject", "3.8", "S3.22", "false", "WriteOnly"),
}


def s3_data_events(write: bool) -> Check:
    """The check that S3 object-level ``write`` (or read) events are recorded for all buckets."""
    d = _DIRECTIONS[write]
    meta = CheckMeta(
        id=f"trail-s3-data-events-{d.word}",
        title=f"S3 object-level {d.word} events are recorded for all buckets",
        severity=Severity.MEDIUM,
        section="trail",
        resource_type="AwsAccount",
        rationale=(
            f"Management events do not show who touched which object ({d.examples}). "
            f"Object-level {d.word} events for every bucket, recorded by a multi-region trail, are "
            f"the evidence an investigation of data access or tampering needs (CIS {d.cis})."
        ),
        remediation=Remediation(
            summary=(f"Add an S3 data event selector for all buckets ({d.word} events) to the multi-region trail."),
            cli=(
                "aws cloudtrail put-advanced-event-selectors --trail-name org-trail "
                "--advanced-event-selectors '["
                '{"Name":"Management events","FieldSelectors":['
                '{"Field":"eventCategory","Equals":["Management"]}]},'
                f'{{"Name":"S3 object {d.word} events","FieldSelectors":['
                '{"Field":"eventCategory","Equals":["Data"]},'
                '{"Field":"resources.type","Equals":["AWS::S3::Object"]},'
                f'{{"Field":"readOnly","Equals":["{d.read_only}"]}}]}}]\''
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
            f"CIS AWS {d.cis}",
            f"Security Hub {d.security_hub}",
            f"AWS Config cloudtrail-all-{d.word}-s3-data-event-check",
            "AWS Config cloudtrail-s3-dataevents-enabled",
        ),
        permissions=(
            "cloudtrail:DescribeTrails",
            "cloudtrail:GetTrailStatus",
            "cloudtrail:GetEventSelectors",
        ),
        notes=(
            "Basic selectors pass with DataResources type AWS::S3::Object and value arn:aws:s3 "
            f"or arn:aws:s3::: (ReadWriteType All or {d.basic_type}). Advanced selectors pass with "
            f"eventCategory Data, resources.type AWS::S3::Object, readOnly absent or {d.read_only}, and no "
            "resources.ARN restriction other than a StartsWith prefix every S3 object ARN has; "
            "any other condition (eventName, userIdentity...) limits coverage and does not count. "
            f"Like CIS {d.cis} we require the trail to be multi-region; we also require it to be "
            "logging."
        ),
    )

    def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
        """One result per account."""
        yield from s3_data_events_check(ctx, write=write)

    return Check(meta, evaluate)

"""The data-event checks: S3 objects (CIS 3.8 writes, CIS 3.9 reads), Lambda functions, DynamoDB tables.

Not a check itself (the registry skips ``_`` modules). The four checks ask one
question, "does a multi-region, logging trail record these data events for every
resource?", of different resources; each check module builds its check here
(:func:`s3_data_events` for one direction, :func:`data_events` for a resource
kind), so their remediation, permissions and judgement stay the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.engine.checkapi import Check, CheckMeta, Remediation, Severity
from auditor.engine.trailconfig import data_events_check
from auditor.engine.trails import s3_data_events_check
from auditor.semantics.event_selectors import DYNAMODB_TABLES, LAMBDA_FUNCTIONS, DataResourceKind

from ._snippets import data_resource, event_selector, put_advanced_selectors, trail_resource

_URL = "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html"


def _meta(
    *,
    id: str,
    title: str,
    severity: Severity,
    rationale: str,
    summary: str,
    selector: str,
    fields: tuple[tuple[str, list[str]], ...],
    resource_type: str,
    arn_prefix: str,
    references: tuple[str, ...],
    notes: str,
) -> CheckMeta:
    """A data-event check's metadata: one result per account, the fix a selector named ``selector``."""
    return CheckMeta(
        id=id,
        title=title,
        severity=severity,
        section="trail",
        resource_type="AwsAccount",
        rationale=rationale,
        remediation=Remediation(
            summary=summary,
            cli=put_advanced_selectors(
                selector, ("eventCategory", ["Data"]), ("resources.type", [resource_type]), *fields
            ),
            terraform=trail_resource(
                "is_multi_region_trail = true", body=event_selector(data_resource(resource_type, arn_prefix))
            ),
            url=_URL,
        ),
        references=references,
        permissions=("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"),
        notes=notes,
    )


# --------------------------------------------------------------------------- S3 objects, one direction


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
    meta = _meta(
        id=f"trail-s3-data-events-{d.word}",
        title=f"S3 object-level {d.word} events are recorded for all buckets",
        severity=Severity.MEDIUM,
        rationale=(
            f"Management events do not show who touched which object ({d.examples}). "
            f"Object-level {d.word} events for every bucket, recorded by a multi-region trail, are "
            f"the evidence an investigation of data access or tampering needs (CIS {d.cis})."
        ),
        summary=f"Add an S3 data event selector for all buckets ({d.word} events) to the multi-region trail.",
        selector=f"S3 object {d.word} events",
        fields=(("readOnly", [d.read_only]),),
        resource_type="AWS::S3::Object",
        arn_prefix="arn:aws:s3",
        references=(
            f"CIS AWS {d.cis}",
            f"Security Hub {d.security_hub}",
            f"AWS Config cloudtrail-all-{d.word}-s3-data-event-check",
            "AWS Config cloudtrail-s3-dataevents-enabled",
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
    return s3_data_events_check(meta, write=write)


# --------------------------------------------------------------------------- other resources, reads and writes


@dataclass(frozen=True)
class _Resources:
    kind: DataResourceKind
    service: str  # as the prose names it: "Lambda"
    noun: str  # one resource: "function"
    title: str
    rationale: str
    selector: str  # the advanced selector's name in the fix


_RESOURCES = {
    LAMBDA_FUNCTIONS: _Resources(
        LAMBDA_FUNCTIONS,
        "Lambda",
        "function",
        "Lambda invoke events are recorded for all functions",
        "Management events show who changed a function, not who ran it. Invoke data events for "
        "every function, recorded by a multi-region trail, show which principal invoked which "
        "function when: the trace an investigation of abused automation needs.",
        "Lambda invokes",
    ),
    DYNAMODB_TABLES: _Resources(
        DYNAMODB_TABLES,
        "DynamoDB",
        "table",
        "DynamoDB data events are recorded for all tables",
        "Management events show who changed a table, not who read or wrote its items. "
        "DynamoDB data events (GetItem, PutItem, Query...) for every table, recorded by a "
        "multi-region trail, show which principal touched which table's data when.",
        "DynamoDB items",
    ),
}


def data_events(kind: DataResourceKind) -> Check:
    """The check that read and write data events of every resource of ``kind`` are recorded."""
    r = _RESOURCES[kind]
    type_, arn = kind.resource_type, f"arn:aws:{kind.service}"
    meta = _meta(
        id=f"trail-{kind.service}-data-events",
        title=r.title,
        severity=Severity.LOW,
        rationale=r.rationale,
        summary=f"Add a {r.service} data event selector for all {r.noun}s to the multi-region trail.",
        selector=r.selector,
        fields=(),
        resource_type=type_,
        arn_prefix=arn,
        references=(f"CloudTrail user guide: Logging data events ({type_})",),
        notes=(
            f"Basic selectors pass with DataResources type {type_} and value "
            f"{arn} (all {r.noun}s) with ReadWriteType All; advanced selectors with "
            f"eventCategory Data, resources.type {type_} and no resources.ARN restriction "
            f"other than a StartsWith prefix of every {r.noun} ARN ({arn}:). Read and write "
            "events are judged separately: a read-only selector plus a write-only one is full coverage "
            "only together, in the same trail. Any other condition limits coverage and does not count. "
            "Like the S3 data-event checks the trail must be multi-region and logging. Data events are "
            "billed per event: a baseline may waive or lower this check."
        ),
    )
    return data_events_check(meta, kind)

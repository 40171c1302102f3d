"""trail-network-activity-events: network activity (VPC endpoint) events, reported for information."""

from __future__ import annotations

from auditor.engine.checkapi import CheckMeta, Remediation, Severity
from auditor.engine.judgement import Judgement
from auditor.engine.trails import coverage_check, multi_region_logging, selectors_of
from auditor.model.snapshot import Trail
from auditor.semantics.event_selectors import network_activity_sources

from ._snippets import advanced_selector, field_selector, trail_resource

META = CheckMeta(
    id="trail-network-activity-events",
    title="Network activity events (VPC endpoints) are recorded",
    severity=Severity.INFO,
    section="trail",
    resource_type="AwsAccount",
    rationale=(
        "Network activity events record API calls made through VPC endpoints, including calls "
        "denied by a VPC endpoint policy: evidence of data exfiltration attempts from inside a "
        "network that management and data events do not show. They are new and billed per "
        "event, so this is reported for information."
    ),
    remediation=Remediation(
        summary=(
            "Add an advanced selector with eventCategory NetworkActivity and the event sources "
            "of your VPC endpoints to the multi-region trail."
        ),
        cli=(
            "aws cloudtrail put-advanced-event-selectors --trail-name org-trail "
            "--advanced-event-selectors '["
            '{"Name":"Management events","FieldSelectors":['
            '{"Field":"eventCategory","Equals":["Management"]}]},'
            '{"Name":"VPC endpoint activity","FieldSelectors":['
            '{"Field":"eventCategory","Equals":["NetworkActivity"]},'
            '{"Field":"eventSource","Equals":["s3.amazonaws.com","kms.amazonaws.com"]}]}]\''
        ),
        terraform=trail_resource(
            "is_multi_region_trail = true",
            body=advanced_selector(
                "VPC endpoint activity",
                field_selector("eventCategory", '"NetworkActivity"'),
                field_selector("eventSource", '"s3.amazonaws.com", "kms.amazonaws.com"'),
            ),
        ),
        url="https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-network-events-with-cloudtrail.html",
    ),
    references=("CloudTrail user guide: Logging network activity events",),
    permissions=("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"),
    notes=(
        "Informational (severity info: it never fails a gate at the default fail_on). PASS when a "
        "logging multi-region trail has an advanced selector with eventCategory NetworkActivity; "
        "the event sources it names are listed in the evidence, and which sources matter depends "
        "on the VPC endpoints in use, so their completeness is not judged."
    ),
)


def _judge(trail: Trail) -> Judgement:
    sel, problem = selectors_of(trail)
    if problem is not None or sel is None:
        records = problem or Judgement.unknown("no selectors")
    else:
        sources = network_activity_sources(sel)
        records = (
            Judgement.yes(f"trail {trail.name} records network activity events of " + ", ".join(sources))
            if sources
            else Judgement.no(f"trail {trail.name} records no network activity events")
        )
    return multi_region_logging(trail, records)


CHECK = coverage_check(META, _judge, what="is multi-region, logging and records network activity events")

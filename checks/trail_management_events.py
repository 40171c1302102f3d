"""trail-management-events: each trail records read and write management events from all sources."""

from __future__ import annotations

from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity, Status
from auditor.engine.judgement import Judgement
from auditor.engine.trails import collected, trail_check
from auditor.model.snapshot import CollectionError, Trail
from auditor.semantics.event_selectors import management_coverage

from ._snippets import advanced_selector, field_selector, trail_resource

META = CheckMeta(
    id="trail-management-events",
    title="Trails record read and write management events from all sources",
    severity=Severity.HIGH,
    section="trail",
    resource_type="AwsCloudTrailTrail",
    rationale=(
        "Management events are the control-plane record: who changed IAM, networks, keys and "
        "the trail itself. A trail that records only read or only write events, or excludes "
        "sources such as kms.amazonaws.com, leaves gaps an investigator cannot fill later."
    ),
    remediation=Remediation(
        summary="Record all management events: ReadWriteType All and no excluded sources.",
        cli=(
            "aws cloudtrail put-event-selectors --trail-name <trail> --event-selectors "
            '\'[{"ReadWriteType":"All","IncludeManagementEvents":true,'
            '"ExcludeManagementEventSources":[]}]\''
        ),
        terraform=trail_resource(
            body=advanced_selector("All management events", field_selector("eventCategory", '"Management"'))
        ),
        url="https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-management-events-with-cloudtrail.html",
    ),
    references=(
        "CIS AWS 3.1",
        "Security Hub CloudTrail.1",
        "AWS Config multi-region-cloudtrail-enabled",
    ),
    permissions=("cloudtrail:DescribeTrails", "cloudtrail:GetEventSelectors"),
    notes=(
        "Judged per trail owned by the account (an organisation trail is judged in its owner "
        "account). Basic selectors: ReadWriteType and ExcludeManagementEventSources. Advanced "
        "selectors: eventCategory = Management, readOnly (absent = both) and eventSource "
        "conditions (NotEquals = excluded sources); a condition on any other field cannot be "
        "proven harmless and FAILs the trail. A trail that records no management events at all "
        "(a data-events-only trail) also FAILs, as the catalogue states; waive it if intended."
    ),
)


def _judge(ctx: CheckContext, trail: Trail) -> Judgement | CollectionError:
    sel = collected(trail.event_selectors, "event selectors were")
    if isinstance(sel, Judgement | CollectionError):
        return sel
    cov = management_coverage(sel)
    status = Status.PASS if cov.complete else Status.FAIL
    return Judgement(status, cov.describe(), {"management_events": cov.as_evidence()})


CHECK = trail_check(META, _judge)

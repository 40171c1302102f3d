"""trail-global-service-events: a logging trail records global service events (IAM, STS...)."""

from __future__ import annotations

from auditor.engine.checkapi import CheckMeta, Remediation, Severity
from auditor.engine.judgement import Judgement
from auditor.engine.trails import all_of, coverage_check, logging_judgement, management_judgement
from auditor.model.snapshot import Trail

from ._snippets import trail_resource

META = CheckMeta(
    id="trail-global-service-events",
    title="A logging trail records global service events (IAM, STS, CloudFront)",
    severity=Severity.MEDIUM,
    section="trail",
    resource_type="AwsAccount",
    rationale=(
        "IAM, STS and CloudFront are global services whose events are delivered to us-east-1 "
        "and recorded only by trails with IncludeGlobalServiceEvents. Without them, creation "
        "of users, access keys and role trust changes are missing from the audit trail."
    ),
    remediation=Remediation(
        summary="Enable IncludeGlobalServiceEvents on the account's (multi-region) trail.",
        cli="aws cloudtrail update-trail --name org-trail --include-global-service-events",
        terraform=trail_resource("include_global_service_events = true"),
        url="https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-concepts.html#cloudtrail-concepts-global-service-events",
    ),
    references=("CIS AWS 3.1", "Security Hub CloudTrail.1"),
    permissions=(
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetEventSelectors",
    ),
    notes=(
        "No public anchor has a separate rule; CIS 3.1's audit procedure and CloudTrail.1 imply "
        "it. We require a trail that is logging, has IncludeGlobalServiceEvents and records "
        "management events (global service events are management events: a data-events-only "
        "trail with the flag set records none of them). Global service events are delivered "
        "to us-east-1 (us-gov-west-1, cn-north-1 in the other partitions), so a single-region "
        "trail elsewhere does not receive them even with the flag set."
    ),
)


#: Where each partition delivers global service events.
GLOBAL_EVENT_REGIONS = ("us-east-1", "us-gov-west-1", "cn-north-1")


def _judge(trail: Trail) -> Judgement:
    flag = (
        Judgement.yes(f"trail {trail.name} includes global service events")
        if trail.include_global_service_events
        else Judgement.no(f"trail {trail.name} excludes global service events")
    )
    if trail.is_multi_region or trail.home_region in GLOBAL_EVENT_REGIONS:
        where = Judgement.yes(f"trail {trail.name} receives events of {trail.home_region}")
    else:
        where = Judgement.no(
            f"trail {trail.name} is a single-region trail in "
            f"{trail.home_region}, where global service events are not delivered"
        )
    return all_of(flag, where, logging_judgement(trail), management_judgement(trail, complete=False))


CHECK = coverage_check(META, _judge, what="is logging and records global service events")

"""trail-insights: a logging multi-region trail has CloudTrail Insights selectors."""

from __future__ import annotations

from auditor.engine.checkapi import CheckMeta, Remediation, Severity
from auditor.engine.judgement import Judgement
from auditor.engine.trails import coverage_check, multi_region_logging
from auditor.model.snapshot import CollectionError, Trail

from ._snippets import block, trail_resource

META = CheckMeta(
    id="trail-insights",
    title="CloudTrail Insights is enabled on a multi-region trail",
    severity=Severity.LOW,
    section="trail",
    resource_type="AwsAccount",
    rationale=(
        "Insights flags unusual API call volumes and error rates (a burst of "
        "DeleteObject, a spike of AccessDenied) that single events do not reveal. It is a "
        "cheap early signal of compromised credentials or runaway automation."
    ),
    remediation=Remediation(
        summary="Enable ApiCallRateInsight and ApiErrorRateInsight on the multi-region trail.",
        cli=(
            "aws cloudtrail put-insight-selectors --trail-name org-trail --insight-selectors "
            '\'[{"InsightType":"ApiCallRateInsight"},{"InsightType":"ApiErrorRateInsight"}]\''
        ),
        terraform=trail_resource(
            "is_multi_region_trail = true",
            body=block("insight_selector", 'insight_type = "ApiCallRateInsight"')
            + block("insight_selector", 'insight_type = "ApiErrorRateInsight"'),
        ),
        url="https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-insights-events-with-cloudtrail.html",
    ),
    references=("CloudTrail user guide: Working with CloudTrail Insights",),
    permissions=(
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetInsightSelectors",
    ),
    notes=(
        "No CIS item, Security Hub control or Config managed rule covers Insights; this is a "
        "good-practice, cost-bearing check (low severity; baselines may lower it to info). It "
        "PASSes with at least one Insights type on a logging multi-region trail; a missing "
        "second type is named in the evidence. Insights analyses management events, so a "
        "multi-region trail is required."
    ),
)

_TYPES = ("ApiCallRateInsight", "ApiErrorRateInsight")


def _judge(trail: Trail) -> Judgement:
    ins = trail.insight_selectors
    if isinstance(ins, CollectionError):
        has = Judgement.unknown(f"insight selectors of trail {trail.name} unreadable: {ins.reason()}", ins)
    elif ins:
        missing = [t for t in _TYPES if t not in ins]
        extra = f" (missing {', '.join(missing)})" if missing else ""
        has = Judgement.yes(f"trail {trail.name} has Insights {', '.join(ins)}{extra}")
    else:
        has = Judgement.no(f"trail {trail.name} has no Insights selectors")
    return multi_region_logging(trail, has)


CHECK = coverage_check(META, _judge, what="is multi-region, logging and has Insights")

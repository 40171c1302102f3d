"""trail-multi-region: a logging multi-region trail records all management events."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.engine.accounts import Finding, account_check
from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity
from auditor.engine.judgement import Judgement
from auditor.engine.trails import (
    account_judgement,
    covering_trails,
    logging_judgement,
    management_judgement,
    multi_region_logging,
    per_region_trails,
)
from auditor.model.arn import GLOBAL
from auditor.model.snapshot import AccountSnapshot, Trail

from ._snippets import event_selector, trail_resource

META = CheckMeta(
    id="trail-multi-region",
    title="A logging multi-region trail records read and write management events",
    severity=Severity.HIGH,
    section="trail",
    resource_type="AwsAccount",
    rationale=(
        "Attackers use the regions nobody watches. A multi-region trail records API activity "
        "in every region, including regions enabled later, and must record both read and "
        "write management events without excluded sources to give a complete audit trail."
    ),
    remediation=Remediation(
        summary=(
            "Make a trail multi-region and record all management events (ReadWriteType All, "
            "no ExcludeManagementEventSources)."
        ),
        cli=(
            "aws cloudtrail update-trail --name org-trail --is-multi-region-trail\n"
            "aws cloudtrail put-event-selectors --trail-name org-trail --event-selectors "
            '\'[{"ReadWriteType":"All","IncludeManagementEvents":true}]\''
        ),
        terraform=trail_resource("is_multi_region_trail = true", body=event_selector()),
        url="https://docs.aws.amazon.com/awscloudtrail/latest/userguide/receive-cloudtrail-log-files-from-multiple-regions.html",
    ),
    references=(
        "CIS AWS 3.1",
        "Security Hub CloudTrail.1",
        "AWS Config multi-region-cloudtrail-enabled",
    ),
    permissions=(
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetEventSelectors",
    ),
    notes=(
        "One account-level result (region 'global') for the CIS 3.1 / CloudTrail.1 condition, "
        "plus one result per scanned region: a region FAILs when no logging trail covers it "
        "(a multi-region trail, or a single-region trail whose home region it is). A region "
        "whose DescribeTrails failed is ERROR. Security Hub CloudTrail.1 and CIS 3.1 both "
        "require read and write management events; excluded event sources (e.g. "
        "kms.amazonaws.com) are treated as incomplete, as in the CIS audit procedure."
    ),
)


def _account_judgement(trail: Trail) -> Judgement:
    return multi_region_logging(trail, management_judgement(trail, complete=True))


def _judge(ctx: CheckContext, account: AccountSnapshot) -> Iterator[Finding]:
    """Per account (global) and per scanned region."""
    trails = covering_trails(ctx.snapshot, account)
    judged = [(t, _account_judgement(t)) for t in trails]
    what = "is multi-region, logging and records read and write management events"
    yield Finding(GLOBAL, account_judgement(ctx, account, judged, what=what))

    def region_judgement(region: str, covering: list[Trail]) -> Judgement:
        return account_judgement(
            ctx,
            account,
            [(t, logging_judgement(t)) for t in covering],
            what=f"covers region {region} and is logging",
            region=region,
            no_trail_message=f"no trail covers region {region}",
        )

    yield from per_region_trails(ctx, account, trails, region_judgement)


CHECK = account_check(META, _judge)

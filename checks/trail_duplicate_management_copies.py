"""trail-duplicate-management-copies: at most one trail records management events per region."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditor.engine.accounts import Finding, account_check
from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity, Status
from auditor.engine.judgement import Judgement
from auditor.engine.trails import all_of, covering_trails, logging_judgement, management_judgement, per_region_trails
from auditor.model.snapshot import AccountSnapshot, Trail

from ._snippets import data_resource, event_selector, trail_resource

#: CloudTrail list price for each additional copy of management events (USD).
PRICE_PER_100K_EVENTS = 2.00

META = CheckMeta(
    id="trail-duplicate-management-copies",
    title="Management events are not recorded by more than one trail per region",
    severity=Severity.LOW,
    section="trail",
    resource_type="AwsAccount",
    rationale=(
        "The first copy of management events in each region is free; every further trail "
        "recording them is billed at $2.00 per 100,000 events. Duplicates usually come from a "
        "legacy account trail left beside the organisation trail and add cost, not evidence."
    ),
    remediation=Remediation(
        summary=(
            "Keep one trail recording management events per region (usually the organisation "
            "trail); remove the duplicate or switch it to data events only."
        ),
        cli=(
            "aws cloudtrail put-event-selectors --trail-name <duplicate-trail> --event-selectors "
            '\'[{"ReadWriteType":"All","IncludeManagementEvents":false,'
            '"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3"]}]}]\'\n'
            "# or: aws cloudtrail delete-trail --name <duplicate-trail>"
        ),
        terraform=trail_resource(
            body=event_selector(data_resource("AWS::S3::Object", "arn:aws:s3"), management=False),
            label="data_only",
            name="data-events",
        ),
        url="https://aws.amazon.com/cloudtrail/pricing/",
    ),
    references=("AWS CloudTrail pricing: additional copies of management events",),
    permissions=(
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetEventSelectors",
    ),
    notes=(
        "A cost finding, not a security one; no public anchor. Per account and scanned region we "
        "count logging trails that record management events and cover the region (a "
        "multi-region trail counts in every region, another trail only in its home region; an "
        "organisation trail counts in every member account). The snapshot has no event volume, "
        "so the message gives the formula: (copies - 1) x monthly management events / 100,000 x "
        "$2.00. When trails that cannot be judged could make the count exceed one, the result "
        "is ERROR."
    ),
)


def _judge(ctx: CheckContext, account: AccountSnapshot) -> Iterator[Finding]:
    """One finding per scanned region."""
    return per_region_trails(ctx, account, covering_trails(ctx.snapshot, account), _copies)


def _copies(region: str, trails: list[Trail]) -> Judgement:
    """How many of the ``trails`` covering ``region`` record its management events."""
    judged = [(t, all_of(logging_judgement(t), management_judgement(t, complete=False))) for t in trails]
    copies = [t for t, j in judged if j.ok is True]
    unknown = [(t, j) for t, j in judged if j.ok is None]
    ev: dict[str, Any] = {
        "copies": [t.arn for t in copies],
        "unknown": [{"arn": t.arn, "reason": j.message} for t, j in unknown],
        "price_per_100k_events_usd": PRICE_PER_100K_EVENTS,
    }
    n = len(copies)
    if n > 1:
        extra = n - 1
        msg = (
            f"{n} trails record management events in {region} "
            f"({', '.join(t.name for t in copies)}): {extra} additional "
            f"cop{'y is' if extra == 1 else 'ies are'} billed. Estimated extra cost = "
            f"{extra} x (monthly management events / 100,000) x "
            f"${PRICE_PER_100K_EVENTS:.2f}, "
            f"e.g. ${extra * 10 * PRICE_PER_100K_EVENTS:.2f}"
            " per month per million events; the snapshot has no event volume, so the "
            "exact figure needs it"
        )
        ev["additional_copies"] = extra
        return Judgement(Status.FAIL, msg, ev)
    if n + len(unknown) > 1:
        ev["collection_errors"] = [e.evidence() for _, j in unknown for e in j.errors]
        reasons = "; ".join(j.message for _, j in unknown)
        return Judgement(
            Status.ERROR, f"cannot count the trails recording management events in {region}: {reasons}", ev
        )
    if copies:
        msg = f"one trail ({copies[0].name}) records management events in {region}"
    elif unknown:
        # One trail that could not be judged cannot be a duplicate of anything:
        # the verdict stands, but the message must not claim what was not seen.
        msg = (
            f"at most one trail ({unknown[0][0].name}) can record management events "
            f"in {region}, so no copy is billed twice (not judged: {unknown[0][1].message})"
        )
    else:
        msg = (
            f"no trail records management events in {region} "
            "(no duplicate cost; coverage is judged by trail-multi-region)"
        )
    return Judgement(Status.PASS, msg, ev)


CHECK = account_check(META, _judge, no_region="no region was scanned in this account")

"""trail-duplicate-management-copies: at most one trail records management events per region."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditor.engine.checkapi import (
    Check,
    CheckContext,
    CheckMeta,
    CheckResult,
    Remediation,
    Severity,
    Status,
)
from auditor.engine.trails import (
    all_of,
    covering_trails,
    logging_judgement,
    management_judgement,
    trail_covers_region,
)
from auditor.model.snapshot import CollectionError

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


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per account and scanned region."""
    for account in ctx.accounts():
        trails = covering_trails(ctx.snapshot, account)
        if not account.regions:
            yield ctx.result(
                account.account_id,
                "global",
                Status.NOT_APPLICABLE,
                "no region was scanned in this account",
                resource_id=account.account_id,
            )
            continue
        for reg in ctx.regions(account):
            if isinstance(reg.trail_arns, CollectionError):
                yield ctx.error(
                    reg.trail_arns, resource_id=account.account_id, region=reg.region, account_id=account.account_id
                )
                continue
            judged = [
                (t, all_of(logging_judgement(t), management_judgement(t, complete=False)))
                for t in trails
                if trail_covers_region(t, reg.region)
            ]
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
                    f"{n} trails record management events in {reg.region} "
                    f"({', '.join(t.name for t in copies)}): {extra} additional "
                    f"cop{'y is' if extra == 1 else 'ies are'} billed. Estimated extra cost = "
                    f"{extra} x (monthly management events / 100,000) x "
                    f"${PRICE_PER_100K_EVENTS:.2f}, "
                    f"e.g. ${extra * 10 * PRICE_PER_100K_EVENTS:.2f}"
                    " per month per million events; the snapshot has no event volume, so the "
                    "exact figure needs it"
                )
                ev["additional_copies"] = extra
                yield ctx.result(
                    account.account_id, reg.region, Status.FAIL, msg, resource_id=account.account_id, evidence=ev
                )
            elif n + len(unknown) > 1:
                ev["collection_errors"] = [e.evidence() for _, j in unknown for e in j.errors]
                reasons = "; ".join(j.message for _, j in unknown)
                yield ctx.result(
                    account.account_id,
                    reg.region,
                    Status.ERROR,
                    f"cannot count the trails recording management events in {reg.region}: {reasons}",
                    resource_id=account.account_id,
                    evidence=ev,
                )
            else:
                if copies:
                    msg = f"one trail ({copies[0].name}) records management events in {reg.region}"
                elif unknown:
                    # One trail that could not be judged cannot be a duplicate of anything:
                    # the verdict stands, but the message must not claim what was not seen.
                    msg = (
                        f"at most one trail ({unknown[0][0].name}) can record management events "
                        f"in {reg.region}, so no copy is billed twice (not judged: {unknown[0][1].message})"
                    )
                else:
                    msg = (
                        f"no trail records management events in {reg.region} "
                        "(no duplicate cost; coverage is judged by trail-multi-region)"
                    )
                yield ctx.result(
                    account.account_id, reg.region, Status.PASS, msg, resource_id=account.account_id, evidence=ev
                )


CHECK = Check(META, evaluate)

"""trail-tags: every trail carries the tag keys the baseline requires (any tag when none is)."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Remediation, Severity, Status
from auditor.engine.trails import per_owned_trail, trail_result
from auditor.model.snapshot import AccountSnapshot, CollectionError, Trail

from ._snippets import block, trail_resource

META = CheckMeta(
    id="trail-tags",
    title="Trails are tagged",
    severity=Severity.LOW,
    section="trail",
    resource_type="AwsCloudTrailTrail",
    rationale=(
        "Tags say who owns a trail, what it is for and how it is classified. Without them "
        "nobody can tell the organisation's audit trail from a forgotten experiment, and "
        "tag-based access control and cost allocation cannot apply to it."
    ),
    remediation=Remediation(
        summary="Tag the trail with the keys your tagging policy requires (owner, purpose...).",
        cli=(
            "aws cloudtrail add-tags --resource-id <trail-arn> "
            "--tags-list Key=owner,Value=security Key=purpose,Value=audit"
        ),
        terraform=trail_resource(body=block("tags =", 'owner = "security"', 'purpose = "audit"')),
        url="https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_AddTags.html",
    ),
    references=("Security Hub CloudTrail.9",),
    permissions=("cloudtrail:DescribeTrails", "cloudtrail:ListTags"),
    notes=(
        "Security Hub CloudTrail.9 takes a list of required tag keys and, with none given, "
        "passes a trail with at least one tag; we do the same with the baseline's "
        "required_tags. Keys are compared exactly (tag keys are case-sensitive); values are "
        "not judged. Tags are read from the trail's owner: an organisation trail is judged in "
        "the account that owns it."
    ),
)


def _judge(ctx: CheckContext, account: AccountSnapshot, trail: Trail) -> CheckResult:
    tags = trail.tags
    if isinstance(tags, CollectionError):
        return ctx.error(
            tags,
            resource_id=trail.name,
            resource_arn=trail.arn,
            region=trail.home_region,
            account_id=account.account_id,
            resource_type="AwsCloudTrailTrail",
        )
    if tags is None:
        return trail_result(
            ctx,
            trail,
            Status.ERROR,
            "the trail's tags were not collected; nothing can be concluded",
            account_id=account.account_id,
        )
    keys = sorted({t.key for t in tags})
    required = list(dict.fromkeys(ctx.settings.required_tags))
    ev = {"tag_keys": keys, "required_tags": required}
    if required:
        missing = [k for k in required if k not in keys]
        if missing:
            return trail_result(
                ctx,
                trail,
                Status.FAIL,
                f"missing required tag(s) {', '.join(missing)}",
                {**ev, "missing": missing},
                account_id=account.account_id,
            )
        return trail_result(
            ctx,
            trail,
            Status.PASS,
            f"carries the required tags {', '.join(required)}",
            ev,
            account_id=account.account_id,
        )
    if not keys:
        return trail_result(ctx, trail, Status.FAIL, "has no tags", ev, account_id=account.account_id)
    return trail_result(
        ctx,
        trail,
        Status.PASS,
        f"tagged ({', '.join(keys)}); no tag key is required",
        ev,
        account_id=account.account_id,
    )


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per owned trail."""
    yield from per_owned_trail(ctx, lambda acc, t: _judge(ctx, acc, t))


CHECK = Check(META, evaluate)

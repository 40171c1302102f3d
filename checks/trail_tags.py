"""trail-tags: every trail carries the tag keys the baseline requires (any tag when none is)."""

from __future__ import annotations

from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity, Status
from auditor.engine.judgement import Judgement
from auditor.engine.trailconfig import tag_keys
from auditor.engine.trails import collected, trail_check
from auditor.model.snapshot import CollectionError, Trail

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


def _judge(ctx: CheckContext, trail: Trail) -> Judgement | CollectionError:
    tags = collected(trail.tags, "the trail's tags were")
    if isinstance(tags, Judgement | CollectionError):
        return tags
    keys = tag_keys(tags)
    required = list(dict.fromkeys(ctx.settings.required_tags))
    ev = {"tag_keys": keys, "required_tags": required}
    if required:
        missing = [k for k in required if k not in keys]
        if missing:
            return Judgement(Status.FAIL, f"missing required tag(s) {', '.join(missing)}", {**ev, "missing": missing})
        return Judgement(Status.PASS, f"carries the required tags {', '.join(required)}", ev)
    return Judgement.either(bool(keys), f"tagged ({', '.join(keys)}); no tag key is required", "has no tags", ev)


CHECK = trail_check(META, _judge)

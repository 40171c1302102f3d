"""trail-organization: an organisation's management account owns a logging organisation trail."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.engine.checkapi import (
    Check,
    CheckContext,
    CheckMeta,
    CheckResult,
    Remediation,
    Severity,
    Status,
)
from auditor.engine.judgement import Judgement
from auditor.engine.trails import account_result, covering_trails, logging_judgement, owned_trails
from auditor.model.arn import GLOBAL
from auditor.model.snapshot import CollectionError, Trail

META = CheckMeta(
    id="trail-organization",
    title="The organisation's management account has an organisation trail",
    severity=Severity.MEDIUM,
    section="trail",
    resource_type="AwsAccount",
    rationale=(
        "An organisation trail logs every member account, including accounts created later, "
        "into one central bucket that member accounts cannot change or stop. Without it each "
        "account must be trusted to keep its own trail running, and new accounts start unlogged."
    ),
    remediation=Remediation(
        summary=(
            "From the management (or delegated administrator) account, create a multi-region "
            "organisation trail and start logging."
        ),
        cli=(
            "aws cloudtrail create-trail --name org-trail --s3-bucket-name <log-bucket> "
            "--is-multi-region-trail --is-organization-trail --enable-log-file-validation\n"
            "aws cloudtrail start-logging --name org-trail"
        ),
        terraform=(
            'resource "aws_cloudtrail" "org" {\n'
            '  name                  = "org-trail"\n'
            "  s3_bucket_name        = aws_s3_bucket.logs.id\n"
            "  is_multi_region_trail = true\n"
            "  is_organization_trail = true\n"
            "  enable_log_file_validation = true\n"
            "}"
        ),
        url="https://docs.aws.amazon.com/awscloudtrail/latest/userguide/creating-trail-organization.html",
    ),
    references=("AWS Config cloudtrail-security-trail-enabled", "PCI DSS 10.3.3"),
    permissions=(
        "organizations:DescribeOrganization",
        "organizations:ListDelegatedAdministrators",
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetTrailStatus",
    ),
    notes=(
        "An account the collector marked as management (or delegated administrator) account "
        "is judged whatever else is known; otherwise NOT_APPLICABLE when the snapshot shows no "
        "organisation, ERROR when the organisation could not be read, and judged when the "
        "organisation names the account as its management account. Member accounts are "
        "NOT_APPLICABLE because only "
        "those accounts can own an organisation trail. We require the organisation trail to be "
        "logging as well as to exist: a stopped organisation trail centralises nothing. "
        "The CloudTrail delegated administrator (ListDelegatedAdministrators for "
        "cloudtrail.amazonaws.com, read with --organization) is judged too: an organisation "
        "trail it creates is owned by, and listed under, the management account, so it passes "
        "on a logging organisation trail of the organisation whoever owns it. When the "
        "delegated administrators could not be read, a member account covered by no logging "
        "organisation trail is ERROR (it may be the administrator), otherwise NOT_APPLICABLE."
    ),
)


def _judge(trail: Trail) -> Judgement:
    if not trail.is_organization_trail:
        return Judgement.no(f"trail {trail.name} is not an organisation trail")
    return logging_judgement(trail)


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per account."""
    org = ctx.snapshot.organization
    for account in ctx.accounts():
        aid = account.account_id
        if account.is_organization_management is not True:
            if org is None:
                yield ctx.result(
                    aid,
                    GLOBAL,
                    Status.NOT_APPLICABLE,
                    "the account is not in an AWS Organizations organisation",
                    resource_id=aid,
                )
                continue
            if isinstance(org, CollectionError):
                yield ctx.error(org, resource_id=aid, region=GLOBAL, account_id=aid)
                continue
            if org.management_account_id != aid:
                admins = org.cloudtrail_delegated_admins
                org_trails = [(t, _judge(t)) for t in covering_trails(ctx.snapshot, account) if t.is_organization_trail]
                if isinstance(admins, tuple) and aid in admins:
                    yield account_result(
                        ctx,
                        account,
                        org_trails,
                        what="is a logging organisation trail (this account is CloudTrail's delegated administrator)",
                        no_trail_message="no organisation trail: this account is CloudTrail's "
                        "delegated administrator and no organisation trail covers it",
                    )
                    continue
                if isinstance(admins, CollectionError) and not any(j.ok for _, j in org_trails):
                    yield ctx.error(admins, resource_id=aid, region=GLOBAL, account_id=aid)
                    continue
                yield ctx.result(
                    aid,
                    GLOBAL,
                    Status.NOT_APPLICABLE,
                    "member account: only the management or delegated administrator "
                    "account can own an organisation trail",
                    resource_id=aid,
                    evidence={
                        "organization_id": org.id,
                        "cloudtrail_delegated_admins": list(admins) if isinstance(admins, tuple) else None,
                    },
                )
                continue
        judged = [(t, _judge(t)) for t in owned_trails(account)]
        yield account_result(
            ctx,
            account,
            judged,
            what="is a logging organisation trail",
            no_trail_message="no organisation trail: the account owns no trail",
        )


CHECK = Check(META, evaluate)

"""trail-organization: an organisation's management account owns a logging organisation trail."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.engine.accounts import Finding, account_check
from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity, Status
from auditor.engine.judgement import Judgement
from auditor.engine.trails import account_judgement, covering_trails, logging_judgement, owned_trails
from auditor.model.arn import GLOBAL
from auditor.model.snapshot import AccountSnapshot, CollectionError, Organization, Trail

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


def _trail_judgement(trail: Trail) -> Judgement:
    if not trail.is_organization_trail:
        return Judgement.no(f"trail {trail.name} is not an organisation trail")
    return logging_judgement(trail)


def _judge(ctx: CheckContext, account: AccountSnapshot) -> Iterator[Finding]:
    """One finding per account."""
    yield Finding(GLOBAL, _organisation_trail(ctx, account))


def _organisation_trail(ctx: CheckContext, account: AccountSnapshot) -> Judgement | CollectionError:
    org = ctx.snapshot.organization
    if account.is_organization_management is not True:
        if org is None:
            return Judgement(Status.NOT_APPLICABLE, "the account is not in an AWS Organizations organisation")
        if isinstance(org, CollectionError):
            return org
        if org.management_account_id != account.account_id:
            return _member(ctx, account, org)
    judged = [(t, _trail_judgement(t)) for t in owned_trails(account)]
    return account_judgement(
        ctx,
        account,
        judged,
        what="is a logging organisation trail",
        no_trail_message="no organisation trail: the account owns no trail",
    )


def _member(ctx: CheckContext, account: AccountSnapshot, org: Organization) -> Judgement | CollectionError:
    """A member account: judged only when it is (or may be) CloudTrail's delegated administrator."""
    aid = account.account_id
    admins = org.cloudtrail_delegated_admins
    org_trails = [(t, _trail_judgement(t)) for t in covering_trails(ctx.snapshot, account) if t.is_organization_trail]
    if isinstance(admins, tuple) and aid in admins:
        return account_judgement(
            ctx,
            account,
            org_trails,
            what="is a logging organisation trail (this account is CloudTrail's delegated administrator)",
            no_trail_message="no organisation trail: this account is CloudTrail's "
            "delegated administrator and no organisation trail covers it",
        )
    if isinstance(admins, CollectionError) and not any(j.ok for _, j in org_trails):
        return admins
    return Judgement(
        Status.NOT_APPLICABLE,
        "member account: only the management or delegated administrator account can own an organisation trail",
        {
            "organization_id": org.id,
            "cloudtrail_delegated_admins": list(admins) if isinstance(admins, tuple) else None,
        },
    )


CHECK = account_check(META, _judge)

"""lake-organization: an organisation's CloudTrail Lake records every member account."""

from __future__ import annotations

from auditor.engine.checkapi import CheckContext, Severity, Status
from auditor.engine.judgement import Judgement
from auditor.engine.lake import lake_check, lake_meta, store_remediation
from auditor.model.snapshot import AccountSnapshot, CollectionError, EventDataStore, EventDataStoreConfig

META = lake_meta(
    id="lake-organization",
    title="CloudTrail Lake event data stores of the management account are organisation-enabled",
    severity=Severity.LOW,
    rationale=(
        "An organisation event data store records every member account, including accounts "
        "created later, and members cannot change it. A store of the management (or "
        "delegated administrator) account that is not organisation-enabled records only "
        "that one account."
    ),
    remediation=store_remediation(
        "From the management or CloudTrail delegated administrator account, enable the store for the organisation.",
        "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-lake-organizations.html",
        option="--organization-enabled",
        setting="organization_enabled = true",
        align=True,
    ),
    references=("CloudTrail Lake CreateEventDataStore OrganizationEnabled",),
    permissions=(
        "organizations:DescribeOrganization",
        "organizations:ListDelegatedAdministrators",
    ),
    notes=(
        "Judged per store in the organisation's management account and in CloudTrail's "
        "delegated administrator (ListDelegatedAdministrators, read with --organization); "
        "a store of a member account, or of an account outside any organisation, is "
        "NOT_APPLICABLE (it cannot be organisation-enabled), and ERROR while the "
        "organisation could not be read. An organisation store created by the delegated "
        "administrator is owned by, and judged in, the management account."
    ),
)


def _role(ctx: CheckContext, account: AccountSnapshot) -> str | CollectionError | None:
    """ "management", "delegated administrator", None (neither), or why it is unknown."""
    org = ctx.snapshot.organization
    if account.is_organization_management is True:
        return "management"
    if org is None:
        return None
    if isinstance(org, CollectionError):
        return org
    if org.management_account_id == account.account_id:
        return "management"
    admins = org.cloudtrail_delegated_admins
    if isinstance(admins, tuple) and account.account_id in admins:
        return "delegated administrator"
    if isinstance(admins, CollectionError):
        return admins
    return None


def _judge(
    ctx: CheckContext, account: AccountSnapshot, store: EventDataStore, cfg: EventDataStoreConfig
) -> Judgement | CollectionError:
    role = _role(ctx, account)
    if role is None or isinstance(role, CollectionError):
        return role or Judgement(
            Status.NOT_APPLICABLE,
            "the account is not in an AWS Organizations organisation"
            if ctx.snapshot.organization is None
            else "member account: only the management or CloudTrail delegated administrator account "
            "can enable a store for the organisation",
        )
    return Judgement.either(
        cfg.organization_enabled,
        "records every account of the organisation",
        f"records only this account, the organisation's {role}, not the organisation",
        {"organization_enabled": cfg.organization_enabled, "account_role": role},
    )


CHECK = lake_check(META, _judge)

"""lake-organization: an organisation's CloudTrail Lake records every member account."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Remediation, Severity, Status
from auditor.engine.lake import RESOURCE_TYPE, per_event_data_store, store_result
from auditor.model.snapshot import AccountSnapshot, CollectionError, EventDataStore, EventDataStoreConfig

META = CheckMeta(
    id="lake-organization",
    title="CloudTrail Lake event data stores of the management account are organisation-enabled",
    severity=Severity.LOW,
    section="trail",
    resource_type=RESOURCE_TYPE,
    rationale=(
        "An organisation event data store records every member account, including accounts "
        "created later, and members cannot change it. A store of the management (or "
        "delegated administrator) account that is not organisation-enabled records only "
        "that one account."
    ),
    remediation=Remediation(
        summary=(
            "From the management or CloudTrail delegated administrator account, enable the store for the organisation."
        ),
        cli="aws cloudtrail update-event-data-store --event-data-store <arn> --organization-enabled",
        terraform=(
            'resource "aws_cloudtrail_event_data_store" "main" {\n'
            '  name                 = "org-events"\n'
            "  organization_enabled = true\n"
            "}"
        ),
        url="https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-lake-organizations.html",
    ),
    references=("CloudTrail Lake CreateEventDataStore OrganizationEnabled",),
    permissions=(
        "cloudtrail:ListEventDataStores",
        "cloudtrail:GetEventDataStore",
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
) -> CheckResult:
    role = _role(ctx, account)
    if isinstance(role, CollectionError):
        return ctx.error(
            role,
            resource_id=store.name,
            resource_arn=store.arn,
            region=store.region,
            account_id=account.account_id,
            resource_type=RESOURCE_TYPE,
        )
    if role is None:
        why = (
            "the account is not in an AWS Organizations organisation"
            if ctx.snapshot.organization is None
            else "member account: only the management or CloudTrail delegated administrator account "
            "can enable a store for the organisation"
        )
        return store_result(ctx, account, store, Status.NOT_APPLICABLE, why)
    ev = {"organization_enabled": cfg.organization_enabled, "account_role": role}
    if cfg.organization_enabled:
        return store_result(ctx, account, store, Status.PASS, "records every account of the organisation", ev)
    return store_result(
        ctx,
        account,
        store,
        Status.FAIL,
        f"records only this account, the organisation's {role}, not the organisation",
        ev,
    )


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per event data store; NOT_APPLICABLE for an account without one."""
    yield from per_event_data_store(ctx, lambda acc, store, cfg: _judge(ctx, acc, store, cfg))


CHECK = Check(META, evaluate)

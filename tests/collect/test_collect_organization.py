"""Organisations: accounts discovered, entered through AssumeRole, one that refuses."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto.cloudtrail.models import cloudtrail_backends

from auditor.aws.collect import CollectError, CollectOptions, collect
from auditor.model.snapshot import CollectionError, Organization
from tests.collect.conftest import (
    CALLER,
    REGION,
    SCAN_REGIONS,
    CallLog,
    access_denied,
    assume,
    client,
    deny,
    new_session,
    seed_configured_account,
)


def _organization(session: boto3.Session) -> tuple[str, str]:
    org = client(session, "organizations")
    org.create_organization(FeatureSet="ALL")
    ids = [
        org.create_account(Email=f"{n}@example.com", AccountName=n)["CreateAccountStatus"]["AccountId"]
        for n in ("log-archive", "workload")
    ]
    return ids[0], ids[1]


def _org_trail(session: boto3.Session, bucket_owner_creds: Any, members: list[str]) -> str:
    """An organization trail of the management account, delivering to the log archive.

    moto does not show a management account's organization trail to members;
    AWS does, so the trail object is also placed in the members' backends.
    """
    client(session, "s3", creds=bucket_owner_creds).create_bucket(Bucket="org-trail-logs")
    ct = client(session, "cloudtrail")
    arn = str(
        ct.create_trail(
            Name="org-trail",
            S3BucketName="org-trail-logs",
            IsMultiRegionTrail=True,
            IsOrganizationTrail=True,
        )["TrailARN"]
    )
    ct.start_logging(Name=arn)
    trail = cloudtrail_backends[CALLER][REGION].trails["org-trail"]
    for member in members:
        cloudtrail_backends[member][REGION].trails["org-trail"] = trail
    return arn


def test_organization_accounts_are_scanned_through_assume_role(session: boto3.Session) -> None:
    log_archive, workload = _organization(session)
    workload_seed = seed_configured_account(session, workload, assume(session, workload), prefix="wl")
    org_trail = _org_trail(session, assume(session, log_archive), [log_archive, workload])
    calls = CallLog(session)

    snap = collect(
        CollectOptions(regions=SCAN_REGIONS, organization=True, role_name="Audit"),
        session=session,
    )

    assert isinstance(snap.organization, Organization)
    assert snap.organization.management_account_id == CALLER
    assert {a.account_id for a in snap.organization.accounts} == {CALLER, log_archive, workload}
    assert [a.account_id for a in snap.accounts] == sorted([CALLER, log_archive, workload])
    mgmt, archive, wl = (snap.account(a) for a in (CALLER, log_archive, workload))
    assert mgmt is not None and archive is not None and wl is not None
    assert mgmt.is_organization_management is True
    assert archive.is_organization_management is False and archive.name == "log-archive"
    assert all(a.access_error is None for a in snap.accounts)
    assert calls.count("sts", "AssumeRole") == 2
    role_arns = {p["RoleArn"] for s, o, p in calls.calls if (s, o) == ("sts", "AssumeRole")}
    assert role_arns == {f"arn:aws:iam::{a}:role/Audit" for a in (log_archive, workload)}

    # the organization trail is recorded in every account that sees it, owned by management
    for acc in (mgmt, archive, wl):
        copy = next(t for t in acc.trails if t.arn == org_trail)
        assert copy.owner_account_id == CALLER and copy.is_organization_trail
        assert not isinstance(copy.status, CollectionError) and copy.status is not None
        assert copy.status.is_logging
    assert {t.arn for t in wl.trails} == {org_trail, workload_seed.trail_arn}

    # the member's own trail, bucket and key were read with the member's credentials
    own = next(t for t in wl.trails if t.arn == workload_seed.trail_arn)
    assert own.owner_account_id == workload
    wl_bucket = snap.bucket(workload_seed.bucket)
    assert wl_bucket is not None and wl_bucket.owner_account_id == workload
    key = snap.key(workload_seed.key_arn)
    assert key is not None and key.account_id == workload
    assert key.rotation_enabled is True

    # the organization trail's bucket belongs to the log archive account, found by ListBuckets
    org_bucket = snap.bucket("org-trail-logs")
    assert org_bucket is not None
    assert (org_bucket.existence, org_bucket.owner_account_id) == ("exists", log_archive)
    assert calls.count("s3", "GetBucketPolicy") == 2  # two distinct buckets, each read once
    assert snap.errors == ()


def test_account_whose_role_cannot_be_assumed_gets_access_error(session: boto3.Session) -> None:
    log_archive, workload = _organization(session)
    seed_configured_account(session, workload, assume(session, workload), prefix="wl")

    def refuse_workload(params: Any, **_: Any) -> None:
        if workload in params["body"]["RoleArn"]:  # STS is a query protocol: a form body
            raise access_denied("AssumeRole")

    session.events.register("before-call.sts.AssumeRole", refuse_workload)

    snap = collect(
        CollectOptions(regions=SCAN_REGIONS, organization=True, role_name="Audit"),
        session=session,
    )

    wl = snap.account(workload)
    assert wl is not None and wl.access_error is not None
    assert (wl.access_error.operation, wl.access_error.error_code) == ("AssumeRole", "AccessDenied")
    assert wl.access_error.account_id == workload
    assert wl.regions == () and wl.trails == ()
    assert wl.access_error in snap.errors
    archive = snap.account(log_archive)
    assert archive is not None and archive.access_error is None
    assert archive.enabled_regions == SCAN_REGIONS
    assert all(r.trail_arns == () for r in archive.regions)


def test_explicit_accounts_are_scanned_with_external_id(session: boto3.Session) -> None:
    _log_archive, workload = _organization(session)
    calls = CallLog(session)

    snap = collect(
        CollectOptions(regions=(REGION,), accounts=(workload,), role_name="Audit", external_id="s3cret-id"),
        session=session,
    )

    assert [a.account_id for a in snap.accounts] == [workload]
    (params,) = [p for s, o, p in calls.calls if (s, o) == ("sts", "AssumeRole")]
    assert params["ExternalId"] == "s3cret-id"
    assert snap.accounts[0].access_error is None


def test_other_accounts_without_role_name_is_a_usage_error() -> None:
    from moto import mock_aws

    with mock_aws(), pytest.raises(CollectError, match="--role-name"):
        collect(CollectOptions(accounts=("111122223333",)), session=new_session())


def test_unlistable_organization_is_an_error_and_the_caller_is_still_scanned(
    session: boto3.Session,
) -> None:
    _organization(session)
    deny(session, "organizations", "ListAccounts")

    snap = collect(CollectOptions(regions=(REGION,), organization=True, role_name="Audit"), session=session)

    assert isinstance(snap.organization, CollectionError)
    assert snap.organization.operation == "ListAccounts"
    assert [a.account_id for a in snap.accounts] == [CALLER]
    assert snap.accounts[0].access_error is None


def test_caller_outside_any_organization_has_no_organization(session: boto3.Session) -> None:
    snap = collect(CollectOptions(regions=(REGION,), organization=True), session=session)

    assert snap.organization is None
    assert [a.account_id for a in snap.accounts] == [CALLER]
    assert snap.accounts[0].is_organization_management is False
    assert snap.errors == ()


def test_cloudtrail_delegated_administrators_are_read_with_the_organisation(session: boto3.Session) -> None:
    """ListDelegatedAdministrators for cloudtrail.amazonaws.com, registered in moto's Organizations
    (taught that principal, which moto 5.2 refuses: auditor/aws/demo_moto.py)."""
    log_archive, workload = _organization(session)
    org = client(session, "organizations")
    org.register_delegated_administrator(AccountId=log_archive, ServicePrincipal="cloudtrail.amazonaws.com")
    org.register_delegated_administrator(AccountId=workload, ServicePrincipal="guardduty.amazonaws.com")
    calls = CallLog(session)

    snap = collect(CollectOptions(regions=(REGION,), organization=True, role_name="Audit"), session=session)

    assert isinstance(snap.organization, Organization)
    assert snap.organization.cloudtrail_delegated_admins == (log_archive,)  # not GuardDuty's
    asked = [p for s, o, p in calls.calls if (s, o) == ("organizations", "ListDelegatedAdministrators")]
    assert asked and all(p["ServicePrincipal"] == "cloudtrail.amazonaws.com" for p in asked)
    assert snap.errors == ()


def test_organisation_trail_of_the_delegated_admin_is_attributed_to_the_management_account(
    session: boto3.Session,
) -> None:
    """An organisation trail the delegated administrator creates is owned by the management account
    and listed under its ARN: the administrator's trail-organization passes on it."""
    from auditor.engine.checkapi import Settings
    from auditor.engine.registry import builtin_checks
    from auditor.engine.runner import run_check

    log_archive, workload = _organization(session)
    client(session, "organizations").register_delegated_administrator(
        AccountId=log_archive, ServicePrincipal="cloudtrail.amazonaws.com"
    )
    arn = _org_trail(session, assume(session, log_archive), [log_archive, workload])

    snap = collect(CollectOptions(regions=(REGION,), organization=True, role_name="Audit"), session=session)

    admin = snap.account(log_archive)
    assert admin is not None and [t.owner_account_id for t in admin.trails if t.arn == arn] == [CALLER]
    check = next(c for c in builtin_checks() if c.meta.id == "trail-organization")
    results = {r.account_id: r for r in run_check(snap, check, Settings())}
    assert results[log_archive].status.value == "PASS" and "delegated administrator" in results[log_archive].message
    assert results[workload].status.value == "NOT_APPLICABLE"
    assert results[CALLER].status.value == "PASS"


def test_refused_delegated_administrators_are_an_error_in_their_field(session: boto3.Session) -> None:
    _organization(session)
    deny(session, "organizations", "ListDelegatedAdministrators")

    snap = collect(CollectOptions(regions=(REGION,), organization=True, role_name="Audit"), session=session)

    assert isinstance(snap.organization, Organization)
    err = snap.organization.cloudtrail_delegated_admins
    assert isinstance(err, CollectionError)
    assert (err.operation, err.error_code) == ("ListDelegatedAdministrators", "AccessDenied")
    assert err in snap.errors
    assert len(snap.organization.accounts) == 3  # the rest of the organisation was read


def test_without_organization_mode_delegated_administrators_are_not_collected(session: boto3.Session) -> None:
    _organization(session)
    snap = collect(CollectOptions(regions=(REGION,)), session=session)
    assert isinstance(snap.organization, Organization)
    assert snap.organization.cloudtrail_delegated_admins is None

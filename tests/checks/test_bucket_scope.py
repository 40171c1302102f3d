"""Rules every bucket-* check shares: scope, collection failures, missing buckets."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import pytest

from auditor.builtin_checks import (
    bucket_access_logging,
    bucket_archival_lifecycle,
    bucket_default_encryption,
    bucket_exists,
    bucket_hot_retention,
    bucket_mfa_delete,
    bucket_not_public,
    bucket_object_lock,
    bucket_policy_source_arn,
    bucket_policy_tls_only,
    bucket_retention,
    bucket_versioning,
)
from auditor.engine.checkapi import CheckResult, Settings, Status
from auditor.engine.runner import run_check
from auditor.model.snapshot import AccountSnapshot, Bucket, Snapshot
from tests.builders import (
    ACCOUNT,
    BUCKET,
    REGION,
    denied,
    out_of_scope_error,
    own_trail,
    sound_snapshot,
    with_account,
    with_bucket,
    with_trail,
)

ALL = [
    bucket_exists,
    bucket_not_public,
    bucket_policy_tls_only,
    bucket_policy_source_arn,
    bucket_access_logging,
    bucket_versioning,
    bucket_mfa_delete,
    bucket_object_lock,
    bucket_retention,
    bucket_hot_retention,
    bucket_archival_lifecycle,
    bucket_default_encryption,
]
NOT_EXISTS = [m for m in ALL if m is not bucket_exists]
LOG_ARCHIVE = "222222222222"
OUTSIDER = "999999999999"


def run(module: ModuleType, snap: Snapshot, settings: Settings | None = None) -> list[CheckResult]:
    return run_check(snap, module.CHECK, settings or Settings())


def out_of_scope_bucket(owner: str | None = None) -> Bucket:
    err = out_of_scope_error()
    return Bucket(
        name=BUCKET,
        existence=err,
        owner_account_id=owner,
        region=err,
        policy=err,
        acl=err,
        public_access_block=err,
        versioning=err,
        object_lock=err,
        lifecycle=err,
        logging=err,
        encryption=err,
    )


@pytest.mark.parametrize("module", ALL, ids=lambda m: m.META.id)
def test_sound_snapshot_passes(module: ModuleType) -> None:
    results = run(module, sound_snapshot())
    assert [r.status for r in results] == [Status.PASS]
    assert results[0].resource_id == BUCKET
    assert results[0].account_id == ACCOUNT
    assert results[0].region == REGION
    assert results[0].resource_arn == f"arn:aws:s3:::{BUCKET}"


@pytest.mark.parametrize("module", ALL, ids=lambda m: m.META.id)
def test_meta_is_complete(module: ModuleType) -> None:
    meta = module.META
    assert meta.id.replace("-", "_") == module.__name__.rsplit(".", 1)[1]
    assert meta.section == "bucket" and meta.resource_type == "AwsS3Bucket"
    assert meta.rationale and meta.remediation.cli.startswith("aws ")
    assert meta.remediation.terraform.startswith(("resource ", "data "))
    assert meta.references and meta.permissions


@pytest.mark.parametrize("module", ALL, ids=lambda m: m.META.id)
def test_out_of_scope_bucket_is_error_never_pass_or_fail(module: ModuleType) -> None:
    snap = replace(sound_snapshot(), buckets=(out_of_scope_bucket(),))
    for settings in (Settings(), Settings(trusted_accounts=(LOG_ARCHIVE,))):
        results = run(module, snap, settings)
        assert [r.status for r in results] == [Status.ERROR]
        assert "outside the scanned scope" in results[0].message
        assert "log-archive account" in results[0].message


@pytest.mark.parametrize("module", ALL, ids=lambda m: m.META.id)
def test_bucket_not_collected_is_error(module: ModuleType) -> None:
    results = run(module, replace(sound_snapshot(), buckets=()))
    assert [r.status for r in results] == [Status.ERROR]
    assert "was not collected" in results[0].message


@pytest.mark.parametrize("module", ALL, ids=lambda m: m.META.id)
def test_account_without_s3_trail_is_not_applicable(module: ModuleType) -> None:
    snap = with_trail(sound_snapshot(), s3_bucket_name=None)
    results = run(module, snap)
    assert [r.status for r in results] == [Status.NOT_APPLICABLE]
    assert results[0].message == "no trail delivers to S3 in this account"


@pytest.mark.parametrize("module", NOT_EXISTS, ids=lambda m: m.META.id)
def test_missing_bucket_is_not_applicable_outside_bucket_exists(module: ModuleType) -> None:
    results = run(module, with_bucket(sound_snapshot(), existence="missing"))
    assert [r.status for r in results] == [Status.NOT_APPLICABLE]
    assert "see bucket-exists" in results[0].message


@pytest.mark.parametrize("module", NOT_EXISTS, ids=lambda m: m.META.id)
def test_unreadable_existence_is_error_with_reason(module: ModuleType) -> None:
    results = run(module, with_bucket(sound_snapshot(), existence=denied("HeadBucket", "s3")))
    assert [r.status for r in results] == [Status.ERROR]
    assert "AccessDenied" in results[0].message


def test_inaccessible_account_gets_error_from_engine() -> None:
    snap = with_account(sound_snapshot(), access_error=denied("AssumeRole", "sts"))
    for module in ALL:
        results = run(module, snap)
        assert results and all(r.status is Status.ERROR for r in results)


def test_shared_bucket_is_judged_once_under_its_owner() -> None:
    other_trail = own_trail(LOG_ARCHIVE, "local")
    second = AccountSnapshot(account_id=LOG_ARCHIVE, trails=(other_trail,))
    snap = sound_snapshot()
    snap = replace(snap, accounts=(*snap.accounts, second))
    results = run(bucket_versioning, snap)
    assert [(r.status, r.account_id) for r in results] == [(Status.PASS, ACCOUNT), (Status.NOT_APPLICABLE, LOG_ARCHIVE)]
    assert BUCKET in results[1].message
    assert len(results[0].evidence["trails"]) == 2


def test_bucket_owned_by_log_archive_account_is_reported_there() -> None:
    snap = with_bucket(sound_snapshot(), owner_account_id=LOG_ARCHIVE, region="eu-west-1")
    results = run(bucket_versioning, snap)
    by_account = {r.account_id: r for r in results}
    assert by_account[LOG_ARCHIVE].status is Status.PASS
    assert by_account[LOG_ARCHIVE].region == "eu-west-1"
    assert by_account[ACCOUNT].status is Status.NOT_APPLICABLE


def test_member_account_seeing_org_trail_judges_its_bucket() -> None:
    """An org trail owned by an account outside the scan still names a bucket to judge."""
    member = "333333333333"
    snap = sound_snapshot()
    org_trail = replace(snap.accounts[0].trails[0], owner_account_id=OUTSIDER)
    snap = replace(
        snap,
        accounts=(AccountSnapshot(account_id=member, trails=(org_trail,)),),
        buckets=(replace(snap.buckets[0], owner_account_id=member),),
    )
    results = run(bucket_versioning, snap)
    assert [(r.status, r.account_id) for r in results] == [(Status.PASS, member)]


def test_non_org_trail_owned_elsewhere_is_not_judged_here() -> None:
    snap = with_trail(sound_snapshot(), owner_account_id=OUTSIDER, is_organization_trail=False)
    results = run(bucket_versioning, snap)
    assert [r.status for r in results] == [Status.NOT_APPLICABLE]


CATALOGUE_SEVERITY = {
    "bucket-exists": "critical",
    "bucket-not-public": "critical",
    "bucket-policy-tls-only": "medium",
    "bucket-policy-source-arn": "medium",
    "bucket-access-logging": "low",
    "bucket-versioning": "medium",
    "bucket-mfa-delete": "low",
    "bucket-object-lock": "medium",
    "bucket-retention": "high",
    "bucket-hot-retention": "medium",
    "bucket-archival-lifecycle": "low",
    "bucket-default-encryption": "low",
}


def test_ids_and_severities_match_the_catalogue() -> None:
    assert {m.META.id: m.META.severity.value for m in ALL} == CATALOGUE_SEVERITY


def test_permissions_are_granted_by_the_shipped_iam_policy() -> None:
    """A permission the scan role lacks would turn the check into a permanent ERROR."""
    policy = json.loads((Path(__file__).parents[2] / "policy" / "iam-policy.json").read_text())
    granted: set[str] = set()
    for stmt in policy["Statement"]:
        granted |= set([stmt["Action"]] if isinstance(stmt["Action"], str) else stmt["Action"])
    for module in ALL:
        assert set(module.META.permissions) <= granted, module.META.id

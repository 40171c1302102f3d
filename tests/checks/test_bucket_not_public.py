"""bucket-not-public: public ACL grants and wildcard policies, and what Block Public Access masks."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.builtin_checks import bucket_not_public
from auditor.engine.checkapi import CheckResult, Settings, Status
from auditor.engine.policies import ALL_USERS_URI, AUTHENTICATED_USERS_URI
from auditor.engine.runner import run_check
from auditor.model.snapshot import AclGrant, BucketAcl, PublicAccessBlock, Snapshot
from tests.builders import BUCKET, denied, sound_bucket, sound_snapshot, with_account, with_bucket

OFF = PublicAccessBlock()


def run(snap: Snapshot) -> list[CheckResult]:
    return run_check(snap, bucket_not_public.CHECK, Settings())


def no_bpa(snap: Snapshot) -> Snapshot:
    return with_account(with_bucket(snap, public_access_block=None), s3_account_public_access_block=None)


def public_read_acl(uri: str = ALL_USERS_URI) -> BucketAcl:
    return BucketAcl(owner_id="abc", grants=(AclGrant("READ", "Group", grantee_uri=uri),))


def with_statement(stmt: dict[str, Any]) -> dict[str, Any]:
    policy = dict(sound_bucket().policy)  # type: ignore[arg-type]
    policy["Statement"] = [*policy["Statement"], stmt]
    return policy


PUBLIC_GET: dict[str, Any] = {
    "Sid": "PublicRead",
    "Effect": "Allow",
    "Principal": "*",
    "Action": "s3:GetObject",
    "Resource": f"arn:aws:s3:::{BUCKET}/*",
}


def test_private_bucket_without_block_public_access_passes() -> None:
    [res] = run(no_bpa(sound_snapshot()))
    assert res.status is Status.PASS


def test_public_acl_grant_fails_when_block_public_access_is_off() -> None:
    for uri in (ALL_USERS_URI, AUTHENTICATED_USERS_URI):
        [res] = run(with_bucket(no_bpa(sound_snapshot()), acl=public_read_acl(uri)))
        assert res.status is Status.FAIL
        assert uri in res.message


def test_wildcard_principal_policy_fails_when_block_public_access_is_off() -> None:
    for principal in ("*", {"AWS": "*"}, {"AWS": ["arn:aws:iam::111111111111:root", "*"]}):
        stmt = {**PUBLIC_GET, "Principal": principal}
        [res] = run(with_bucket(no_bpa(sound_snapshot()), policy=with_statement(stmt)))
        assert res.status is Status.FAIL, principal
        assert "PublicRead" in res.message


def test_allow_with_not_principal_is_public() -> None:
    stmt: dict[str, Any] = {**PUBLIC_GET}
    del stmt["Principal"]
    stmt["NotPrincipal"] = {"AWS": "arn:aws:iam::111111111111:root"}
    [res] = run(with_bucket(no_bpa(sound_snapshot()), policy=with_statement(stmt)))
    assert res.status is Status.FAIL


@pytest.mark.parametrize(
    ("cond", "status"),
    [
        # Conditions that restrict a public grant to the organisation, an account, a network or an endpoint.
        ({"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}, Status.PASS),
        ({"StringEquals": {"AWS:SourceAccount": "111111111111"}}, Status.PASS),
        ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, Status.PASS),
        ({"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c"}}, Status.PASS),
        # Conditions that do not restrict: the grant is still public.
        ({"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}}, Status.FAIL),
        ({"StringEqualsIfExists": {"aws:SourceAccount": "111111111111"}}, Status.FAIL),
        ({"StringLike": {"aws:SourceAccount": "*"}}, Status.FAIL),
        ({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, Status.FAIL),
        ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/admin"}}, Status.FAIL),
        ({"Bool": {"aws:SecureTransport": "true"}}, Status.FAIL),
    ],
)
def test_public_policy_passes_only_with_a_restricting_condition(cond: dict[str, Any], status: Status) -> None:
    stmt = {**PUBLIC_GET, "Condition": cond}
    [res] = run(with_bucket(no_bpa(sound_snapshot()), policy=with_statement(stmt)))
    assert res.status is status, cond


def test_account_level_block_public_access_masks_public_acl() -> None:
    snap = with_bucket(sound_snapshot(), public_access_block=None, acl=public_read_acl())
    [res] = run(snap)
    assert res.status is Status.PASS
    assert "Block Public Access" in res.message


def test_ignore_public_acls_alone_masks_acl_but_not_policy() -> None:
    snap = with_account(
        with_bucket(
            sound_snapshot(), acl=public_read_acl(), public_access_block=PublicAccessBlock(True, True, False, False)
        ),
        s3_account_public_access_block=None,
    )
    assert run(snap)[0].status is Status.PASS
    [res] = run(with_bucket(snap, policy=with_statement(PUBLIC_GET)))
    assert res.status is Status.FAIL


def test_full_block_public_access_passes_even_when_acl_and_policy_unreadable() -> None:
    snap = with_bucket(
        sound_snapshot(),
        acl=denied("GetBucketAcl", "s3"),
        policy=denied("GetBucketPolicy", "s3"),
        public_access_block=OFF,
    )
    assert run(snap)[0].status is Status.PASS


def test_unreadable_acl_without_block_public_access_is_error() -> None:
    [res] = run(with_bucket(no_bpa(sound_snapshot()), acl=denied("GetBucketAcl", "s3")))
    assert res.status is Status.ERROR
    assert "GetBucketAcl" in res.message


def test_unreadable_policy_without_block_public_access_is_error() -> None:
    [res] = run(with_bucket(no_bpa(sound_snapshot()), policy=denied("GetBucketPolicy", "s3")))
    assert res.status is Status.ERROR


def test_unreadable_account_block_with_public_acl_is_error_not_fail() -> None:
    snap = with_account(
        with_bucket(sound_snapshot(), public_access_block=None, acl=public_read_acl()),
        s3_account_public_access_block=denied("GetPublicAccessBlock", "s3"),
    )
    [res] = run(snap)
    assert res.status is Status.ERROR
    assert "GetPublicAccessBlock" in res.message


def test_unreadable_bucket_block_with_private_acl_and_policy_passes() -> None:
    snap = with_account(
        with_bucket(sound_snapshot(), public_access_block=denied("GetPublicAccessBlock", "s3")),
        s3_account_public_access_block=None,
    )
    assert run(snap)[0].status is Status.PASS


def test_public_acl_fails_even_if_policy_unreadable() -> None:
    snap = with_bucket(no_bpa(sound_snapshot()), acl=public_read_acl(), policy=denied("GetBucketPolicy", "s3"))
    assert run(snap)[0].status is Status.FAIL

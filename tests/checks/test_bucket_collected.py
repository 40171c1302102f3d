"""Bucket checks on snapshots the real collector builds from moto, not only from builders.

This guards the contract between ``auditor.aws.collect`` (policy parsed to a dict,
ACL grantee URIs, lifecycle normalisation, account-level Block Public Access)
and what the bucket checks read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from auditor.aws.collect import CollectOptions, collect
from auditor.builtin_checks import (
    bucket_exists,
    bucket_not_public,
    bucket_policy_source_arn,
    bucket_policy_tls_only,
    bucket_retention,
    bucket_versioning,
)
from auditor.engine.checkapi import Check, Settings, Status
from auditor.engine.runner import run_check
from auditor.model.snapshot import Snapshot
from tests.policydocs import block_public_access, policy, trail_write_statement

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
BUCKET = "open-cloudtrail-logs"


@pytest.fixture
def session() -> Iterator[boto3.Session]:
    with mock_aws():
        yield boto3.Session(region_name=REGION)


def seed_public_bucket(session: boto3.Session) -> None:
    """A trail delivering to a bucket with a public ACL, a public policy and 100-day expiry."""
    s3 = session.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_public_access_block(
        Bucket=BUCKET,
        PublicAccessBlockConfiguration=block_public_access(False),
    )
    s3.put_bucket_acl(Bucket=BUCKET, ACL="public-read")
    everyone = {
        "Sid": "Everyone",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{BUCKET}/*",
    }
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy(trail_write_statement(BUCKET), everyone)))
    s3.put_bucket_lifecycle_configuration(
        Bucket=BUCKET,
        LifecycleConfiguration={
            "Rules": [
                {"ID": "short", "Status": "Enabled", "Filter": {"Prefix": "AWSLogs/"}, "Expiration": {"Days": 100}}
            ]
        },
    )
    session.client("cloudtrail").create_trail(Name="main", S3BucketName=BUCKET, IsMultiRegionTrail=True)


def scan(session: boto3.Session) -> Snapshot:
    return collect(CollectOptions(regions=(REGION,)), session=session)


def status(check: Check, snap: Snapshot) -> Status:
    [res] = run_check(snap, check, Settings())
    assert res.resource_id == BUCKET and res.account_id == ACCOUNT
    return res.status


def test_collected_public_bucket_fails_its_checks(session: boto3.Session) -> None:
    seed_public_bucket(session)
    snap = scan(session)
    assert status(bucket_exists.CHECK, snap) is Status.PASS
    assert status(bucket_not_public.CHECK, snap) is Status.FAIL
    assert status(bucket_policy_tls_only.CHECK, snap) is Status.FAIL
    assert status(bucket_policy_source_arn.CHECK, snap) is Status.FAIL
    assert status(bucket_retention.CHECK, snap) is Status.FAIL
    assert status(bucket_versioning.CHECK, snap) is Status.FAIL


def test_collected_account_block_public_access_masks_public_bucket(
    session: boto3.Session,
) -> None:
    seed_public_bucket(session)
    session.client("s3control").put_public_access_block(
        AccountId=ACCOUNT,
        PublicAccessBlockConfiguration=block_public_access(),
    )
    assert status(bucket_not_public.CHECK, scan(session)) is Status.PASS


def test_collected_deleted_bucket_fails_bucket_exists(session: boto3.Session) -> None:
    seed_public_bucket(session)
    s3 = session.client("s3")
    s3.delete_bucket_policy(Bucket=BUCKET)
    s3.delete_bucket(Bucket=BUCKET)
    snap = scan(session)
    assert status(bucket_exists.CHECK, snap) is Status.FAIL
    assert status(bucket_versioning.CHECK, snap) is Status.NOT_APPLICABLE

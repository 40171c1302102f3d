"""The trail-* checks on a snapshot the real collector took of a moto account.

Check tests build snapshots by hand; this one makes sure the checks read the
collector's actual output (selectors as moto returns them, times, key lookup)
the way the hand-built snapshots assume.
"""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from auditor.aws.collect import CollectOptions, collect
from auditor.engine.checkapi import Settings, Status
from auditor.engine.registry import builtin_checks
from auditor.engine.runner import run_check
from auditor.model.snapshot import Snapshot


@pytest.fixture(scope="module")
def snapshot() -> Snapshot:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
        mp.delenv("AWS_PROFILE", raising=False)
        with mock_aws():
            boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="trail-logs")
            kms = boto3.client("kms", region_name="us-east-1")
            key_arn = kms.create_key(Description="trail key")["KeyMetadata"]["Arn"]
            ct = boto3.client("cloudtrail", region_name="us-east-1")
            ct.create_trail(
                Name="main-trail",
                S3BucketName="trail-logs",
                IsMultiRegionTrail=True,
                EnableLogFileValidation=True,
                KmsKeyId=key_arn,
            )
            ct.start_logging(Name="main-trail")
            ct.create_trail(Name="data-trail", S3BucketName="trail-logs")
            ct.put_event_selectors(
                TrailName="data-trail",
                AdvancedEventSelectors=[
                    {
                        "Name": "S3 objects",
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Data"]},
                            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                        ],
                    }
                ],
            )
            return collect(
                CollectOptions(regions=("us-east-1", "eu-west-1")), session=boto3.Session(region_name="us-east-1")
            )


def statuses(snap: Snapshot, check_id: str) -> dict[tuple[str, str], Status]:
    chk = next(c for c in builtin_checks() if c.meta.id == check_id)
    return {(r.region, r.resource_id): r.status for r in run_check(snap, chk, Settings())}


def test_collected_snapshot_judged_as_configured(snapshot: Snapshot) -> None:
    acct = snapshot.accounts[0].account_id
    assert statuses(snapshot, "trail-enabled") == {("global", acct): Status.PASS}
    assert statuses(snapshot, "trail-multi-region") == {
        ("global", acct): Status.PASS,
        ("us-east-1", acct): Status.PASS,
        ("eu-west-1", acct): Status.PASS,
    }
    assert statuses(snapshot, "trail-management-events") == {
        ("us-east-1", "main-trail"): Status.PASS,
        ("us-east-1", "data-trail"): Status.FAIL,
    }
    assert statuses(snapshot, "trail-log-file-validation") == {
        ("us-east-1", "main-trail"): Status.PASS,
        ("us-east-1", "data-trail"): Status.FAIL,
    }
    # The all-bucket S3 selector is on a single-region, stopped trail: it does not count.
    assert statuses(snapshot, "trail-s3-data-events-write") == {("global", acct): Status.FAIL}
    assert statuses(snapshot, "trail-delivery-health")[("us-east-1", "data-trail")] is Status.FAIL


def test_every_trail_check_gives_a_definite_answer(snapshot: Snapshot) -> None:
    for chk in builtin_checks():
        if chk.meta.id.startswith("trail-"):
            res = run_check(snapshot, chk, Settings())
            assert res, chk.meta.id
            assert Status.ERROR not in {r.status for r in res}, (chk.meta.id, res)

"""Key checks: trail-kms-key-health, -rotation, -policy (run through the engine)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from auditor.engine.checkapi import CheckResult, Status
from auditor.model.snapshot import CollectionError, KeyMetadata, Snapshot
from tests.builders import (
    ACCOUNT,
    KEY_ARN,
    REGION,
    TRAIL_ARN,
    denied,
    run_by_id,
    sound_key,
    sound_snapshot,
    sound_trail,
    with_account,
    with_key,
    with_trail,
)

KEY_CHECKS = ["trail-kms-key-health", "trail-kms-key-rotation", "trail-kms-key-policy"]


def kms_denied(operation: str) -> CollectionError:
    """AccessDenied on a KMS call about the trail key."""
    return denied(operation, service="kms", resource=KEY_ARN)


def only(check_id: str, snap: Snapshot) -> CheckResult:
    res = run_by_id(check_id, snap)
    assert len(res) == 1, res
    return res[0]


def metadata(**changes: Any) -> KeyMetadata:
    md = sound_key().metadata
    assert isinstance(md, KeyMetadata)
    return replace(md, **changes)


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


@pytest.mark.parametrize("check_id", KEY_CHECKS)
def test_sound_key_passes(check_id: str) -> None:
    res = only(check_id, sound_snapshot())
    assert res.status is Status.PASS
    assert res.resource_type == "AwsKmsKey"
    assert res.resource_id == KEY_ARN


@pytest.mark.parametrize("check_id", KEY_CHECKS)
def test_trail_without_key_is_not_applicable(check_id: str) -> None:
    res = only(check_id, with_trail(sound_snapshot(), kms_key_id=None))
    assert res.status is Status.NOT_APPLICABLE


@pytest.mark.parametrize("check_id", KEY_CHECKS)
def test_account_without_trail_is_not_applicable(check_id: str) -> None:
    assert only(check_id, with_account(sound_snapshot(), trails=())).status is Status.NOT_APPLICABLE


@pytest.mark.parametrize("check_id", KEY_CHECKS)
def test_key_missing_from_snapshot_is_error(check_id: str) -> None:
    res = only(check_id, sound_snapshot(keys=()))
    assert res.status is Status.ERROR
    assert "not collected" in res.message


@pytest.mark.parametrize("check_id", KEY_CHECKS)
def test_shared_key_is_judged_once_per_account(check_id: str) -> None:
    second = sound_trail(arn=TRAIL_ARN.replace("org-trail", "second"), name="second")
    res = run_by_id(check_id, with_account(sound_snapshot(), trails=(sound_trail(), second)))
    assert len(res) == 1
    assert set(res[0].evidence["trails"]) == {TRAIL_ARN, second.arn}


def test_key_found_by_key_id() -> None:
    key_id = KEY_ARN.rsplit("/", 1)[1]
    assert only("trail-kms-key-health", with_trail(sound_snapshot(), kms_key_id=key_id)).status is Status.PASS


# --------------------------------------------------------------------------- health


@pytest.mark.parametrize(
    "md",
    [
        metadata(key_state="Disabled", enabled=False),
        metadata(key_state="PendingDeletion", enabled=False, deletion_date="2026-12-01T00:00:00Z"),
        metadata(key_state="PendingReplicaDeletion", enabled=False),
        metadata(key_state="Unavailable", enabled=False),
    ],
)
def test_unusable_key_fails(md: KeyMetadata) -> None:
    res = only("trail-kms-key-health", with_key(sound_snapshot(), metadata=md))
    assert res.status is Status.FAIL
    assert md.key_state in res.message


def test_missing_key_fails() -> None:
    err = CollectionError(ACCOUNT, REGION, "kms", "DescribeKey", "NotFoundException", "Key does not exist", KEY_ARN)
    res = only("trail-kms-key-health", with_key(sound_snapshot(), metadata=err))
    assert res.status is Status.FAIL
    assert "does not exist" in res.message


def test_unreadable_key_is_error() -> None:
    err = kms_denied("DescribeKey")
    res = only("trail-kms-key-health", with_key(sound_snapshot(), metadata=err))
    assert res.status is Status.ERROR
    assert res.evidence["collection_error"]["error_code"] == "AccessDenied"


# --------------------------------------------------------------------------- rotation


def test_rotation_off_fails() -> None:
    assert only("trail-kms-key-rotation", with_key(sound_snapshot(), rotation_enabled=False)).status is Status.FAIL


@pytest.mark.parametrize(
    ("check_id", "change"),
    [
        ("trail-kms-key-rotation", {"rotation_enabled": kms_denied("GetKeyRotationStatus")}),
        ("trail-kms-key-rotation", {"rotation_enabled": None}),  # not collected for a customer key
        ("trail-kms-key-rotation", {"metadata": kms_denied("DescribeKey")}),
        ("trail-kms-key-policy", {"policy": kms_denied("GetKeyPolicy")}),
        ("trail-kms-key-policy", {"policy": None}),  # not collected
        ("trail-kms-key-policy", {"policy": {"Version": "x"}}),  # no statements
    ],
    ids=[
        "rotation-unreadable",
        "rotation-not-collected",
        "rotation-metadata-unreadable",
        "policy-unreadable",
        "policy-not-collected",
        "policy-without-statements",
    ],
)
def test_key_evidence_unreadable_or_missing_is_error(check_id: str, change: dict[str, Any]) -> None:
    assert only(check_id, with_key(sound_snapshot(), **change)).status is Status.ERROR


@pytest.mark.parametrize(
    "md",
    [
        metadata(key_manager="AWS"),
        metadata(key_spec="RSA_2048"),
        metadata(origin="EXTERNAL"),
    ],
)
def test_rotation_not_applicable_to_aws_managed_asymmetric_or_imported(md: KeyMetadata) -> None:
    snap = with_key(sound_snapshot(), metadata=md, rotation_enabled=None)
    assert only("trail-kms-key-rotation", snap).status is Status.NOT_APPLICABLE


# --------------------------------------------------------------------------- policy

ADMIN = {
    "Sid": "Admin",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    "Action": "kms:*",
    "Resource": "*",
}


@pytest.mark.parametrize(
    "stmt",
    [
        {
            "Sid": "CT",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "kms:GenerateDataKey*",
            "Resource": "*",
        },
        {
            "Sid": "CT",
            "Effect": "Allow",
            "Principal": {"Service": ["cloudtrail.amazonaws.com"]},
            "Action": ["kms:*"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        },
        {
            "Sid": "CT",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "kms:GenerateDataKey",
            "Resource": "*",
            "Condition": {"Null": {"aws:SourceArn": "true"}},
        },
    ],
)
def test_unscoped_cloudtrail_statement_fails(stmt: dict[str, Any]) -> None:
    res = only("trail-kms-key-policy", with_key(sound_snapshot(), policy=policy(ADMIN, stmt)))
    assert res.status is Status.FAIL
    assert "CT lets cloudtrail.amazonaws.com" in res.message


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"aws:SourceArn": TRAIL_ARN}},
        {"StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:1:trail/*"}},
        {"ArnLike": {"AWS:SourceArn": TRAIL_ARN}},
    ],
)
def test_scoped_cloudtrail_statement_passes(condition: dict[str, Any]) -> None:
    stmt = {
        "Sid": "CT",
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "kms:GenerateDataKey*",
        "Resource": "*",
        "Condition": condition,
    }
    res = only("trail-kms-key-policy", with_key(sound_snapshot(), policy=policy(ADMIN, stmt)))
    assert res.status is Status.PASS


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": ["*"]}])
def test_wildcard_decrypt_without_conditions_fails(principal: Any) -> None:
    stmt = {"Sid": "Open", "Effect": "Allow", "Principal": principal, "Action": "kms:Decrypt", "Resource": "*"}
    res = only("trail-kms-key-policy", with_key(sound_snapshot(), policy=policy(ADMIN, stmt)))
    assert res.status is Status.FAIL
    assert "wildcard principal" in res.message


def test_wildcard_decrypt_with_conditions_passes() -> None:
    stmt = {
        "Sid": "AccountDecrypt",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": ["kms:Decrypt", "kms:ReEncryptFrom"],
        "Resource": "*",
        "Condition": {
            "StringEquals": {"kms:CallerAccount": ACCOUNT},
            "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/*"},
        },
    }
    res = only("trail-kms-key-policy", with_key(sound_snapshot(), policy=policy(ADMIN, stmt)))
    assert res.status is Status.PASS


def test_deny_statements_are_not_judged() -> None:
    stmt = {"Sid": "DenyAll", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*"}
    res = only("trail-kms-key-policy", with_key(sound_snapshot(), policy=policy(ADMIN, stmt)))
    assert res.status is Status.PASS


def test_single_statement_object_is_read() -> None:
    pol = {
        "Version": "2012-10-17",
        "Statement": {"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"},
    }
    res = only("trail-kms-key-policy", with_key(sound_snapshot(), policy=pol))
    assert res.status is Status.FAIL


def test_many_wildcard_action_is_judged_in_linear_time() -> None:
    """Issue 17 item 3: a key policy action of 40 stars must not stall the check."""
    import time

    stmt = {
        "Sid": "Stars",
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": ["*" * 40 + "Q", "kms:" + "?*" * 40 + "Q"],
        "Resource": "*",
    }
    start = time.perf_counter()
    res = only("trail-kms-key-policy", with_key(sound_snapshot(), policy=policy(ADMIN, stmt)))
    assert time.perf_counter() - start < 0.05
    assert res.status is Status.PASS

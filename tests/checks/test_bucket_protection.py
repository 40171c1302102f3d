"""bucket-access-logging, -versioning, -mfa-delete, -object-lock, -default-encryption."""

from __future__ import annotations

from auditor.builtin_checks import (
    bucket_access_logging,
    bucket_default_encryption,
    bucket_mfa_delete,
    bucket_object_lock,
    bucket_versioning,
)
from auditor.engine.checkapi import Check, CheckResult, Settings, Status
from auditor.engine.runner import run_check
from auditor.model.snapshot import BucketEncryption, BucketLogging, ObjectLock, Snapshot, Versioning
from tests.builders import BUCKET, denied, sound_snapshot, with_bucket, with_trail


def run(check: Check, snap: Snapshot) -> CheckResult:
    [res] = run_check(snap, check, Settings())
    return res


def broken(**changes: object) -> Snapshot:
    return with_bucket(sound_snapshot(), **changes)


LOG = bucket_access_logging.CHECK
VER = bucket_versioning.CHECK
MFA = bucket_mfa_delete.CHECK
LOCK = bucket_object_lock.CHECK
ENC = bucket_default_encryption.CHECK


def test_access_logging_off_fails_and_unreadable_is_error() -> None:
    assert run(LOG, broken(logging=None)).status is Status.FAIL
    res = run(LOG, broken(logging=denied("GetBucketLogging", "s3")))
    assert res.status is Status.ERROR and "GetBucketLogging" in res.message


def test_access_logging_into_itself_passes_with_note() -> None:
    res = run(LOG, broken(logging=BucketLogging(BUCKET, "self/")))
    assert res.status is Status.PASS and "itself" in res.message


def test_versioning_suspended_or_never_enabled_fails() -> None:
    for v in (Versioning("Suspended"), Versioning(None), None):
        assert run(VER, broken(versioning=v)).status is Status.FAIL
    assert run(VER, broken(versioning=denied("GetBucketVersioning", "s3"))).status is Status.ERROR


def test_mfa_delete_off_fails_without_compliance_lock() -> None:
    snap = broken(versioning=Versioning("Enabled", "Disabled"), object_lock=ObjectLock(True, "GOVERNANCE", days=30))
    assert run(MFA, snap).status is Status.FAIL


def test_mfa_delete_off_passes_with_compliance_lock_and_says_so() -> None:
    res = run(MFA, broken(versioning=Versioning("Enabled", "Disabled")))
    assert res.status is Status.PASS and "compliance mode" in res.message


def test_mfa_delete_unreadable_is_error_unless_proved_otherwise() -> None:
    err = denied("GetBucketVersioning", "s3")
    assert run(MFA, broken(versioning=err, object_lock=None)).status is Status.ERROR
    assert run(MFA, broken(versioning=err)).status is Status.PASS  # compliance lock proves it
    lock_err = denied("GetObjectLockConfiguration", "s3")
    snap = broken(versioning=Versioning("Enabled", "Disabled"), object_lock=lock_err)
    assert run(MFA, snap).status is Status.ERROR


def test_object_lock_absent_or_without_default_retention_fails() -> None:
    assert run(LOCK, broken(object_lock=None)).status is Status.FAIL
    assert run(LOCK, broken(object_lock=ObjectLock(False))).status is Status.FAIL
    res = run(LOCK, broken(object_lock=ObjectLock(True)))
    assert res.status is Status.FAIL and "no default retention" in res.message


def test_object_lock_governance_passes_with_note() -> None:
    res = run(LOCK, broken(object_lock=ObjectLock(True, "GOVERNANCE", years=1)))
    assert res.status is Status.PASS
    assert "governance" in res.message and "note" in res.evidence


def test_object_lock_unreadable_is_error() -> None:
    res = run(LOCK, broken(object_lock=denied("GetObjectLockConfiguration", "s3")))
    assert res.status is Status.ERROR


def test_default_encryption_missing_fails() -> None:
    assert run(ENC, broken(encryption=None)).status is Status.FAIL


def test_sse_s3_fails_when_trail_uses_kms_and_passes_otherwise() -> None:
    snap = broken(encryption=BucketEncryption("AES256"))
    res = run(ENC, snap)
    assert res.status is Status.FAIL and "KMS" in res.message
    assert run(ENC, with_trail(snap, kms_key_id=None)).status is Status.PASS


def test_default_encryption_unreadable_is_error() -> None:
    res = run(ENC, broken(encryption=denied("GetBucketEncryption", "s3")))
    assert res.status is Status.ERROR

"""bucket-exists: missing buckets and buckets owned outside the trusted scope."""

from __future__ import annotations

from dataclasses import replace

from auditor.builtin_checks import bucket_exists
from auditor.engine.checkapi import CheckResult, Settings, Status
from auditor.engine.runner import run_check
from auditor.model.snapshot import Bucket, Snapshot
from tests.builders import BUCKET, denied, out_of_scope_error, sound_snapshot, with_bucket

LOG_ARCHIVE = "222222222222"
OUTSIDER = "999999999999"


def run(snap: Snapshot, settings: Settings | None = None) -> list[CheckResult]:
    return run_check(snap, bucket_exists.CHECK, settings or Settings())


def judged(snap: Snapshot, settings: Settings | None = None) -> CheckResult:
    """The bucket's result; the trail account then only gets a NOT_APPLICABLE pointer."""
    results = run(snap, settings)
    [res] = [r for r in results if r.resource_id == BUCKET]
    assert all(r.status is Status.NOT_APPLICABLE for r in results if r is not res)
    return res


def out_of_scope(owner: str | None) -> Snapshot:
    return replace(sound_snapshot(), buckets=(Bucket(BUCKET, out_of_scope_error(), owner_account_id=owner),))


def test_missing_bucket_fails_with_takeover_risk() -> None:
    [res] = run(with_bucket(sound_snapshot(), existence="missing"))
    assert res.status is Status.FAIL
    assert "does not exist" in res.message and "anyone can create" in res.message


def test_unreadable_existence_is_error() -> None:
    [res] = run(with_bucket(sound_snapshot(), existence=denied("HeadBucket", "s3")))
    assert res.status is Status.ERROR
    assert "AccessDenied" in res.message


def test_out_of_scope_unknown_owner_with_trusted_accounts_is_error_naming_them() -> None:
    [res] = run(out_of_scope(None), Settings(trusted_accounts=(LOG_ARCHIVE,)))
    assert res.status is Status.ERROR
    assert "include the log-archive account" in res.message
    assert LOG_ARCHIVE in res.message


def test_out_of_scope_proven_trusted_owner_passes() -> None:
    res = judged(out_of_scope(LOG_ARCHIVE), Settings(trusted_accounts=(LOG_ARCHIVE,)))
    assert res.status is Status.PASS
    assert res.account_id == LOG_ARCHIVE


def test_out_of_scope_proven_untrusted_owner_fails() -> None:
    res = judged(out_of_scope(OUTSIDER), Settings(trusted_accounts=(LOG_ARCHIVE,)))
    assert res.status is Status.FAIL
    assert OUTSIDER in res.message


def test_existing_bucket_owned_by_stranger_fails() -> None:
    res = judged(with_bucket(sound_snapshot(), owner_account_id=OUTSIDER))
    assert res.status is Status.FAIL
    assert "neither scanned nor trusted" in res.message


def test_existing_bucket_owned_by_trusted_account_passes() -> None:
    res = judged(with_bucket(sound_snapshot(), owner_account_id=LOG_ARCHIVE), Settings(trusted_accounts=(LOG_ARCHIVE,)))
    assert res.status is Status.PASS
    assert "trusted" in res.message


def test_existing_bucket_with_unreported_owner_is_error_when_trust_is_configured() -> None:
    snap = with_bucket(sound_snapshot(), owner_account_id=None)
    assert run(snap)[0].status is Status.PASS
    assert run(snap, Settings(trusted_accounts=(LOG_ARCHIVE,)))[0].status is Status.ERROR

"""bucket-policy-tls-only and bucket-policy-source-arn."""

from __future__ import annotations

import copy
from typing import Any

from auditor.builtin_checks import bucket_policy_source_arn, bucket_policy_tls_only
from auditor.engine.checkapi import Check, CheckResult, Settings, Status
from auditor.engine.runner import run_check
from auditor.model.snapshot import Snapshot
from tests.builders import ACCOUNT, BUCKET, denied, sound_bucket, sound_snapshot, with_bucket

TLS = bucket_policy_tls_only.CHECK
SRC = bucket_policy_source_arn.CHECK


def run(check: Check, snap: Snapshot) -> CheckResult:
    [res] = run_check(snap, check, Settings())
    return res


def policy() -> dict[str, Any]:
    return copy.deepcopy(dict(sound_bucket().policy))  # type: ignore[arg-type]


def with_policy(p: dict[str, Any] | None) -> Snapshot:
    return with_bucket(sound_snapshot(), policy=p)


def edit_statement(sid: str, **changes: Any) -> dict[str, Any]:
    p = policy()
    for stmt in p["Statement"]:
        if stmt["Sid"] == sid:
            stmt.update(changes)
    return p


# ----------------------------------------------------------------- bucket-policy-tls-only


def policy_without(sid: str) -> dict[str, Any]:
    """The sound bucket policy without its statement ``sid``."""
    p = policy()
    p["Statement"] = [s for s in p["Statement"] if s["Sid"] != sid]
    return p


def test_tls_no_policy_fails() -> None:
    res = run(TLS, with_policy(None))
    assert res.status is Status.FAIL
    assert "no bucket policy" in res.message


def test_tls_policy_unreadable_is_error() -> None:
    assert run(TLS, with_policy(denied("GetBucketPolicy", "s3"))).status is Status.ERROR  # type: ignore[arg-type]


def test_tls_without_deny_statement_fails() -> None:
    p = policy_without("DenyInsecureTransport")
    res = run(TLS, with_policy(p))
    assert res.status is Status.FAIL
    assert "aws:SecureTransport" in res.message


def test_tls_accepts_boolean_false_bool_if_exists_and_single_statement_object() -> None:
    deny = edit_statement("DenyInsecureTransport", Condition={"BoolIfExists": {"aws:securetransport": False}})
    stmt = next(s for s in deny["Statement"] if s["Sid"] == "DenyInsecureTransport")
    assert run(TLS, with_policy({"Version": "2012-10-17", "Statement": stmt})).status is Status.PASS


def test_tls_deny_with_get_and_put_object_on_objects_passes() -> None:
    p = edit_statement(
        "DenyInsecureTransport",
        Action=["s3:GetObject", "s3:PutObject"],
        Resource=f"arn:aws:s3:::{BUCKET}/*",
        Principal={"AWS": "*"},
    )
    assert run(TLS, with_policy(p)).status is Status.PASS


def test_tls_deny_on_bucket_arn_only_fails() -> None:
    p = edit_statement("DenyInsecureTransport", Resource=f"arn:aws:s3:::{BUCKET}")
    assert run(TLS, with_policy(p)).status is Status.FAIL


def test_tls_deny_missing_put_object_fails_naming_it() -> None:
    p = edit_statement("DenyInsecureTransport", Action="s3:GetObject")
    res = run(TLS, with_policy(p))
    assert res.status is Status.FAIL
    assert "s3:PutObject" in res.message


def test_tls_deny_on_true_or_with_narrowing_condition_fails() -> None:
    for cond in (
        {"Bool": {"aws:SecureTransport": "true"}},
        {"Bool": {"aws:SecureTransport": "false"}, "IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
    ):
        p = edit_statement("DenyInsecureTransport", Condition=cond)
        assert run(TLS, with_policy(p)).status is Status.FAIL, cond


def test_tls_allow_or_non_wildcard_principal_does_not_count() -> None:
    p = edit_statement("DenyInsecureTransport", Effect="Allow")
    assert run(TLS, with_policy(p)).status is Status.FAIL
    p = edit_statement("DenyInsecureTransport", Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
    assert run(TLS, with_policy(p)).status is Status.FAIL


# ----------------------------------------------------------------- bucket-policy-source-arn


def test_source_arn_missing_condition_fails() -> None:
    p = edit_statement("AWSCloudTrailWrite", Condition={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}})
    res = run(SRC, with_policy(p))
    assert res.status is Status.FAIL
    assert "AWSCloudTrailWrite" in res.message


def test_source_account_condition_passes() -> None:
    p = edit_statement("AWSCloudTrailWrite", Condition={"StringEquals": {"AWS:SourceAccount": [ACCOUNT]}})
    assert run(SRC, with_policy(p)).status is Status.PASS


def test_source_arn_with_wildcard_account_does_not_count() -> None:
    p = edit_statement("AWSCloudTrailWrite", Condition={"ArnLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:*:trail/*"}})
    assert run(SRC, with_policy(p)).status is Status.FAIL


def test_every_cloudtrail_write_statement_must_be_pinned() -> None:
    p = policy()
    loose = {
        "Sid": "LegacyWrite",
        "Effect": "Allow",
        "Principal": {"Service": ["config.amazonaws.com", "cloudtrail.amazonaws.com"]},
        "Action": "s3:*",
        "Resource": f"arn:aws:s3:::{BUCKET}/*",
    }
    p["Statement"].append(loose)
    res = run(SRC, with_policy(p))
    assert res.status is Status.FAIL
    assert "LegacyWrite" in res.message and "AWSCloudTrailWrite" not in res.message


def test_no_cloudtrail_write_statement_fails_with_explanation() -> None:
    p = policy_without("AWSCloudTrailWrite")
    res = run(SRC, with_policy(p))
    assert res.status is Status.FAIL
    assert "CloudTrail cannot deliver" in res.message
    assert run(SRC, with_policy(None)).status is Status.FAIL


def test_source_arn_policy_unreadable_is_error() -> None:
    res = run(SRC, with_policy(denied("GetBucketPolicy", "s3")))  # type: ignore[arg-type]
    assert res.status is Status.ERROR
    assert "GetBucketPolicy" in res.message

"""auditor.engine.policies: normalisation of loosely shaped IAM policy JSON."""

from __future__ import annotations

from auditor.engine.policies import (
    ConditionEntry,
    actions_cover,
    as_str_list,
    condition_values,
    effective_block,
    has_restricting_condition,
    has_service_principal,
    is_public_principal,
    is_restricting,
    is_wildcard_principal,
    principal_map,
    public_allow_statements,
    requires_bool,
    resources_cover,
    statements,
    wildcard_match,
)
from auditor.model.snapshot import PublicAccessBlock
from tests.builders import denied


def test_statements_accepts_single_object_list_and_garbage() -> None:
    one = {"Effect": "Allow"}
    assert statements({"Statement": one}) == [one]
    assert statements({"Statement": [one, "junk", 3]}) == [one]
    assert statements(None) == [] and statements({}) == []


def test_as_str_list_normalises_scalars_and_booleans() -> None:
    assert as_str_list("a") == ["a"]
    assert as_str_list(["a", False, 3]) == ["a", "false", "3"]
    assert as_str_list(None) == []


def test_wildcard_match_is_iam_glob_not_fnmatch() -> None:
    assert wildcard_match("s3:*", "S3:PutObject")
    assert wildcard_match("kms:GenerateDataKey*", "kms:GenerateDataKeyWithoutPlaintext")
    assert wildcard_match("s3:?etObject", "s3:GetObject")
    assert not wildcard_match("s3:[GP]etObject", "s3:GetObject")
    assert not wildcard_match("arn:aws:s3:::B/*", "arn:aws:s3:::b/x", case_sensitive=True)


def test_actions_cover_handles_action_and_not_action() -> None:
    assert actions_cover({"Action": ["s3:Get*", "s3:PutObject"]}, "s3:PutObject")
    assert actions_cover({"Action": "*"}, "kms:Decrypt")
    assert not actions_cover({"Action": "s3:GetObject"}, "s3:PutObject")
    assert actions_cover({"NotAction": "s3:DeleteObject"}, "s3:PutObject")
    assert not actions_cover({"NotAction": "s3:*"}, "s3:PutObject")
    assert not actions_cover({}, "s3:PutObject")


def test_resources_cover_handles_resource_not_resource_and_implicit() -> None:
    arn = "arn:aws:s3:::logs/AWSLogs/x"
    assert resources_cover({"Resource": ["arn:aws:s3:::logs/*"]}, arn)
    assert not resources_cover({"Resource": "arn:aws:s3:::logs"}, arn)
    assert not resources_cover({"NotResource": "arn:aws:s3:::logs/*"}, arn)
    assert resources_cover({}, arn)


def test_principal_forms() -> None:
    assert principal_map({"Principal": "*"}) == {"AWS": ["*"]}
    assert is_wildcard_principal({"Principal": {"AWS": ["arn:aws:iam::1:root", "*"]}})
    assert not is_wildcard_principal({"Principal": {"Service": "cloudtrail.amazonaws.com"}})
    assert is_public_principal({"Effect": "Allow", "NotPrincipal": {"AWS": "x"}})
    assert not is_public_principal({"Effect": "Deny", "NotPrincipal": {"AWS": "x"}})
    stmt = {"Principal": {"Service": ["config.amazonaws.com", "CloudTrail.amazonaws.com"]}}
    assert has_service_principal(stmt, "cloudtrail.amazonaws.com")


def test_condition_keys_are_case_insensitive_and_operators_parsed() -> None:
    stmt = {"Condition": {"ForAnyValue:StringEqualsIfExists": {"AWS:SourceArn": ["a", "b"]}}}
    [entry] = condition_values(stmt, "aws:sourcearn")
    assert entry == ConditionEntry(
        "ForAnyValue:StringEqualsIfExists", "stringequals", "AWS:SourceArn", ("a", "b"), True, "foranyvalue"
    )


def test_is_restricting_rules() -> None:
    def entry(op: str, key: str, *values: str) -> ConditionEntry:
        [e] = condition_values({"Condition": {op: {key: list(values)}}}, key)
        return e

    assert is_restricting(entry("StringEquals", "aws:PrincipalOrgID", "o-1"))
    assert is_restricting(entry("ArnLike", "aws:SourceArn", "arn:aws:cloudtrail:*:1:trail/*"))
    assert not is_restricting(entry("ArnLike", "aws:SourceArn", "arn:aws:cloudtrail:*:*:trail/*"))
    assert not is_restricting(entry("StringNotEquals", "aws:PrincipalOrgID", "o-1"))
    assert not is_restricting(entry("ForAllValues:StringEquals", "aws:SourceAccount", "1"))
    assert not is_restricting(entry("StringEquals", "aws:SourceAccount", "1", "*"))
    assert not is_restricting(entry("IpAddress", "aws:SourceIp", "::/0"))
    assert is_restricting(entry("IpAddress", "aws:SourceIp", "10.0.0.0/8"))
    assert not is_restricting(entry("StringEquals", "s3:x-amz-acl", "bucket-owner-full-control"))


def test_has_restricting_condition_with_custom_keys() -> None:
    stmt = {"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}}
    assert has_restricting_condition(stmt)
    assert not has_restricting_condition(stmt, frozenset({"aws:SourceArn"}))


def test_requires_bool_accepts_string_or_json_boolean() -> None:
    assert requires_bool({"Condition": {"Bool": {"aws:SecureTransport": "FALSE"}}}, "aws:SecureTransport", False)
    assert requires_bool(
        {"Condition": {"BoolIfExists": {"aws:securetransport": [False]}}}, "aws:SecureTransport", False
    )
    assert not requires_bool({"Condition": {"Bool": {"aws:SecureTransport": "true"}}}, "aws:SecureTransport", False)
    assert not requires_bool(
        {"Condition": {"StringEquals": {"aws:SecureTransport": "false"}}}, "aws:SecureTransport", False
    )


def test_public_allow_statements() -> None:
    policy = {
        "Statement": [
            {"Sid": "a", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"},
            {"Sid": "b", "Effect": "Deny", "Principal": "*", "Action": "s3:*"},
            {
                "Sid": "c",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-1"}},
            },
        ]
    }
    assert [s["Sid"] for s in public_allow_statements(policy)] == ["a"]


def test_effective_block_is_tri_state() -> None:
    on = PublicAccessBlock(True, True, True, True)
    acl_only = PublicAccessBlock(ignore_public_acls=True)
    err = denied("GetPublicAccessBlock", "s3")
    block, errors = effective_block(None, on)
    assert all(block.values()) and errors == []
    block, errors = effective_block(acl_only, None)
    assert block["ignore_public_acls"] is True and block["restrict_public_buckets"] is False
    block, errors = effective_block(acl_only, err)
    assert block["ignore_public_acls"] is True and block["restrict_public_buckets"] is None
    assert errors == [err]


def test_many_wildcards_match_in_linear_time() -> None:
    """Issue 17 item 3: a hostile policy pattern cannot make matching backtrack."""
    import time

    stmt = {"Effect": "Allow", "Action": "*" * 40 + "Q", "Resource": "arn:" + "*" * 40 + "Q"}
    start = time.perf_counter()
    assert not actions_cover(stmt, "s3:" + "A" * 20_000)
    assert not resources_cover(stmt, "arn:aws:s3:::" + "a" * 20_000)
    assert time.perf_counter() - start < 0.05

"""The Terraform modules declare what the CloudFormation templates declare (parsed with python-hcl2).

No terraform binary runs here; the modules are read as data and compared with
the templates, which are themselves deployed into moto (test_cloudformation.py).
"""

from __future__ import annotations

import json
import re

from auditor.aws.lambda_handler import PAYLOAD_SCHEMA
from tests.deploy.conftest import load_template, load_terraform


def _jsonencode_keys(expression: str) -> set[str]:
    """Top-level keys of a `${jsonencode({k = v, ...})}` object, as python-hcl2 renders it."""
    match = re.fullmatch(r"\$\{jsonencode\(\{(.*)\}\)\}", expression, re.S)
    assert match, expression
    return set(re.findall(r"(?:^|,\s*)(\w+) =", match.group(1)))


def test_audit_role_trusts_the_principal_with_the_external_id_only() -> None:
    tf = load_terraform("audit-role")
    trust = tf["aws_iam_role"]["audit"]["assume_role_policy"]
    assert "Principal = {AWS = local.trusted_principal}" in trust
    assert '"sts:ExternalId" = var.external_id' in trust
    assert tf["aws_iam_role"]["audit"]["name"] == "${var.role_name}"


def test_audit_role_write_statements_are_off_unless_their_variable_is_set() -> None:
    policies = load_terraform("audit-role")["aws_iam_role_policy"]
    assert policies["write_history"]["count"] == '${var.history_bucket_arn == "" ? 0 : 1}'
    assert policies["notify"]["count"] == '${var.notify_topic_arn == "" ? 0 : 1}'
    assert 'Action = "s3:PutObject"' in policies["write_history"]["policy"]
    assert 'Action = "sns:Publish"' in policies["notify"]["policy"]
    assert "count" not in policies["read_only"]


def test_scheduled_scan_bucket_is_versioned_encrypted_private_tls_only_with_lifecycle() -> None:
    tf = load_terraform("scheduled-scan")
    cfn = load_template("scheduled-scan.yaml")["Resources"]["HistoryBucket"]["Properties"]
    assert tf["aws_s3_bucket_versioning"]["history"]["versioning_configuration"] == [{"status": "Enabled"}]
    (rule,) = tf["aws_s3_bucket_server_side_encryption_configuration"]["history"]["rule"]
    assert rule["apply_server_side_encryption_by_default"] == [{"sse_algorithm": "aws:kms"}]
    block = tf["aws_s3_bucket_public_access_block"]["history"]
    assert all(
        block[k] is True
        for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    policy = tf["aws_s3_bucket_policy"]["history"]["policy"]
    assert 'Effect = "Deny"' in policy and '"aws:SecureTransport" = "false"' in policy
    rules = tf["aws_s3_bucket_lifecycle_configuration"]["history"]["rule"]
    assert [r["id"] for r in rules] == [r["Id"] for r in cfn["LifecycleConfiguration"]["Rules"]]


def test_scheduled_scan_function_schedule_and_payload_match_the_template() -> None:
    tf = load_terraform("scheduled-scan")
    cfn = load_template("scheduled-scan.yaml")["Resources"]
    function, declared = tf["aws_lambda_function"]["scan"], cfn["ScanFunction"]["Properties"]
    assert (function["handler"], function["runtime"], function["timeout"], function["memory_size"]) == (
        declared["Handler"],
        declared["Runtime"],
        declared["Timeout"],
        declared["MemorySize"],
    )
    target = tf["aws_cloudwatch_event_target"]["scan"]
    assert target["arn"] == "${aws_lambda_function.scan.arn}"
    keys = _jsonencode_keys(target["input"])
    cfn_input = cfn["ScanSchedule"]["Properties"]["Targets"][0]["Input"]["Fn::Sub"]
    assert keys == set(json.loads(re.sub(r"\$\{[^}]+\}", "x", cfn_input)))
    assert keys <= set(PAYLOAD_SCHEMA["properties"]), "the handler refuses unknown keys"
    (environment,) = function["environment"]
    assert set(environment["variables"]) == set(declared["Environment"]["Variables"])
    permission = tf["aws_lambda_permission"]["schedule"]
    assert permission["principal"] == "events.amazonaws.com"
    assert permission["source_arn"] == "${aws_cloudwatch_event_rule.schedule.arn}"


def test_scheduled_scan_roles_are_least_privilege() -> None:
    tf = load_terraform("scheduled-scan")
    trust = tf["aws_iam_role"]["scanner"]["assume_role_policy"]
    assert 'Principal = {Service = "lambda.amazonaws.com"}' in trust
    write = tf["aws_iam_role_policy"]["write"]["policy"]
    assert 'Resource = "${aws_s3_bucket.history.arn}/${local.prefix}/*"' in write
    assert "Resource = aws_sns_topic.failures.arn" in write
    assert '"*"' not in write
    assert tf["aws_sns_topic"]["failures"]["kms_master_key_id"] == "alias/aws/sns"

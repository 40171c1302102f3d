"""IAM policy statements and AWS set-up steps that several test modules need alike.

The snapshot builders (tests/builders.py) and the moto seeders (tests/collect/) describe
the same well-configured log bucket; they take its statements from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def trail_write_statement(bucket: str, condition: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """CloudTrail's PutObject grant on ``bucket``'s AWSLogs/ prefix (``condition`` if given)."""
    statement: dict[str, Any] = {
        "Sid": "AWSCloudTrailWrite",
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/*",
    }
    if condition is not None:
        statement["Condition"] = dict(condition)
    return statement


def tls_deny_statement(bucket: str, sid: str = "DenyInsecureTransport") -> dict[str, Any]:
    """Deny every S3 request on ``bucket`` that does not use TLS."""
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def block_public_access(on: bool = True) -> dict[str, bool]:
    """A PublicAccessBlockConfiguration (bucket or account) with all four settings ``on`` or off."""
    return {"BlockPublicAcls": on, "IgnorePublicAcls": on, "BlockPublicPolicy": on, "RestrictPublicBuckets": on}


def policy(*statements: Mapping[str, Any]) -> dict[str, Any]:
    """A policy document holding ``statements``."""
    return {"Version": "2012-10-17", "Statement": [dict(s) for s in statements]}


def credential_kwargs(creds: Mapping[str, Any] | None) -> dict[str, Any]:
    """boto3 client keyword arguments for AssumeRole ``creds`` (none: the session's own)."""
    if creds is None:
        return {}
    return {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }


def actions_of(document: Mapping[str, Any]) -> set[str]:
    """Every action a policy document allows (each statement must be an Allow)."""
    actions: set[str] = set()
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        listed = statement["Action"]
        actions.update([listed] if isinstance(listed, str) else listed)
    return actions


def archive_rule(transition_days: int, expiration_days: int, noncurrent_days: int) -> dict[str, Any]:
    """A lifecycle rule on AWSLogs/: to GLACIER after ``transition_days``, expiring after ``expiration_days``."""
    return {
        "ID": "archive",
        "Status": "Enabled",
        "Filter": {"Prefix": "AWSLogs/"},
        "Transitions": [{"Days": transition_days, "StorageClass": "GLACIER"}],
        "Expiration": {"Days": expiration_days},
        "NoncurrentVersionExpiration": {"NoncurrentDays": noncurrent_days},
    }


def put_alarm(cloudwatch: Any, name: str, metric: str, namespace: str, topic_arn: str) -> None:
    """An alarm on any occurrence of ``namespace/metric`` (sum >= 1 in five minutes) notifying ``topic_arn``."""
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        MetricName=metric,
        Namespace=namespace,
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[topic_arn],
    )

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


def policy(*statements: Mapping[str, Any]) -> dict[str, Any]:
    """A policy document holding ``statements``."""
    return {"Version": "2012-10-17", "Statement": [dict(s) for s in statements]}


def start_config_recorder(config: Any, account_id: str, bucket: str) -> None:
    """Record every resource type with AWS Config (a boto3 ``config`` client), delivering to ``bucket``."""
    config.put_configuration_recorder(ConfigurationRecorder={
        "name": "default",
        "roleARN": f"arn:aws:iam::{account_id}:role/config",
        "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
    })
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": bucket})
    config.start_configuration_recorder(ConfigurationRecorderName="default")

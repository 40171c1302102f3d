"""The SNS client for --notify-sns (kept apart so auditor.gate.notify stays free of boto3)."""

from __future__ import annotations

from typing import Any

from auditor.aws.error_pages import install
from auditor.model.errors import AuditorError


def sns_client(topic_arn: str, *, profile: str | None = None, endpoint_url: str | None = None) -> Any:
    """An SNS client in the topic's region."""
    import boto3

    parts = topic_arn.split(":")
    if len(parts) < 6 or parts[2] != "sns":
        raise AuditorError(f"--notify-sns {topic_arn}: not an SNS topic ARN")
    session = install(boto3.Session(profile_name=profile) if profile else boto3.Session())
    return session.client("sns", region_name=parts[3], endpoint_url=endpoint_url)

"""Open the scan-history store named by ``--history DIR|s3://BUCKET/PREFIX`` (an S3 one through boto3)."""

from __future__ import annotations

from pathlib import Path

from auditor.aws.error_pages import install
from auditor.gate.history import HistoryStore, LocalStore, S3Store
from auditor.model.errors import AuditorError


def store_for(location: str, *, profile: str | None = None, endpoint_url: str | None = None) -> HistoryStore:
    """A store from ``--history DIR|s3://BUCKET/PREFIX``."""
    if location.startswith("s3://"):
        import boto3

        bucket, _, prefix = location[len("s3://") :].partition("/")
        if not bucket:
            raise AuditorError(f"--history {location}: expected s3://BUCKET[/PREFIX]")
        session = install(boto3.Session(profile_name=profile) if profile else boto3.Session())
        return S3Store(session.client("s3", endpoint_url=endpoint_url), bucket, prefix)
    return LocalStore(Path(location))

"""S3 access for digest validation: the only module of auditor.integrity that talks to AWS.

Read-only: ListObjectsV2 and GetObject. "Not found" becomes ObjectNotFound
(a finding: the file is missing); every other error becomes SourceReadError
(an ERROR: the evidence could not be read), never silence.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from auditor.integrity.store import ObjectNotFound, SourceReadError, StoredObject

_NOT_FOUND = {"NoSuchKey", "404", "NotFound"}


class S3Store:
    """A bucket read through a boto3 S3 client passed in by the caller."""

    def __init__(self, s3_client: Any, bucket: str) -> None:
        self._s3 = s3_client
        self.bucket = bucket

    def list_keys(self, prefix: str) -> list[str]:
        """Every key under ``prefix``."""
        keys: list[str] = []
        try:
            paginator = self._s3.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                keys.extend(obj["Key"] for obj in page.get("Contents", []))
        except ClientError as exc:
            err = exc.response.get("Error", {})
            raise SourceReadError(
                "s3:ListBucket",
                str(err.get("Code", "ClientError")),
                str(err.get("Message", "")),
                f"s3://{self.bucket}/{prefix}",
            ) from exc
        except BotoCoreError as exc:
            raise SourceReadError(
                "s3:ListBucket", type(exc).__name__, str(exc), f"s3://{self.bucket}/{prefix}"
            ) from exc
        return keys

    def get(self, key: str, *, with_metadata: bool = False) -> StoredObject:
        """GetObject, returning the body and the user metadata."""
        try:
            resp = self._s3.get_object(Bucket=self.bucket, Key=key)
            body = resp["Body"].read()
        except ClientError as exc:
            err = exc.response.get("Error", {})
            code = str(err.get("Code", "ClientError"))
            if code in _NOT_FOUND:
                raise ObjectNotFound(key) from exc
            raise SourceReadError("s3:GetObject", code, str(err.get("Message", "")), self.location(key)) from exc
        except BotoCoreError as exc:
            raise SourceReadError("s3:GetObject", type(exc).__name__, str(exc), self.location(key)) from exc
        metadata = {str(k).lower(): str(v) for k, v in resp.get("Metadata", {}).items()}
        return StoredObject(body, metadata if with_metadata else {})

    def location(self, key: str) -> str:
        """s3://bucket/key."""
        return f"s3://{self.bucket}/{key}"

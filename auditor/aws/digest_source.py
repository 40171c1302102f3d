"""S3 access for digest validation: the part of digest validation that talks to AWS.

:func:`verify_s3` validates the digest chains in an S3 bucket: it opens the
buckets as :class:`S3Store` and hands them to
:func:`auditor.integrity.verify.verify_bucket`, which is storage-agnostic.

Read-only: ListObjectsV2 and GetObject. "Not found" becomes ObjectNotFound
(a finding: the file is missing); every other error becomes SourceReadError
(an ERROR: the evidence could not be read), never silence.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from auditor.integrity.keys import PublicKeySource
from auditor.integrity.model import IntegrityReport
from auditor.integrity.store import ObjectNotFound, ObjectStore, SourceReadError, StoredObject
from auditor.integrity.verify import DEFAULT_GAP_TOLERANCE_HOURS, DigestScope, verify_bucket

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


def verify_s3(
    s3_client: Any,
    scope: DigestScope,
    keys: PublicKeySource,
    workers: int = 8,
    gap_tolerance_hours: float = DEFAULT_GAP_TOLERANCE_HOURS,
) -> IntegrityReport:
    """Validate the digests ``scope`` names in an S3 bucket, read through ``s3_client``.

    Every argument but the client means what it means for
    :func:`auditor.integrity.verify.verify_bucket`; a digest that says it sits
    in another bucket is read from that bucket with the same client.
    """
    stores: dict[str, ObjectStore] = {}

    def store_for(name: str) -> ObjectStore:
        if name not in stores:
            stores[name] = S3Store(s3_client, name)
        return stores[name]

    return verify_bucket(store_for, scope, keys, workers=workers, gap_tolerance_hours=gap_tolerance_hours)

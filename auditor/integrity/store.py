"""Where digest and log files are read from: one small interface, two implementations.

The verifier only needs to list keys under a prefix and to get an object with
its user metadata. S3 (:mod:`auditor.aws.digest_source`, the only module here
that talks to AWS) and a local folder mirroring the bucket (this module)
implement it, so offline validation runs exactly the same checks.

Local folder layout: the folder is the bucket root, as ``aws s3 sync
s3://BUCKET FOLDER`` leaves it (``FOLDER/[prefix/]AWSLogs/...``). A digest's S3
metadata (the signature) lives in a sidecar file next to it, named after the
digest plus ``.metadata.json``::

    ..._20150817T150131Z.json.gz
    ..._20150817T150131Z.json.gz.metadata.json
        {"signature": "<hex>", "signature-algorithm": "SHA256withRSA"}

The sidecar may also be the saved output of ``aws s3api head-object`` (its
``Metadata`` member is used). Without a sidecar a digest can still be verified
when the next digest in the chain records its signature
(``previousDigestSignature``), as the CloudTrail documentation describes for
offline validation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

SIDECAR_SUFFIX = ".metadata.json"


@dataclass(frozen=True)
class StoredObject:
    """An object's bytes and its user metadata (``x-amz-meta-*`` without the prefix)."""

    body: bytes
    metadata: Mapping[str, str] = field(default_factory=dict)


class ObjectNotFound(Exception):
    """The object does not exist (S3 NoSuchKey, or no such local file)."""


class SourceReadError(Exception):
    """The object or listing could not be read for another reason (AccessDenied...)."""

    def __init__(self, operation: str, code: str, message: str, resource: str = "") -> None:
        super().__init__(f"{operation} {resource}: {code}: {message}")
        self.operation = operation
        self.code = code
        self.message = message
        self.resource = resource


class ObjectStore(Protocol):
    """A bucket, or a folder standing for one."""

    bucket: str

    def list_keys(self, prefix: str) -> list[str]:
        """Every key under ``prefix`` (raises SourceReadError)."""
        ...

    def get(self, key: str, *, with_metadata: bool = False) -> StoredObject:
        """One object (raises ObjectNotFound or SourceReadError)."""
        ...

    def location(self, key: str) -> str:
        """How to name ``key`` to a user (s3://bucket/key or a path)."""
        ...


class LocalStore:
    """A local folder mirroring the bucket's layout (offline validation)."""

    def __init__(self, root: Path, bucket: str = "") -> None:
        self.root = root
        self.bucket = bucket

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        root = self.root.resolve()
        if root != path and root not in path.parents:
            # A digest is hostile input: its s3Object must not escape the folder.
            raise ObjectNotFound(key)
        return path

    def list_keys(self, prefix: str) -> list[str]:
        """Keys (paths relative to the root, with /) under ``prefix``; sidecars excluded."""
        base = self.root / prefix if prefix else self.root
        directory = base if base.is_dir() else base.parent
        if not directory.is_dir():
            return []
        try:
            keys = [
                p.relative_to(self.root).as_posix()
                for p in directory.rglob("*")
                if p.is_file() and not p.name.endswith(SIDECAR_SUFFIX)
            ]
        except OSError as exc:
            raise SourceReadError("ListFolder", "OSError", str(exc.strerror), str(directory)) from exc
        return sorted(k for k in keys if k.startswith(prefix))

    def get(self, key: str, *, with_metadata: bool = False) -> StoredObject:
        """Read a file and, for digests, its metadata sidecar."""
        path = self._path(key)
        try:
            body = path.read_bytes()
        except FileNotFoundError as exc:
            raise ObjectNotFound(key) from exc
        except OSError as exc:
            raise SourceReadError("ReadFile", "OSError", str(exc.strerror), str(path)) from exc
        metadata: dict[str, str] = {}
        if with_metadata:
            sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
            if sidecar.is_file():
                metadata = _read_sidecar(sidecar)
        return StoredObject(body, metadata)

    def location(self, key: str) -> str:
        """The key relative to the folder (what the digest names)."""
        return key


def _read_sidecar(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if isinstance(data, Mapping) and isinstance(data.get("Metadata"), Mapping):
        data = data["Metadata"]
    if not isinstance(data, Mapping):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, str)}

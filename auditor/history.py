"""Scan history for scheduled scans: store each results.json under a dated key, compare with the last.

A store is a local folder or an S3 prefix (``--history DIR|s3://BUCKET/PREFIX``).
Keys sort by time: ``YYYY/MM/DD/<finished_at>-<scan id>.json``. Recording a
scan reads the latest earlier one, classifies drift against it, computes each
framework's score trend over the stored scans, and attaches all of that to the
results (``Results.history``) so reports can show the change since last time.
Unreadable or invalid history entries are reported, never silently skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from auditor.errors import AuditorError
from auditor.results import Results
from auditor.validation import validate

_KEY_RE = re.compile(r"^\d{4}/\d{2}/\d{2}/\d{8}T\d{6}Z-[A-Za-z0-9._-]+\.json$")


class HistoryStore(Protocol):
    """Where results documents are kept."""

    def keys(self) -> list[str]:
        """Every stored key (relative, ``YYYY/MM/DD/...json``)."""

    def read(self, key: str) -> bytes:
        """The stored bytes of one key."""

    def write(self, key: str, data: bytes) -> str:
        """Store bytes under a key; return a user-facing location."""


@dataclass(frozen=True)
class LocalStore:
    """A folder on disk."""

    root: Path

    def keys(self) -> list[str]:
        """Dated keys under the folder."""
        if not self.root.exists():
            return []
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*.json")
                      if _KEY_RE.match(p.relative_to(self.root).as_posix()))

    def read(self, key: str) -> bytes:
        """Read one entry."""
        return (self.root / key).read_bytes()

    def write(self, key: str, data: bytes) -> str:
        """Write atomically (temp file then rename)."""
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        return str(path)


@dataclass(frozen=True)
class S3Store:
    """An S3 prefix; the client is created by the caller (collection-layer code)."""

    client: Any
    bucket: str
    prefix: str = ""

    def _full(self, key: str) -> str:
        return f"{self.prefix.rstrip('/')}/{key}" if self.prefix else key

    def keys(self) -> list[str]:
        """Dated keys under the prefix (paginated listing)."""
        base = f"{self.prefix.rstrip('/')}/" if self.prefix else ""
        out: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=base):
            for obj in page.get("Contents", []):
                rel = str(obj["Key"])[len(base):]
                if _KEY_RE.match(rel):
                    out.append(rel)
        return sorted(out)

    def read(self, key: str) -> bytes:
        """Get one entry."""
        body: bytes = self.client.get_object(Bucket=self.bucket, Key=self._full(key))["Body"].read()
        return body

    def write(self, key: str, data: bytes) -> str:
        """Put one entry."""
        self.client.put_object(Bucket=self.bucket, Key=self._full(key), Body=data,
                               ContentType="application/json")
        return f"s3://{self.bucket}/{self._full(key)}"


def key_for(results: Results) -> str:
    """The dated key of a results document."""
    stamp = re.sub(r"[^0-9TZ]", "", results.scan.finished_at)[:16]
    stamp = stamp if re.fullmatch(r"\d{8}T\d{6}Z", stamp) else stamp.ljust(15, "0")[:15] + "Z"
    safe_id = re.sub(r"[^A-Za-z0-9._-]", "_", results.scan.id)
    return f"{stamp[0:4]}/{stamp[4:6]}/{stamp[6:8]}/{stamp}-{safe_id}.json"


def _load(store: HistoryStore, key: str) -> Results:
    try:
        doc = json.loads(store.read(key))
        validate(doc, "results.schema.json", key)
    except AuditorError:
        raise
    except Exception as exc:  # the store may be S3 or disk: name the entry whatever failed
        raise AuditorError(f"history entry {key}: cannot read: {exc}") from exc
    return Results.from_dict(doc)


def scores(results: Results) -> dict[str, float | None]:
    """Each framework's score in one scan."""
    return {fw.id: fw.score for fw in results.frameworks}


def record(store: HistoryStore, results: Results, trend_limit: int = 30) -> tuple[Results, Results | None, str]:
    """Compare with the latest stored scan, attach drift and trend, store; return (results, previous, location)."""
    from auditor.gate import diff

    keys = store.keys()
    own = key_for(results)
    earlier = [k for k in keys if k < own]
    previous = _load(store, earlier[-1]) if earlier else None
    trend: list[dict[str, Any]] = []
    problems: list[str] = []
    for k in earlier[-(trend_limit - 1):] if trend_limit > 1 else []:
        try:
            old = previous if (previous is not None and k == earlier[-1]) else _load(store, k)
        except AuditorError as exc:
            problems.append(str(exc))
            continue
        trend.append({"scan_id": old.scan.id, "finished_at": old.scan.finished_at, "scores": scores(old)})
    trend.append({"scan_id": results.scan.id, "finished_at": results.scan.finished_at,
                  "scores": scores(results)})
    history: dict[str, Any] = {"trend": trend, "problems": problems, "previous": None, "drift": None}
    if previous is not None:
        drift = diff(previous, results)
        history["previous"] = {"scan_id": previous.scan.id, "finished_at": previous.scan.finished_at,
                               "key": earlier[-1]}
        history["drift"] = drift.to_dict()
    updated = replace(results, history=history)
    location = store.write(own, json.dumps(updated.to_dict(), indent=1, ensure_ascii=False).encode("utf-8"))
    return updated, previous, location


def new_failures(results: Results) -> Sequence[str]:
    """Ids of failures new since the previous stored scan (all failures if there was none)."""
    history = results.history or {}
    drift = history.get("drift")
    if isinstance(drift, dict):
        return list(drift.get("new", []))
    return [f.id for f in results.findings if f.status.value == "FAIL"]


def store_for(location: str, *, profile: str | None = None, endpoint_url: str | None = None) -> HistoryStore:
    """A store from ``--history DIR|s3://BUCKET/PREFIX``."""
    if location.startswith("s3://"):
        import boto3

        bucket, _, prefix = location[len("s3://"):].partition("/")
        if not bucket:
            raise AuditorError(f"--history {location}: expected s3://BUCKET[/PREFIX]")
        session = boto3.Session(profile_name=profile) if profile else boto3.Session()
        return S3Store(session.client("s3", endpoint_url=endpoint_url), bucket, prefix)
    return LocalStore(Path(location))

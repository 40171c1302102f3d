"""Scan history for scheduled scans: store each results.json under a dated key, compare with the last.

A store is a local folder or an S3 prefix (``--history DIR|s3://BUCKET/PREFIX``).
Keys sort by time: ``YYYY/MM/DD/<evaluated_at>-<scan id>.json``, and
``...-<scan id>~N.json`` (N from 2) for the Nth evaluation stored under the
same second and scan id: an entry is never overwritten. Recording a scan
reads the latest earlier one, classifies drift against it, computes each
framework's score trend over the stored scans, and attaches all of that to the
results (``Results.history``) so reports can show the change since last time.
Unreadable or invalid history entries are reported, never silently skipped.

The store is a trust boundary: whoever can write it can shape the drift and
therefore what ``--notify-sns`` calls new. The defences here keep a planted
or broken entry from doing more than that: links (file or folder) in a local
store are never followed, an entry whose scan id and finish time do not give
back its own key is refused, reads are size- and depth-bounded, errors name
the entry but never quote its content, and one bad entry is reported and
passed over for the newest readable one instead of blocking every later run.
Protect the store itself (folder permissions, an S3 bucket policy, Object Lock).
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from auditor.engine.results import Results
from auditor.engine.results_io import results_from_bytes
from auditor.model.errors import AuditorError
from auditor.model.fsio import MAX_RESULTS_BYTES, InputError, create_in_tree, open_in_tree

#: How many evaluations one second and scan id can hold (``~2`` to ``~999`` after the first).
MAX_COPIES = 999
# A scan id never holds "~" (key_for replaces it), so the copy number is unambiguous, and it has
# one spelling (no ~1, no leading zero), so an entry's contents and copy give back exactly its key.
_KEY_RE = re.compile(
    r"^\d{4}/\d{2}/\d{2}/(?P<stamp>\d{8}T\d{6}Z)-(?P<id>[A-Za-z0-9._-]+?)(?:~(?P<copy>[2-9]|[1-9]\d{1,2}))?\.json$"
)


class HistoryStore(Protocol):
    """Where results documents are kept."""

    def keys(self) -> list[str]:
        """Every stored key (relative, ``YYYY/MM/DD/...json``)."""

    def skipped(self) -> list[str]:
        """Entries the last ``keys()`` passed over and why (links, non-regular files)."""

    def read(self, key: str) -> bytes:
        """The stored bytes of one key (at most MAX_RESULTS_BYTES)."""

    def create(self, key: str, data: bytes) -> str | None:
        """Store bytes under a key not yet taken and return a user-facing location; None if it is taken.

        Never overwrites, even when two writers race for the same key: one of them gets None.
        """


@dataclass(frozen=True)
class LocalStore:
    """A folder on disk; links inside it are never followed."""

    root: Path
    _skipped: list[str] = field(default_factory=list, compare=False, repr=False)

    def keys(self) -> list[str]:
        """Dated keys of plain files under the folder; links are reported by skipped(), not followed."""
        self._skipped.clear()
        if not self.root.is_dir():
            return []
        found: list[str] = []
        for folder, dirs, files in os.walk(self.root, followlinks=False):
            here = Path(folder)
            for name in [*dirs, *files]:
                path = here / name
                try:
                    mode = path.lstat().st_mode
                except OSError:
                    continue
                rel = path.relative_to(self.root).as_posix()
                if stat.S_ISLNK(mode):
                    self._skipped.append(f"history entry {rel}: a link, not followed")
                elif name in files and _KEY_RE.match(rel):
                    if stat.S_ISREG(mode):
                        found.append(rel)
                    else:
                        self._skipped.append(f"history entry {rel}: not a regular file")
        return sorted(found)

    def skipped(self) -> list[str]:
        """What the last keys() passed over."""
        return list(self._skipped)

    def read(self, key: str) -> bytes:
        """Read one entry, refusing links on the way and anything over the size limit."""
        return open_in_tree(self.root, key, what="history entry", limit=MAX_RESULTS_BYTES)

    def create(self, key: str, data: bytes) -> str | None:
        """Write a new entry whole (a filled file linked into place), never over one, never through a link."""
        try:
            path = create_in_tree(self.root, key, data)
        except OSError as exc:
            raise AuditorError(f"history {self.root}: cannot write {key}: {exc.strerror or exc}") from None
        return None if path is None else str(path)


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
                rel = str(obj["Key"])[len(base) :]
                if _KEY_RE.match(rel):
                    out.append(rel)
        return sorted(out)

    def skipped(self) -> list[str]:
        """S3 has no links: nothing is passed over."""
        return []

    def read(self, key: str) -> bytes:
        """Get one entry, reading at most the size limit."""
        obj = self.client.get_object(Bucket=self.bucket, Key=self._full(key))
        if int(obj.get("ContentLength", 0)) > MAX_RESULTS_BYTES:
            raise InputError(f"history entry {key}: over the {MAX_RESULTS_BYTES}-byte limit")
        body: bytes = obj["Body"].read(MAX_RESULTS_BYTES + 1)
        if len(body) > MAX_RESULTS_BYTES:
            raise InputError(f"history entry {key}: over the {MAX_RESULTS_BYTES}-byte limit")
        return body

    def create(self, key: str, data: bytes) -> str | None:
        """Put one entry only if its key is free (a conditional put, ``If-None-Match: *``).

        S3 refuses the put when the key exists (412) or while another conditional
        write of it is in flight (409): either way the key is not ours to take.
        """
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self._full(key), Body=data, ContentType="application/json", IfNoneMatch="*"
            )
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code")
            if code in ("PreconditionFailed", "ConditionalRequestConflict"):
                return None
            raise
        return f"s3://{self.bucket}/{self._full(key)}"


def key_for(results: Results, copy: int = 1) -> str:
    """The dated key of a results document: when it was evaluated (else finished), its scan id, its copy.

    History is a sequence of evaluations: ``evaluate`` on a saved snapshot keeps
    the scan's id and times, so only the evaluation time tells two judgements of
    the same evidence apart. Entries written before ``evaluated_at`` existed are
    keyed by ``finished_at``, which is what they were stored under. Times have
    whole seconds, so evaluations of one snapshot within one second are told
    apart by ``copy``, the order they were stored in (``~2`` on, none for the first).
    """
    when = results.scan.evaluated_at or results.scan.finished_at
    stamp = re.sub(r"[^0-9TZ]", "", when)[:16]
    stamp = stamp if re.fullmatch(r"\d{8}T\d{6}Z", stamp) else stamp.ljust(15, "0")[:15] + "Z"
    safe_id = re.sub(r"[^A-Za-z0-9._-]", "_", results.scan.id)
    suffix = f"~{copy}" if copy > 1 else ""
    return f"{stamp[0:4]}/{stamp[4:6]}/{stamp[6:8]}/{stamp}-{safe_id}{suffix}.json"


def _load(store: HistoryStore, key: str) -> Results:
    """One entry, validated, whose own scan id and evaluation time give back its key."""
    source = f"history entry {key}"
    try:
        data = store.read(key)
    except AuditorError:
        raise
    except Exception as exc:  # S3 or disk: name the entry and the error kind, never the content
        code = getattr(exc, "response", {}).get("Error", {}).get("Code") if hasattr(exc, "response") else None
        raise AuditorError(f"{source}: cannot read ({code or type(exc).__name__})") from None
    loaded = results_from_bytes(data, source)
    if key_for(loaded, _order(key)[2]) != key:
        raise AuditorError(f"{source}: its scan id and time do not match its key (moved or planted)")
    return loaded


def scores(results: Results) -> dict[str, float | None]:
    """Each framework's score in one scan."""
    return {fw.id: fw.score for fw in results.frameworks}


def attach(store: HistoryStore, results: Results, trend_limit: int = 30) -> tuple[Results, Results | None]:
    """Compare with the newest readable earlier scan and attach drift and trend; writes nothing.

    An unreadable, invalid, linked or planted entry is reported in
    ``history.problems`` and passed over: the newest entry that loads is the
    previous scan, so one bad entry cannot block every later run.
    """
    from auditor.gate.decision import diff

    try:
        keys = store.keys()
    except AuditorError:
        raise
    except Exception as exc:  # any store failure (S3, disk) is a reported input error
        raise AuditorError(f"history store: cannot list entries ({type(exc).__name__})") from None
    problems: list[str] = store.skipped()
    own = _stamp(key_for(results))
    # Earlier means an earlier or the same second: nothing of these results is stored
    # yet, so every entry of their second was evaluated before them. Within a second,
    # one scan id's copies are in the order they were stored; two scan ids' order
    # says nothing about time.
    earlier = sorted((k for k in keys if _stamp(k) <= own), key=_order)
    loaded: list[tuple[str, Results]] = []
    for k in reversed(earlier):
        if len(loaded) >= max(trend_limit - 1, 1):
            break
        try:
            loaded.append((k, _load(store, k)))
        except AuditorError as exc:
            problems.append(str(exc))
    loaded.reverse()
    previous_key, previous = loaded[-1] if loaded else (None, None)
    kept = loaded[-(trend_limit - 1) :] if trend_limit > 1 else []
    trend = [{"scan_id": old.scan.id, "finished_at": old.scan.finished_at, "scores": scores(old)} for _, old in kept]
    trend.append({"scan_id": results.scan.id, "finished_at": results.scan.finished_at, "scores": scores(results)})
    history: dict[str, Any] = {"trend": trend, "problems": problems, "previous": None, "drift": None}
    if previous is not None:
        history["previous"] = {
            "scan_id": previous.scan.id,
            "finished_at": previous.scan.finished_at,
            "key": previous_key,
        }
        history["drift"] = diff(previous, results).to_dict()
    return replace(results, history=history), previous


def _stamp(key: str) -> str:
    """The evaluation time a key starts with (``YYYYMMDDTHHMMSSZ`` of ``.../YYYYMMDDTHHMMSSZ-scan-id.json``)."""
    return key.rsplit("/", 1)[-1].split("-", 1)[0]


def _order(key: str) -> tuple[str, str, int]:
    """A listed key's place in time: its second, its scan id, its copy (``~10`` after ``~9``)."""
    match = _KEY_RE.match(key)
    if match is None:  # keys() lists only keys of this shape
        raise AuditorError(f"history entry {key}: not a history key")
    return match["stamp"], match["id"], int(match["copy"] or 1)


def store_entry(store: HistoryStore, results: Results) -> str:
    """Store results (with their history) under the first free copy of their dated key; return the location.

    Each copy is a create-if-absent, so a second evaluation within the same
    second, a re-run CI job or a concurrent scan gets the next copy instead
    of overwriting the entry before it.
    """
    data = json.dumps(results.to_dict(), indent=1, ensure_ascii=False).encode("utf-8")
    for copy in range(1, MAX_COPIES + 1):
        location = store.create(key_for(results, copy), data)
        if location is not None:
            return location
    raise AuditorError(f"history: {MAX_COPIES} entries already stored under {key_for(results)}; nothing written")


def record(store: HistoryStore, results: Results, trend_limit: int = 30) -> tuple[Results, Results | None, str]:
    """attach() then store_entry(); return (results, previous, location)."""
    updated, previous = attach(store, results, trend_limit)
    return updated, previous, store_entry(store, updated)


def new_failures(results: Results) -> Sequence[str]:
    """Ids of failures new since the previous stored scan (all failures if there was none)."""
    history = results.history or {}
    drift = history.get("drift")
    if isinstance(drift, dict):
        return list(drift.get("new", []))
    return [f.id for f in results.findings if f.status.value == "FAIL"]

"""The chain walk: fetch each digest and the log files it lists, judge them, link and find gaps.

One :class:`Run` holds the state every chain of a validation run shares (the
stores, the thread pool, the public keys, the results so far); the entry points
in :mod:`auditor.integrity.verify` list the digests and hand each chain to
:func:`verify_chain`. What a digest is and how its signature is checked is
:mod:`auditor.integrity.digest`.
"""

from __future__ import annotations

import bisect
import gzip
import hashlib
import itertools
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from auditor.integrity.digest import (
    SIGNATURE_ALGORITHM,
    DigestFormatError,
    DigestRef,
    parse_digest,
    parse_digest_key,
    verify_signature,
)
from auditor.integrity.keys import KeyLoadError, KeyMaterial, PublicKeySource, load_public_key
from auditor.integrity.model import (
    DigestGap,
    FailureKind,
    FileResult,
    FileStatus,
    IntegrityReport,
    Scope,
    SourceError,
)
from auditor.integrity.store import ObjectNotFound, ObjectStore, SourceReadError
from auditor.model.errors import AuditorError
from auditor.model.timefmt import iso, parse_iso

# --------------------------------------------------------------------------- loading


@dataclass
class _Digest:
    """A digest as fetched (mutable working state of one run)."""

    ref: DigestRef
    found: bool = False
    error: SourceReadError | None = None
    data: dict[str, Any] | None = None
    inflated: bytes = b""
    format_error: str = ""
    signature: str | None = None
    signature_algorithm: str | None = None
    #: The signature verified: the digest was written by CloudTrail (its log list is authentic).
    signature_ok: bool = False
    result: FileResult | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.inflated).hexdigest()

    def span(self) -> tuple[datetime, datetime]:
        """The hour this digest covers (from its fields when readable, else its name)."""
        if self.data is not None:
            try:
                return parse_iso(str(self.data["digestStartTime"])), parse_iso(str(self.data["digestEndTime"]))
            except (ValueError, TypeError):
                pass
        return self.ref.end - timedelta(hours=1), self.ref.end


def _load(store: ObjectStore, ref: DigestRef) -> _Digest:
    d = _Digest(ref)
    try:
        obj = store.get(ref.key, with_metadata=True)
    except ObjectNotFound:
        return d
    except SourceReadError as exc:
        d.error = exc
        return d
    d.found = True
    d.signature = obj.metadata.get("signature")
    d.signature_algorithm = obj.metadata.get("signature-algorithm")
    try:
        d.data, d.inflated = parse_digest(obj.body)
    except DigestFormatError as exc:
        d.format_error = str(exc)
    return d


# --------------------------------------------------------------------------- the run


@dataclass
class Run:
    """State shared by every chain of one validation run."""

    store_for: Callable[[str], ObjectStore]
    store: ObjectStore
    pool: ThreadPoolExecutor
    keys: dict[str, KeyMaterial] | None
    keys_error: str
    start: datetime | None
    end: datetime | None
    tolerance: timedelta
    files: list[FileResult] = field(default_factory=list)
    gaps: list[DigestGap] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    found: dict[Scope, tuple[str, str]] = field(default_factory=dict)
    _loaded_keys: dict[str, RSAPublicKey | str] = field(default_factory=dict)

    def public_key(self, fingerprint: str) -> RSAPublicKey | str:
        """The key for a fingerprint, or why there is none."""
        if fingerprint in self._loaded_keys:
            return self._loaded_keys[fingerprint]
        assert self.keys is not None
        material = self.keys.get(fingerprint)
        value: RSAPublicKey | str
        if material is None:
            value = f"public key not found for fingerprint {fingerprint}"
        else:
            try:
                value = load_public_key(material)
            except KeyLoadError as exc:
                value = f"unable to load PKCS #1 key with fingerprint {fingerprint}: {exc}"
        self._loaded_keys[fingerprint] = value
        return value


def _result(
    d: _Digest,
    scope: Scope,
    store: ObjectStore,
    status: FileStatus,
    kind: FailureKind | None = None,
    detail: str = "",
) -> FileResult:
    return FileResult("digest", store.location(d.ref.key), status, scope, kind, detail)


#: A file's verdict: its status, and what failed with the detail when it did not pass.
_Verdict = tuple[FileStatus, FailureKind | None, str]
_VALID: _Verdict = (FileStatus.VALID, None, "")


def _judge_digest(run: Run, d: _Digest, scope: Scope, vouch: Mapping[str, Any] | None) -> None:
    """Location, format, key and signature of one digest; sets d.signature_ok and d.result."""
    status, kind, detail = _digest_verdict(run, d, scope, vouch)
    d.signature_ok = status is FileStatus.VALID
    d.result = _result(d, scope, run.store, status, kind, detail)


def _digest_verdict(run: Run, d: _Digest, scope: Scope, vouch: Mapping[str, Any] | None) -> _Verdict:
    """The first of location, format, key and signature that fails for one digest, or VALID."""
    store = run.store
    if d.error is not None:
        run.errors.append(SourceError(scope, d.error.operation, d.error.code, d.error.message, d.error.resource))
        return FileStatus.ERROR, FailureKind.SOURCE_UNREADABLE, str(d.error)
    if d.data is None:
        return FileStatus.INVALID, FailureKind.DIGEST_CONTENT_ALTERED, f"invalid format: {d.format_error}"
    data = d.data
    if (store.bucket and data["digestS3Bucket"] != store.bucket) or data["digestS3Object"] != d.ref.key:
        origin = f"s3://{data['digestS3Bucket']}/{data['digestS3Object']}"
        return FileStatus.INVALID, FailureKind.DIGEST_MOVED, f"has been moved from its original location {origin}"
    signature = d.signature
    if signature is None and vouch is not None and isinstance(vouch.get("previousDigestSignature"), str):
        # Offline: the next digest records this one's signature (documented fallback).
        signature = str(vouch["previousDigestSignature"])
    if signature is None:
        missing = "signature metadata missing (x-amz-meta-signature): the digest cannot be verified"
        return FileStatus.INVALID, FailureKind.SIGNATURE_METADATA_MISSING, missing
    algorithm = d.signature_algorithm or str(data.get("digestSignatureAlgorithm") or "")
    if algorithm != SIGNATURE_ALGORITHM:
        return FileStatus.INVALID, FailureKind.SIGNATURE_INVALID, f"unsupported signature algorithm {algorithm!r}"
    if run.keys is None:
        return FileStatus.ERROR, FailureKind.SOURCE_UNREADABLE, f"public keys could not be read: {run.keys_error}"
    key = run.public_key(data["digestPublicKeyFingerprint"])
    if isinstance(key, str):
        return FileStatus.INVALID, FailureKind.PUBLIC_KEY_NOT_FOUND, f"{key} in region {d.ref.region}"
    if verify_signature(key, signature, data, d.inflated):
        return _VALID
    recorded_hash = vouch.get("previousDigestHashValue") if vouch else None
    if isinstance(recorded_hash, str) and recorded_hash.lower() != d.sha256:
        altered = f"content changed after delivery: SHA-256 {d.sha256}, the next digest recorded {recorded_hash}"
        return FileStatus.INVALID, FailureKind.DIGEST_CONTENT_ALTERED, altered
    return FileStatus.INVALID, FailureKind.SIGNATURE_INVALID, "signature verification failed"


def _check_log(run: Run, entry: Mapping[str, Any], scope: Scope) -> FileResult:
    """One log file a valid digest lists: present, and hashing to the value the digest recorded."""
    store = run.store_for(str(entry.get("s3Bucket") or ""))
    key = str(entry.get("s3Object") or "")
    status, kind, detail = _log_verdict(run, entry, store, key, scope)
    return FileResult("log", store.location(key), status, scope, kind, detail)


def _log_verdict(run: Run, entry: Mapping[str, Any], store: ObjectStore, key: str, scope: Scope) -> _Verdict:
    expected = str(entry.get("hashValue") or "").lower()
    algorithm = str(entry.get("hashAlgorithm") or "SHA-256")
    if not key or not expected:
        no_entry = "the digest's log file entry has no s3Object or hashValue"
        return FileStatus.INVALID, FailureKind.DIGEST_CONTENT_ALTERED, no_entry
    if algorithm.upper() != "SHA-256":
        return FileStatus.ERROR, FailureKind.SOURCE_UNREADABLE, f"unsupported hash algorithm {algorithm!r}"
    try:
        body = store.get(key).body
    except ObjectNotFound:
        return FileStatus.MISSING, FailureKind.LOG_FILE_MISSING, "not found"
    except SourceReadError as exc:
        run.errors.append(SourceError(scope, exc.operation, exc.code, exc.message, exc.resource))
        return FileStatus.ERROR, FailureKind.SOURCE_UNREADABLE, str(exc)
    try:
        content = gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body
    except (OSError, EOFError, zlib.error):
        return FileStatus.INVALID, FailureKind.LOG_FILE_MODIFIED, "invalid format: not a readable gzip file"
    actual = hashlib.sha256(content).hexdigest()
    if actual != expected:
        mismatch = f"hash value doesn't match: expected {expected}, actual {actual}"
        return FileStatus.INVALID, FailureKind.LOG_FILE_MODIFIED, mismatch
    return _VALID


def _digest_dir(ref: DigestRef) -> str:
    org = f"{ref.org_id}/" if ref.org_id else ""
    return f"{ref.prefix}AWSLogs/{org}{ref.account_id}/CloudTrail-Digest/{ref.region}/"


def verify_chain(run: Run, scope: Scope, refs: Sequence[DigestRef], known: set[str]) -> None:
    """Validate one chain: the digests of one trail, account and region in range."""
    digests = list(run.pool.map(lambda r: _load(run.store, r), refs))
    by_key = {d.ref.key: d for d in digests}
    chain = sorted((d for d in digests if not d.ref.backfill), key=lambda d: d.ref.end)

    # Who vouches for whom: the newer digest that names a key as its previous one.
    vouchers: dict[str, list[_Digest]] = {}
    for d in chain:
        prev = d.data.get("previousDigestS3Object") if d.data else None
        if isinstance(prev, str):
            vouchers.setdefault(prev, []).append(d)

    for d in digests:
        v = vouchers.get(d.ref.key)
        _judge_digest(run, d, scope, v[0].data if v else None)

    link_results: list[FileResult] = []
    # Without a start time, the range begins at the oldest digest found: the
    # chain reaching further back is not evidence of a deletion.
    lower = run.start or min((d.ref.end for d in chain), default=None)
    dir_prefix = _digest_dir(refs[0]) if refs else ""
    for d in chain:
        if d.data is None or d.result is None or d.result.failure_kind is FailureKind.DIGEST_MOVED:
            continue
        prev_key = d.data.get("previousDigestS3Object")
        if not isinstance(prev_key, str):
            continue  # a starting digest: logging or validation (re)started here
        if run.store.bucket and d.data.get("previousDigestS3Bucket") != run.store.bucket:
            continue  # the chain continues in another bucket, outside this run's scope
        prev = by_key.get(prev_key)
        if prev is None:
            prev_ref = parse_digest_key(prev_key)
            if (
                prev_key.startswith(dir_prefix)
                and prev_ref is not None
                and in_range_bounds(prev_ref, lower, run.end)
                and prev_key not in known
            ):
                link_results.append(
                    FileResult(
                        "digest",
                        run.store.location(prev_key),
                        FileStatus.MISSING,
                        scope,
                        FailureKind.DIGEST_MISSING,
                        f"not found; {run.store.location(d.ref.key)} names it as its previous digest",
                    )
                )
            continue
        if not (prev.signature_ok and d.signature_ok):
            continue  # already reported on its own; a link to an unverified digest proves nothing
        recorded_sig = d.data.get("previousDigestSignature")
        recorded_hash = d.data.get("previousDigestHashValue")
        problem = ""
        if isinstance(recorded_sig, str) and prev.signature is not None and recorded_sig != prev.signature:
            problem = "its signature differs from the previousDigestSignature"
        elif isinstance(recorded_hash, str) and recorded_hash.lower() != prev.sha256:
            problem = "its SHA-256 differs from the previousDigestHashValue"
        if problem:
            prev.result = _result(
                prev,
                scope,
                run.store,
                FileStatus.INVALID,
                FailureKind.CHAIN_BROKEN,
                f"{problem} recorded by {run.store.location(d.ref.key)}",
            )

    # Digests the chain skips over: a newer digest links to an older one, past them.
    present = [d for d in chain if d.found]  # sorted by end time
    ends = [d.ref.end for d in present]
    for d in present:
        prev_key = d.data.get("previousDigestS3Object") if d.data else None
        prev = by_key.get(prev_key) if isinstance(prev_key, str) else None
        if prev is None or not prev.found:
            continue
        skipped = present[bisect.bisect_right(ends, prev.ref.end) : bisect.bisect_left(ends, d.ref.end)]
        for other in skipped:
            also = other.result.failure_kind if other.result is not None else None
            if also is FailureKind.CHAIN_BROKEN:
                continue
            other.result = _result(
                other,
                scope,
                run.store,
                FileStatus.INVALID,
                FailureKind.CHAIN_BROKEN,
                f"not part of the chain: {run.store.location(d.ref.key)} links past it to "
                f"{run.store.location(prev.ref.key)}" + (f" (also: {also.value})" if also else ""),
            )

    # Listed digests that vanished between listing and fetching.
    for d in digests:
        if not d.found and d.error is None:
            d.result = FileResult(
                "digest",
                run.store.location(d.ref.key),
                FileStatus.MISSING,
                scope,
                FailureKind.DIGEST_MISSING,
                "listed but not found when fetched",
            )

    # Log files of valid digests, newest digest first (the CLI's order).
    ordered = sorted(digests, key=lambda d: d.ref.end, reverse=True)
    jobs: list[tuple[_Digest, Mapping[str, Any]]] = []
    for d in ordered:
        if d.signature_ok and d.data is not None:
            jobs.extend((d, e) for e in d.data.get("logFiles", []) if isinstance(e, Mapping))
    log_results = list(run.pool.map(lambda job: _check_log(run, job[1], scope), jobs))
    logs_of: dict[str, list[FileResult]] = {}
    for (d, _), res in zip(jobs, log_results, strict=True):
        logs_of.setdefault(d.ref.key, []).append(res)
    for d in ordered:
        if d.result is not None:
            run.files.append(d.result)
        run.files.extend(logs_of.get(d.ref.key, []))
    run.files.extend(link_results)

    # A digest that exists but could not be read (a refused or throttled GetObject) covers its
    # hour as far as anyone knows: it is that scope's ERROR (above), never a delivery gap.
    find_gaps(run, scope, [d for d in chain if (d.found and d.data is not None) or d.error is not None])


def find_gaps(run: Run, scope: Scope, chain: Sequence[_Digest]) -> None:
    """Periods longer than the tolerance that no digest covers."""
    spans = sorted((d.span() for d in chain), key=lambda s: s[1])
    if spans:
        run.found[scope] = (iso(min(s[0] for s in spans)), iso(spans[-1][1]))
    edges: list[tuple[datetime, datetime]] = []
    if run.start is not None and run.end is not None and not spans:
        edges.append((run.start, min(run.end, datetime.now(UTC))))
    if spans:
        if run.start is not None:
            edges.append((run.start, spans[0][0]))
        for (_, prev_end), (next_start, _) in itertools.pairwise(spans):
            edges.append((prev_end, next_start))
        if run.end is not None:
            edges.append((spans[-1][1], min(run.end, datetime.now(UTC))))
    for start, end in edges:
        if end - start > run.tolerance:
            run.gaps.append(DigestGap(scope, iso(start), iso(end)))


def days_between(start: datetime, end: datetime) -> list[str]:
    """The YYYY/MM/DD folder names of every day from start to end."""
    day = start.date()
    out = []
    while day <= end.date():
        out.append(day.strftime("%Y/%m/%d"))
        day += timedelta(days=1)
    return out


def trail_arn_for(ref: DigestRef, trail_arn: str | None) -> str:
    """The trail a chain is reported under: the one asked for, else the one its digests name."""
    if trail_arn:
        return trail_arn
    # Without DescribeTrails the owner is unknown: the digest's account is the best name.
    return f"arn:aws:cloudtrail:{ref.home_region}:{ref.account_id}:trail/{ref.trail_name}"


def fetch_keys(
    keys: PublicKeySource, start: datetime | None, end: datetime | None, refs: Iterable[DigestRef]
) -> tuple[dict[str, KeyMaterial] | None, str]:
    """The public keys for the digests' span, or None and why they could not be had."""
    ends = [r.end for r in refs]
    lo = start or (min(ends) if ends else datetime.now(UTC))
    hi = (end + timedelta(hours=1)) if end else (max(ends) if ends else datetime.now(UTC))
    try:
        return keys.keys_for(lo - timedelta(hours=1), hi), ""
    except AuditorError:
        raise
    except Exception as exc:  # any API failure is recorded, never silent
        return None, f"{type(exc).__name__}: {exc}"


def finish(
    run: Run,
    source: str,
    location: str,
    scopes: Iterable[Scope],
    start: datetime | None,
    end: datetime | None,
    tolerance_hours: float,
) -> IntegrityReport:
    """The report of a finished run."""
    return IntegrityReport(
        source=source,
        location=location,
        range_start=iso(start) if start else None,
        range_end=iso(end) if end else None,
        scopes=tuple(dict.fromkeys(scopes)),
        files=tuple(run.files),
        digest_gaps=tuple(run.gaps),
        errors=tuple(run.errors),
        found=dict(run.found),
        gap_tolerance_hours=tolerance_hours,
    )


def in_range_bounds(ref: DigestRef, start: datetime | None, end: datetime | None) -> bool:
    """Whether a digest covers log files delivered inside the range."""
    # Like the CLI: a digest ending up to an hour after the range end still
    # covers log files delivered inside the range.
    if start is not None and ref.end < start:
        return False
    return not (end is not None and ref.end > end + timedelta(hours=1))

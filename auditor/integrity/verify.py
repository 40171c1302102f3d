"""Validate CloudTrail digest chains and the log files they list.

The algorithm is the one the CloudTrail documentation describes (custom
validation) and ``aws cloudtrail validate-logs`` implements, plus checks the
CLI leaves out:

* each digest is fetched with its S3 metadata; it must sit where it says it
  sits (``digestS3Bucket``/``digestS3Object``);
* its RSA signature (PKCS #1 v1.5, SHA-256) is verified over::

      digestEndTime + "\\n" + digestS3Bucket + "/" + digestS3Object + "\\n"
      + hex(SHA-256(uncompressed digest file)) + "\\n" + previousDigestSignature

  (``"null"`` for a starting digest), with the public key whose fingerprint
  the digest names;
* each log file a valid digest lists must exist and hash (SHA-256 of the
  *uncompressed* content) to the recorded ``hashValue``;
* links: a digest's previous digest must exist; the previous digest's own
  signature must equal the ``previousDigestSignature`` the newer digest
  recorded, and its content hash the recorded ``previousDigestHashValue``
  (the CLI does not compare these); a digest that the chain skips over was
  not delivered by CloudTrail in sequence (forged or out-of-chain);
* gaps: CloudTrail delivers a digest every hour even without activity, so a
  period between consecutive digests longer than the tolerance is a precise
  record of logging (or validation) being off.

Backfill digests (file name ending ``_backfill.json.gz``) are delivered later
for log files a regular digest missed; they are verified on their own
(signature, location, log hashes) but are not part of the hourly chain, so
they neither break it nor fill gaps.

Every digest and log file is fetched in a thread pool: validation is I/O bound.
"""

from __future__ import annotations

import bisect
import gzip
import hashlib
import itertools
import json
import re
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

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
from auditor.integrity.store import LocalStore, ObjectNotFound, ObjectStore, SourceReadError
from auditor.model.errors import AuditorError
from auditor.model.timefmt import aware, iso, parse_iso, parse_key_date

SIGNATURE_ALGORITHM = "SHA256withRSA"
DEFAULT_GAP_TOLERANCE_HOURS = 2.0

DIGEST_KEY_RE = re.compile(
    r"^(?P<prefix>(?:.*/)?)AWSLogs/(?:(?P<org>o-[a-z0-9]+)/)?(?P<account>\d{12})/CloudTrail-Digest/"
    r"(?P<dir_region>[^/]+)/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/"
    r"(?P=account)_CloudTrail-Digest_(?P<region>[^_/]+)_(?P<trail>[^/]+)_(?P<home>[^_/]+)_"
    r"(?P<stamp>\d{8}T\d{6}Z)(?P<backfill>_backfill)?\.json\.gz$"
)

REQUIRED_FIELDS = (
    "digestPublicKeyFingerprint",
    "digestS3Bucket",
    "digestS3Object",
    "previousDigestSignature",
    "digestEndTime",
    "digestStartTime",
)


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class DigestRef:
    """What a digest's key says about it."""

    key: str
    prefix: str
    org_id: str | None
    account_id: str
    region: str
    trail_name: str
    home_region: str
    end: datetime
    backfill: bool

    @property
    def group(self) -> tuple[str, str, str, str, str, str]:
        """One chain: same location, account, region and trail."""
        return (
            self.prefix,
            self.org_id or "",
            self.account_id,
            self.region,
            self.trail_name,
            self.home_region,
        )


def parse_digest_key(key: str) -> DigestRef | None:
    """Parse a digest object key, or None when the key is not a digest file's."""
    m = DIGEST_KEY_RE.match(key)
    if not m or m["dir_region"] != m["region"]:
        return None
    try:
        end = parse_key_date(m["stamp"])
    except ValueError:
        return None
    return DigestRef(
        key=key,
        prefix=m["prefix"],
        org_id=m["org"],
        account_id=m["account"],
        region=m["region"],
        trail_name=m["trail"],
        home_region=m["home"],
        end=end,
        backfill=bool(m["backfill"]),
    )


class DigestFormatError(ValueError):
    """The bytes are not a gzipped (or plain) JSON digest with the required fields."""


def parse_digest(raw: bytes) -> tuple[dict[str, Any], bytes]:
    """Decode a digest file: returns (fields, the uncompressed bytes that were signed).

    Gzipped as CloudTrail delivers it, or already uncompressed (a digest saved
    by hand). Raises DigestFormatError for anything else.
    """
    inflated = raw
    if raw[:2] == b"\x1f\x8b":
        try:
            inflated = zlib.decompress(raw, zlib.MAX_WBITS | 16)
        except zlib.error as exc:
            raise DigestFormatError(f"not a valid gzip file: {exc}") from exc
    try:
        data = json.loads(inflated.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DigestFormatError(f"not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise DigestFormatError("not a JSON object")
    missing = [f for f in REQUIRED_FIELDS if f not in data]
    if missing:
        raise DigestFormatError(f"required fields missing: {', '.join(missing)}")
    for name in ("digestS3Bucket", "digestS3Object", "digestEndTime", "digestPublicKeyFingerprint"):
        if not isinstance(data[name], str):
            raise DigestFormatError(f"field {name} is not a string")
    if not isinstance(data.get("logFiles", []), list):
        raise DigestFormatError("field logFiles is not a list")
    return data, inflated


def string_to_sign(data: Mapping[str, Any], inflated: bytes) -> bytes:
    """The documented data signing string of a digest."""
    previous = data.get("previousDigestSignature")
    return "{}\n{}/{}\n{}\n{}".format(
        data["digestEndTime"],
        data["digestS3Bucket"],
        data["digestS3Object"],
        hashlib.sha256(inflated).hexdigest(),
        "null" if previous is None else previous,
    ).encode("utf-8")


def verify_signature(public_key: RSAPublicKey, signature_hex: str, data: Mapping[str, Any], inflated: bytes) -> bool:
    """RSA PKCS #1 v1.5 over SHA-256 of the signing string (SHA256withRSA)."""
    try:
        signature = bytes.fromhex(signature_hex)
    except ValueError:
        return False
    try:
        public_key.verify(signature, string_to_sign(data, inflated), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


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
class _Run:
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


def _judge_digest(run: _Run, d: _Digest, scope: Scope, vouch: Mapping[str, Any] | None) -> None:
    """Location, format, key and signature of one digest; sets d.valid and d.result."""
    store = run.store
    if d.error is not None:
        run.errors.append(SourceError(scope, d.error.operation, d.error.code, d.error.message, d.error.resource))
        d.result = _result(d, scope, store, FileStatus.ERROR, FailureKind.SOURCE_UNREADABLE, str(d.error))
        return
    if d.data is None:
        d.result = _result(
            d,
            scope,
            store,
            FileStatus.INVALID,
            FailureKind.DIGEST_CONTENT_ALTERED,
            f"invalid format: {d.format_error}",
        )
        return
    data = d.data
    if (store.bucket and data["digestS3Bucket"] != store.bucket) or data["digestS3Object"] != d.ref.key:
        d.result = _result(
            d,
            scope,
            store,
            FileStatus.INVALID,
            FailureKind.DIGEST_MOVED,
            f"has been moved from its original location s3://{data['digestS3Bucket']}/{data['digestS3Object']}",
        )
        return
    signature = d.signature
    if signature is None and vouch is not None and isinstance(vouch.get("previousDigestSignature"), str):
        # Offline: the next digest records this one's signature (documented fallback).
        signature = str(vouch["previousDigestSignature"])
    if signature is None:
        d.result = _result(
            d,
            scope,
            store,
            FileStatus.INVALID,
            FailureKind.SIGNATURE_METADATA_MISSING,
            "signature metadata missing (x-amz-meta-signature): the digest cannot be verified",
        )
        return
    algorithm = d.signature_algorithm or str(data.get("digestSignatureAlgorithm") or "")
    if algorithm != SIGNATURE_ALGORITHM:
        d.result = _result(
            d,
            scope,
            store,
            FileStatus.INVALID,
            FailureKind.SIGNATURE_INVALID,
            f"unsupported signature algorithm {algorithm!r}",
        )
        return
    if run.keys is None:
        d.result = _result(
            d,
            scope,
            store,
            FileStatus.ERROR,
            FailureKind.SOURCE_UNREADABLE,
            f"public keys could not be read: {run.keys_error}",
        )
        return
    key = run.public_key(data["digestPublicKeyFingerprint"])
    if isinstance(key, str):
        d.result = _result(
            d,
            scope,
            store,
            FileStatus.INVALID,
            FailureKind.PUBLIC_KEY_NOT_FOUND,
            f"{key} in region {d.ref.region}",
        )
        return
    if verify_signature(key, signature, data, d.inflated):
        d.signature_ok = True
        d.result = _result(d, scope, store, FileStatus.VALID)
        return
    recorded_hash = vouch.get("previousDigestHashValue") if vouch else None
    if isinstance(recorded_hash, str) and recorded_hash.lower() != d.sha256:
        d.result = _result(
            d,
            scope,
            store,
            FileStatus.INVALID,
            FailureKind.DIGEST_CONTENT_ALTERED,
            f"content changed after delivery: SHA-256 {d.sha256}, the next digest recorded {recorded_hash}",
        )
    else:
        d.result = _result(
            d,
            scope,
            store,
            FileStatus.INVALID,
            FailureKind.SIGNATURE_INVALID,
            "signature verification failed",
        )


def _check_log(run: _Run, entry: Mapping[str, Any], scope: Scope) -> FileResult:
    bucket = str(entry.get("s3Bucket") or "")
    key = str(entry.get("s3Object") or "")
    store = run.store_for(bucket)
    path = store.location(key)
    expected = str(entry.get("hashValue") or "").lower()
    algorithm = str(entry.get("hashAlgorithm") or "SHA-256")
    if not key or not expected:
        return FileResult(
            "log",
            path,
            FileStatus.INVALID,
            scope,
            FailureKind.DIGEST_CONTENT_ALTERED,
            "the digest's log file entry has no s3Object or hashValue",
        )
    if algorithm.upper() != "SHA-256":
        return FileResult(
            "log",
            path,
            FileStatus.ERROR,
            scope,
            FailureKind.SOURCE_UNREADABLE,
            f"unsupported hash algorithm {algorithm!r}",
        )
    try:
        body = store.get(key).body
    except ObjectNotFound:
        return FileResult("log", path, FileStatus.MISSING, scope, FailureKind.LOG_FILE_MISSING, "not found")
    except SourceReadError as exc:
        run.errors.append(SourceError(scope, exc.operation, exc.code, exc.message, exc.resource))
        return FileResult("log", path, FileStatus.ERROR, scope, FailureKind.SOURCE_UNREADABLE, str(exc))
    try:
        content = gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body
    except (OSError, EOFError, zlib.error):
        return FileResult(
            "log",
            path,
            FileStatus.INVALID,
            scope,
            FailureKind.LOG_FILE_MODIFIED,
            "invalid format: not a readable gzip file",
        )
    actual = hashlib.sha256(content).hexdigest()
    if actual != expected:
        return FileResult(
            "log",
            path,
            FileStatus.INVALID,
            scope,
            FailureKind.LOG_FILE_MODIFIED,
            f"hash value doesn't match: expected {expected}, actual {actual}",
        )
    return FileResult("log", path, FileStatus.VALID, scope)


def _digest_dir(ref: DigestRef) -> str:
    org = f"{ref.org_id}/" if ref.org_id else ""
    return f"{ref.prefix}AWSLogs/{org}{ref.account_id}/CloudTrail-Digest/{ref.region}/"


def _verify_chain(run: _Run, scope: Scope, refs: Sequence[DigestRef], known: set[str]) -> None:
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
                and _in_range_bounds(prev_ref, lower, run.end)
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
    _find_gaps(run, scope, [d for d in chain if (d.found and d.data is not None) or d.error is not None])


def _find_gaps(run: _Run, scope: Scope, chain: Sequence[_Digest]) -> None:
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


def _days(start: datetime, end: datetime) -> list[str]:
    day = start.date()
    out = []
    while day <= end.date():
        out.append(day.strftime("%Y/%m/%d"))
        day += timedelta(days=1)
    return out


def _trail_arn(ref: DigestRef, trail_arn: str | None) -> str:
    if trail_arn:
        return trail_arn
    # Without DescribeTrails the owner is unknown: the digest's account is the best name.
    return f"arn:aws:cloudtrail:{ref.home_region}:{ref.account_id}:trail/{ref.trail_name}"


def _fetch_keys(
    keys: PublicKeySource, start: datetime | None, end: datetime | None, refs: Iterable[DigestRef]
) -> tuple[dict[str, KeyMaterial] | None, str]:
    ends = [r.end for r in refs]
    lo = start or (min(ends) if ends else datetime.now(UTC))
    hi = (end + timedelta(hours=1)) if end else (max(ends) if ends else datetime.now(UTC))
    try:
        return keys.keys_for(lo - timedelta(hours=1), hi), ""
    except AuditorError:
        raise
    except Exception as exc:  # any API failure is recorded, never silent
        return None, f"{type(exc).__name__}: {exc}"


def _finish(
    run: _Run,
    source: str,
    location: str,
    scopes: Iterable[Scope],
    start: datetime | None,
    end: datetime | None,
    tolerance_hours: float,
) -> IntegrityReport:
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


# --------------------------------------------------------------------------- public API


def verify_s3(
    s3_client: Any,
    bucket: str,
    prefix: str | None,
    account_id: str,
    regions: Sequence[str],
    start: datetime,
    end: datetime,
    keys: PublicKeySource,
    org_id: str | None = None,
    trail_arn: str | None = None,
    workers: int = 8,
    gap_tolerance_hours: float = DEFAULT_GAP_TOLERANCE_HOURS,
) -> IntegrityReport:
    """Validate the digests of one account (of an organisation trail when org_id is set).

    Lists ``[prefix/]AWSLogs/[o-id/]ACCOUNT/CloudTrail-Digest/REGION/YYYY/MM/DD/``
    for the days in range only. With trail_arn, only that trail's digests are
    validated; without, every trail found is its own chain. ``keys`` must
    cover every region validated (see CombinedKeySource).
    """
    from auditor.aws.digest_source import S3Store

    start, end = aware(start), aware(end)
    if end < start:
        raise AuditorError(f"end time {iso(end)} is before start time {iso(start)}")
    store = S3Store(s3_client, bucket)
    stores: dict[str, ObjectStore] = {bucket: store}

    def store_for(name: str) -> ObjectStore:
        if name not in stores:
            stores[name] = S3Store(s3_client, name)
        return stores[name]

    want_name = want_home = None
    if trail_arn:
        parts = trail_arn.split(":")
        if len(parts) < 6 or "/" not in parts[5]:
            raise AuditorError(f"invalid trail ARN: {trail_arn}")
        want_home, want_name = parts[3], parts[5].split("/", 1)[1]
    base = f"{prefix.strip('/')}/" if prefix and prefix.strip("/") else ""
    org = f"{org_id}/" if org_id else ""
    days = _days(start, end + timedelta(hours=1))
    location = f"s3://{bucket}/{base}"

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        listings: dict[str, list[str]] = {}

        def list_day(job: tuple[str, str]) -> tuple[str, list[str] | SourceReadError]:
            region, day = job
            try:
                return region, store.list_keys(f"{base}AWSLogs/{org}{account_id}/CloudTrail-Digest/{region}/{day}/")
            except SourceReadError as exc:
                return region, exc

        region_errors: dict[str, SourceReadError] = {}
        for region, res in pool.map(list_day, [(r, d) for r in regions for d in days]):
            if isinstance(res, SourceReadError):
                region_errors.setdefault(region, res)
            else:
                listings.setdefault(region, []).extend(res)

        groups: dict[tuple[str, ...], list[DigestRef]] = {}
        known: dict[tuple[str, ...], set[str]] = {}
        for keys_listed in listings.values():
            for key in keys_listed:
                ref = parse_digest_key(key)
                if ref is None or ref.account_id != account_id:
                    continue
                if want_name is not None and (ref.trail_name != want_name or ref.home_region != want_home):
                    continue
                known.setdefault(ref.group, set()).add(key)
                if _in_range_bounds(ref, start, end):
                    groups.setdefault(ref.group, []).append(ref)

        all_refs = [r for refs in groups.values() for r in refs]
        key_map, key_error = _fetch_keys(keys, start, end, all_refs)
        run = _Run(
            store_for,
            store,
            pool,
            key_map,
            key_error,
            start,
            end,
            timedelta(hours=gap_tolerance_hours),
        )
        scopes: list[Scope] = []
        for region in regions:
            region_groups = {g: refs for g, refs in groups.items() if g[3] == region}
            if region in region_errors:
                exc = region_errors[region]
                scope = Scope(account_id, region, trail_arn or "")
                scopes.append(scope)
                run.errors.append(SourceError(scope, exc.operation, exc.code, exc.message, exc.resource))
                continue
            if not region_groups:
                scope = Scope(account_id, region, trail_arn or "")
                scopes.append(scope)
                _find_gaps(run, scope, [])
                continue
            for group, refs in sorted(region_groups.items()):
                scope = Scope(account_id, region, _trail_arn(refs[0], trail_arn))
                scopes.append(scope)
                _verify_chain(run, scope, sorted(refs, key=lambda r: r.end), known[group])
        if key_map is None:
            for scope in scopes:
                run.errors.append(SourceError(scope, "cloudtrail:ListPublicKeys", "KeysUnavailable", key_error))
    return _finish(run, "s3", location, scopes, start, end, gap_tolerance_hours)


def _in_range_bounds(ref: DigestRef, start: datetime | None, end: datetime | None) -> bool:
    # Like the CLI: a digest ending up to an hour after the range end still
    # covers log files delivered inside the range.
    if start is not None and ref.end < start:
        return False
    return not (end is not None and ref.end > end + timedelta(hours=1))


def verify_local(
    folder: Path,
    start: datetime | None,
    end: datetime | None,
    keys: PublicKeySource,
    workers: int = 8,
    gap_tolerance_hours: float = DEFAULT_GAP_TOLERANCE_HOURS,
) -> IntegrityReport:
    """Validate every digest chain found in a local copy of a log bucket (offline).

    ``folder`` is the bucket root (``aws s3 sync s3://BUCKET FOLDER``); each
    digest's signature comes from its ``.metadata.json`` sidecar or, failing
    that, from the next digest's ``previousDigestSignature``. Without start/end
    every digest found is validated and no edge gaps are reported.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise AuditorError(f"{folder}: not a folder")
    start = aware(start) if start else None
    end = aware(end) if end else None
    store = LocalStore(folder)
    groups: dict[tuple[str, ...], list[DigestRef]] = {}
    known: dict[tuple[str, ...], set[str]] = {}
    try:
        listed = store.list_keys("")
    except SourceReadError as exc:
        raise AuditorError(f"{folder}: cannot list files: {exc}") from exc
    for key in listed:
        ref = parse_digest_key(key)
        if ref is None:
            continue
        known.setdefault(ref.group, set()).add(key)
        if _in_range_bounds(ref, start, end):
            groups.setdefault(ref.group, []).append(ref)
    all_refs = [r for refs in groups.values() for r in refs]
    key_map, key_error = _fetch_keys(keys, start, end, all_refs)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        run = _Run(
            lambda _b: store,
            store,
            pool,
            key_map,
            key_error,
            start,
            end,
            timedelta(hours=gap_tolerance_hours),
        )
        scopes: list[Scope] = []
        for group, refs in sorted(groups.items()):
            scope = Scope(refs[0].account_id, refs[0].region, _trail_arn(refs[0], None))
            scopes.append(scope)
            _verify_chain(run, scope, sorted(refs, key=lambda r: r.end), known[group])
        if key_map is None:
            for scope in scopes:
                run.errors.append(SourceError(scope, "public-keys", "KeysUnavailable", key_error))
    return _finish(run, "local", str(folder), scopes, start, end, gap_tolerance_hours)


def merge_reports(reports: Iterable[IntegrityReport]) -> IntegrityReport:
    """One report from several runs (one per account or trail), for ``Snapshot.integrity``."""
    items = list(reports)
    if not items:
        raise ValueError("merge_reports needs at least one report")
    if len(items) == 1:
        return items[0]
    starts = [r.range_start for r in items if r.range_start]
    ends = [r.range_end for r in items if r.range_end]
    sources = {r.source for r in items}
    found: dict[Scope, tuple[str, str]] = {}
    for r in items:
        for scope, span in r.found.items():
            old = found.get(scope)
            found[scope] = span if old is None else (min(old[0], span[0]), max(old[1], span[1]))
    return IntegrityReport(
        source=sources.pop() if len(sources) == 1 else "s3",
        location=", ".join(dict.fromkeys(r.location for r in items)),
        range_start=min(starts) if starts else None,
        range_end=max(ends) if ends else None,
        scopes=tuple(dict.fromkeys(s for r in items for s in r.scopes)),
        files=tuple(f for r in items for f in r.files),
        digest_gaps=tuple(g for r in items for g in r.digest_gaps),
        errors=tuple(e for r in items for e in r.errors),
        found=found,
        gap_tolerance_hours=max(r.gap_tolerance_hours for r in items),
    )


_LABEL = {"digest": "Digest file", "log": "Log file"}


def summary_lines(report: IntegrityReport) -> list[str]:
    """A plain-text summary in the shape of ``aws cloudtrail validate-logs``."""
    lines = [f"Results requested for {report.range_start or 'the beginning'} to {report.range_end or 'the end'}"]
    if report.found:
        first = min(span[0] for span in report.found.values())
        last = max(span[1] for span in report.found.values())
        lines.append(f"Results found for {first} to {last}:")
    else:
        lines.append("No digest files found")
    dt, dv = report.digests_total, report.digests_valid
    lt, lv = report.log_files_total, report.log_files_valid
    lines.append(f"{dv}/{dt} digest files valid" + (f", {dt - dv}/{dt} digest files INVALID" if dt - dv else ""))
    lines.append(f"{lv}/{lt} log files valid" + (f", {lt - lv}/{lt} log files INVALID" if lt - lv else ""))
    for f in report.failures():
        kind = f.failure_kind.value if f.failure_kind else f.status.value
        lines.append(f"{_LABEL.get(f.kind, f.kind)}\t{f.path}\tINVALID: {kind}: {f.detail}")
    for g in report.digest_gaps:
        lines.append(
            f"No digest files between {g.start} and {g.end} ({g.hours} h)"
            f" for {g.scope.trail_arn or 'any trail'} in {g.scope.account_id}/{g.scope.region}:"
            " logging or validation was off, or digests were deleted"
        )
    for e in report.errors:
        lines.append(f"ERROR\t{e.operation} {e.resource}\t{e.error_code}: {e.message}")
    return lines

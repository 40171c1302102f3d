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

This module holds the entry points (list the digests, group them into chains,
report); the chain walk is :mod:`auditor.integrity.chain`, a digest's key,
fields and signature :mod:`auditor.integrity.digest`. Reading from S3 is AWS
glue: :func:`auditor.aws.digest_source.verify_s3` opens the buckets and calls
:func:`verify_bucket`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from auditor.integrity.chain import (
    Run,
    days_between,
    fetch_keys,
    find_gaps,
    finish,
    in_range_bounds,
    trail_arn_for,
    verify_chain,
)
from auditor.integrity.digest import DigestRef, parse_digest_key
from auditor.integrity.keys import PublicKeySource
from auditor.integrity.model import IntegrityReport, Scope, SourceError
from auditor.integrity.store import LocalStore, ObjectStore, SourceReadError
from auditor.model.arn import parse_arn
from auditor.model.errors import AuditorError
from auditor.model.timefmt import aware, iso

DEFAULT_GAP_TOLERANCE_HOURS = 2.0

# --------------------------------------------------------------------------- public API


@dataclass(frozen=True)
class DigestScope:
    """Which digests :func:`verify_bucket` validates: one account's, in one bucket, over a time range.

    The digests sit under ``[prefix/]AWSLogs/[org_id/]account_id/CloudTrail-Digest/REGION/``
    (with ``org_id``: an organisation trail's, for that member account). With
    ``trail_arn`` only that trail's digests are validated; without, every trail
    found is its own chain.
    """

    bucket: str
    prefix: str | None
    account_id: str
    regions: tuple[str, ...]
    start: datetime
    end: datetime
    org_id: str | None = None
    trail_arn: str | None = None

    @property
    def base(self) -> str:
        """``prefix/`` (empty without a prefix): where the trail's ``AWSLogs/`` starts in the bucket."""
        return f"{self.prefix.strip('/')}/" if self.prefix and self.prefix.strip("/") else ""

    def digest_folder(self, region: str, day: str) -> str:
        """The folder of one region's digests of one day (``day`` as ``YYYY/MM/DD``)."""
        org = f"{self.org_id}/" if self.org_id else ""
        return f"{self.base}AWSLogs/{org}{self.account_id}/CloudTrail-Digest/{region}/{day}/"


def verify_bucket(
    store_for: Callable[[str], ObjectStore],
    scope: DigestScope,
    keys: PublicKeySource,
    workers: int = 8,
    gap_tolerance_hours: float = DEFAULT_GAP_TOLERANCE_HOURS,
) -> IntegrityReport:
    """Validate the digests ``scope`` names (of an organisation trail when it has an org_id).

    Lists ``[prefix/]AWSLogs/[o-id/]ACCOUNT/CloudTrail-Digest/REGION/YYYY/MM/DD/``
    for the days in range only. ``keys`` must cover every region validated
    (see CombinedKeySource). ``store_for`` opens a bucket by name (the log
    bucket, and any bucket a digest says it sits in);
    :func:`auditor.aws.digest_source.verify_s3` passes S3 buckets.
    """
    start, end = aware(scope.start), aware(scope.end)
    if end < start:
        raise AuditorError(f"end time {iso(end)} is before start time {iso(start)}")
    store = store_for(scope.bucket)

    want_name = want_home = None
    if scope.trail_arn:
        arn = parse_arn(scope.trail_arn)
        if arn is None or "/" not in arn.resource:
            raise AuditorError(f"invalid trail ARN: {scope.trail_arn}")
        want_home, want_name = arn.region, arn.resource_name
    days = days_between(start, end + timedelta(hours=1))
    location = f"s3://{scope.bucket}/{scope.base}"

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        listings: dict[str, list[str]] = {}

        def list_day(job: tuple[str, str]) -> tuple[str, list[str] | SourceReadError]:
            region, day = job
            try:
                return region, store.list_keys(scope.digest_folder(region, day))
            except SourceReadError as exc:
                return region, exc

        region_errors: dict[str, SourceReadError] = {}
        for region, res in pool.map(list_day, [(r, d) for r in scope.regions for d in days]):
            if isinstance(res, SourceReadError):
                region_errors.setdefault(region, res)
            else:
                listings.setdefault(region, []).extend(res)

        def wanted(ref: DigestRef) -> bool:
            if ref.account_id != scope.account_id:
                return False
            return want_name is None or (ref.trail_name == want_name and ref.home_region == want_home)

        listed = (key for keys_listed in listings.values() for key in keys_listed)
        groups, known = _chains(listed, start, end, wanted)
        run = _open_run(store_for, store, pool, keys, groups, start, end, gap_tolerance_hours)
        scopes: list[Scope] = []
        for region in scope.regions:
            region_groups = {g: refs for g, refs in groups.items() if g[3] == region}
            if region in region_errors:
                exc = region_errors[region]
                chain = Scope(scope.account_id, region, scope.trail_arn or "")
                scopes.append(chain)
                run.errors.append(SourceError(chain, exc.operation, exc.code, exc.message, exc.resource))
                continue
            if not region_groups:
                chain = Scope(scope.account_id, region, scope.trail_arn or "")
                scopes.append(chain)
                find_gaps(run, chain, [])
                continue
            for group, refs in sorted(region_groups.items()):
                chain = Scope(scope.account_id, region, trail_arn_for(refs[0], scope.trail_arn))
                scopes.append(chain)
                verify_chain(run, chain, sorted(refs, key=lambda r: r.end), known[group])
        _keys_unavailable(run, scopes, "cloudtrail:ListPublicKeys")
    return finish(run, "s3", location, scopes, start, end, gap_tolerance_hours)


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
    try:
        listed = store.list_keys("")
    except SourceReadError as exc:
        raise AuditorError(f"{folder}: cannot list files: {exc}") from exc
    groups, known = _chains(listed, start, end, lambda _ref: True)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        run = _open_run(lambda _b: store, store, pool, keys, groups, start, end, gap_tolerance_hours)
        scopes: list[Scope] = []
        for group, refs in sorted(groups.items()):
            scope = Scope(refs[0].account_id, refs[0].region, trail_arn_for(refs[0], None))
            scopes.append(scope)
            verify_chain(run, scope, sorted(refs, key=lambda r: r.end), known[group])
        _keys_unavailable(run, scopes, "public-keys")
    return finish(run, "local", str(folder), scopes, start, end, gap_tolerance_hours)


_Chain = tuple[str, ...]


def _chains(
    listed: Iterable[str], start: datetime | None, end: datetime | None, wanted: Callable[[DigestRef], bool]
) -> tuple[dict[_Chain, list[DigestRef]], dict[_Chain, set[str]]]:
    """The wanted digests listed, by chain: those in range (to validate), and every key (the chain's known ones)."""
    groups: dict[_Chain, list[DigestRef]] = {}
    known: dict[_Chain, set[str]] = {}
    for key in listed:
        ref = parse_digest_key(key)
        if ref is None or not wanted(ref):
            continue
        known.setdefault(ref.group, set()).add(key)
        if in_range_bounds(ref, start, end):
            groups.setdefault(ref.group, []).append(ref)
    return groups, known


def _open_run(
    store_for: Callable[[str], ObjectStore],
    store: ObjectStore,
    pool: ThreadPoolExecutor,
    keys: PublicKeySource,
    groups: Mapping[_Chain, list[DigestRef]],
    start: datetime | None,
    end: datetime | None,
    gap_tolerance_hours: float,
) -> Run:
    """A validation run over ``groups``, with the public keys for every digest in them fetched once."""
    key_map, key_error = fetch_keys(keys, start, end, [r for refs in groups.values() for r in refs])
    return Run(store_for, store, pool, key_map, key_error, start, end, timedelta(hours=gap_tolerance_hours))


def _keys_unavailable(run: Run, scopes: Iterable[Scope], operation: str) -> None:
    """Without public keys no digest verifies: each scope records why (``operation`` failed)."""
    if run.keys is None:
        for scope in scopes:
            run.errors.append(SourceError(scope, operation, "KeysUnavailable", run.keys_error))


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

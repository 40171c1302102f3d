"""Collection-layer glue: read each trail's log files and digest chain during a scan.

Like auditor/aws/collect, this module talks to AWS (through boto3 sessions) and
is read-only: S3 ListObjectsV2/GetObject on the trails' buckets and CloudTrail
ListPublicKeys. It turns what it reads into the JSON evidence documents the
logs-* checks judge (``Snapshot.log_evidence`` and ``Snapshot.integrity``).
Failures to read become recorded problems in those documents, never silence.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from auditor.aws.collect import (
    AccountAccessError,
    AccountSessions,
    CollectOptions,
    make_config,
    open_account_sessions,
)
from auditor.aws.error_pages import install
from auditor.model.arn import parse_arn
from auditor.model.errors import AuditorError
from auditor.model.log_evidence import LogEvidence
from auditor.model.progress import NullWork, WorkProgress
from auditor.model.snapshot import Bucket, CollectionError, Snapshot, Trail
from auditor.model.timefmt import parse_iso

#: The collector's own retry policy, timeouts and user agent (defaults of ``scan``), for
#: ``verify-logs`` and ``logs s3://`` which have no collection run to borrow clients from.
_CONFIG = make_config(16)


def _client(session: boto3.Session, service: str, endpoint_url: str | None, region: str | None = None) -> Any:
    return session.client(
        service, config=_CONFIG, endpoint_url=endpoint_url, region_name=region or session.region_name or "us-east-1"
    )


def _logging_trails(snapshot: Snapshot) -> list[Trail]:
    seen: dict[str, Trail] = {}
    for acc in snapshot.accessible_accounts():
        for t in acc.trails:
            if t.owner_account_id == acc.account_id and t.s3_bucket_name:
                seen.setdefault(t.arn, t)
    return list(seen.values())


@dataclass(frozen=True)
class _LogRun:
    """What every trail of one log read shares: the window, the sessions and the scanned scope."""

    snapshot: Snapshot
    window: Any
    sessions: AccountSessions
    accounts: list[str]
    regions: list[str]
    org_id: str | None
    public_keys: Path | None
    work: WorkProgress

    def scope(self, trail: Trail) -> tuple[list[str], list[str]]:
        """The accounts and regions whose logs and digests ``trail`` delivers."""
        accounts = self.accounts if trail.is_organization_trail else [trail.owner_account_id]
        regions = self.regions if trail.is_multi_region else [trail.home_region]
        return accounts, regions


def _log_run(
    snapshot: Snapshot,
    options: CollectOptions,
    since: str,
    now: datetime | None,
    sessions: AccountSessions | None,
    public_keys: Path | None,
    work: WorkProgress | None,
) -> _LogRun:
    from auditor.logs import LogWindow, parse_since

    now = now or datetime.now(UTC)
    if sessions is None:
        sessions = open_account_sessions(
            options, caller_account_id=snapshot.caller_account_id, partition=snapshot.partition
        )
    org_id = None
    if snapshot.organization is not None and not isinstance(snapshot.organization, CollectionError):
        org_id = snapshot.organization.id
    return _LogRun(
        snapshot=snapshot,
        window=LogWindow(since=parse_since(since, now), until=now),
        sessions=sessions,
        accounts=[a.account_id for a in snapshot.accessible_accounts()],
        regions=sorted({r.region for a in snapshot.accessible_accounts() for r in a.regions}),
        org_id=org_id,
        public_keys=public_keys,
        work=work or NullWork(),
    )


def _bucket_client(run: _LogRun, trail: Trail) -> tuple[Any, list[Any], str | None]:
    """The trail bucket owner's S3 client; or None, the digest reports it makes unreadable, and why."""
    owner = _bucket_owner(run.snapshot.bucket(trail.s3_bucket_name or ""), trail)
    try:
        return run.sessions.client(owner, "s3"), [], None
    except (AccountAccessError, ClientError, BotoCoreError) as exc:
        reason = str(exc) if isinstance(exc, AccountAccessError) else f"cannot open a session in {owner}: {exc}"
        reports = []
        if trail.log_file_validation_enabled:
            # Without this the digest check would see no chain for the trail and say
            # "not run" (NOT_APPLICABLE): the digests were due and could not be read.
            accounts, regions = run.scope(trail)
            reports.append(
                _unreadable_integrity(trail, accounts, regions, run.window, "s3:ListBucket", type(exc).__name__, reason)
            )
        return None, reports, reason


def _trail_digests(run: _LogRun, trail: Trail, s3: Any) -> list[Any]:
    """Validate ``trail``'s digest chains (one report per account), if its trail validates logs."""
    from auditor.aws.digest_source import verify_s3
    from auditor.integrity import DigestScope, FileKeySource

    if not trail.log_file_validation_enabled:
        return []
    scope_accounts, trail_regions = run.scope(trail)
    if run.public_keys is not None:
        keys: Any = FileKeySource(run.public_keys)
    else:
        keys = _caller_key_sources(run.sessions, run.snapshot.caller_account_id, trail_regions)
    reports: list[Any] = []
    phase = f"Validating digests of {trail.name} (accounts)"
    run.work.update(phase, 0, len(scope_accounts))
    for done, account in enumerate(scope_accounts, 1):
        try:
            reports.append(
                verify_s3(
                    s3,
                    DigestScope(
                        trail.s3_bucket_name or "",
                        trail.s3_key_prefix,
                        account,
                        tuple(trail_regions),
                        run.window.since,
                        run.window.until,
                        org_id=run.org_id if trail.is_organization_trail else None,
                        trail_arn=trail.arn,
                    ),
                    keys,
                )
            )
        except AuditorError as exc:  # e.g. a malformed trail ARN in a loaded snapshot
            reports.append(
                _unreadable_integrity(
                    trail,
                    [account],
                    trail_regions,
                    run.window,
                    "cloudtrail:ValidateLogs",
                    type(exc).__name__,
                    str(exc),
                )
            )
        run.work.update(phase, done, len(scope_accounts))
    return reports


def read_trail_evidence(
    snapshot: Snapshot,
    options: CollectOptions,
    *,
    since: str,
    rules_dir: Path | None = None,
    public_keys: Path | None = None,
    console: Any = None,
    now: datetime | None = None,
    sessions: AccountSessions | None = None,
    work: WorkProgress | None = None,
    digests_only: bool = False,
) -> Snapshot:
    """Read every in-scope trail's logs (and digests, where validation is on) into the snapshot.

    ``sessions`` are the collection run's (:func:`auditor.aws.collect.collect_with_sessions`):
    each bucket owner's account is then read with the role the collector assumed,
    renewed before it expires. Without them, each account's role is assumed on first
    use, once. ``work`` hears the files read per trail and the digest chains validated.

    ``digests_only`` is for a scan whose log evidence comes from elsewhere (Athena): the
    digest files are not in the table, so only they are read, exactly as they are read
    with the logs (same sessions, keys, scope and failures), and
    ``logs-digest-integrity`` judges the same document under either engine;
    ``snapshot.log_evidence`` is then left as it is.
    """
    from auditor.integrity import merge_reports
    from auditor.logs import merge_evidence, read_s3

    run = _log_run(snapshot, options, since, now, sessions, public_keys, work)
    docs: list[dict[str, Any]] = []
    reports: list[Any] = []
    trails = _logging_trails(snapshot)
    for trail in trails:
        if digests_only and not trail.log_file_validation_enabled:
            continue  # no digests are due: no bucket session to open
        s3, unreadable, reason = _bucket_client(run, trail)
        if s3 is None:
            docs.append(_unreadable(trail, run.window, reason or ""))
            reports.extend(unreadable)
            continue
        if console is not None:
            doing = "Validating digests" if digests_only else "Reading logs"
            console.print(f"{doing} of {trail.name} from s3://{trail.s3_bucket_name}", markup=False, highlight=False)
        if not digests_only:
            scope_accounts, trail_regions = run.scope(trail)
            docs.append(
                read_s3(
                    s3,
                    trail.s3_bucket_name or "",
                    _join(trail.s3_key_prefix, "AWSLogs/"),
                    run.window,
                    accounts=scope_accounts,
                    regions=trail_regions or None,
                    rules_dir=rules_dir,
                    progress=_files_progress(run.work, f"Reading logs of {trail.name} (files)"),
                )
            )
        reports.extend(_trail_digests(run, trail, s3))
    if not trails:
        # Logs were asked for but no trail of a scanned account delivers to S3: that must read as
        # "could not be assessed", not as "logs were not read" (which --no-logs means).
        docs.append(_no_trail_source(snapshot, run.window))
        reports.extend(_unlisted_reports(snapshot, run.window))
    integrity = merge_reports(reports).document() if reports else None
    if digests_only:
        return replace(snapshot, integrity=integrity)
    return replace(snapshot, log_evidence=LogEvidence.from_dict(merge_evidence(docs)), integrity=integrity)


def _no_trail_source(snapshot: Snapshot, window: Any) -> dict[str, Any]:
    """The unreadable source standing for "logs were asked for, but no trail delivers to S3" (and why)."""
    from auditor.logs import unreadable_source

    unlisted = _unlisted_trails(snapshot)
    if unlisted:
        # No trail known because none could be listed: the reason is the failed listing.
        reason = "--logs-since was given but the trails could not be listed: " + "; ".join(
            e.reason() for _, e in unlisted
        )
        return unreadable_source("(trails not listed)", window, reason)
    return unreadable_source(
        "(no trail log bucket)",
        window,
        "--logs-since was given but no trail owned by a scanned account delivers to S3; include the "
        "account that owns the trail (for an organisation trail, the management account)",
    )


def _unlisted_reports(snapshot: Snapshot, window: Any) -> list[Any]:
    """With no trail known because none could be listed, the digests due from those trails are
    unreadable too (ERROR, not "validation was not run")."""
    return [_unlisted_integrity(account_id, err, window) for account_id, err in _unlisted_trails(snapshot)]


class KeySourceUnavailable(Exception):
    """The caller's CloudTrail client for ListPublicKeys could not be made.

    Raised from :meth:`_UnavailableKeys.keys_for`, where digest validation
    records any key-fetch failure as ``KeysUnavailable`` for every chain
    (ERROR). Deliberately not an ``AuditorError``: validation lets those
    propagate as user errors, and this is missing evidence, not a usage error.
    """


class _UnavailableKeys:
    """A key source that could not be opened: every request for keys fails with the reason."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def keys_for(self, start: datetime, end: datetime) -> dict[str, bytes | str]:
        """Always fails, so that each chain validated with it is recorded as unverifiable."""
        del start, end
        raise KeySourceUnavailable(self.reason)


def _caller_key_source(sessions: AccountSessions, caller: str, region: str) -> Any:
    """ListPublicKeys as the caller in ``region``; if no client can be made, a source that says why.

    Client creation fails without base credentials (botocore finds none), with a
    credential provider that raises (an expired SSO token, a failing
    credential_process) or a region botocore rejects. That must become the
    ERROR of the digest chains that needed the keys, not end the scan.
    """
    from auditor.integrity import CloudTrailKeySource

    try:
        return CloudTrailKeySource(sessions.client(caller, "cloudtrail", region))
    except (AuditorError, ClientError, BotoCoreError) as exc:
        return _UnavailableKeys(f"cannot open a CloudTrail client as {caller} in {region}: {type(exc).__name__}: {exc}")


def _caller_key_sources(sessions: AccountSessions, caller: str, regions: Sequence[str]) -> Any:
    """Every validated region's keys: CloudTrail signs each region's digests with that region's key."""
    from auditor.integrity import CombinedKeySource

    return CombinedKeySource(*(_caller_key_source(sessions, caller, region) for region in regions))


def _unreadable_integrity(
    trail: Trail, accounts: Sequence[str], regions: Sequence[str], window: Any, operation: str, code: str, reason: str
) -> Any:
    """A validation report whose every chain of ``trail`` is unreadable for ``reason`` (ERROR)."""
    from auditor.integrity import IntegrityReport, Scope
    from auditor.integrity.model import SourceError
    from auditor.model.timefmt import iso

    scopes = tuple(Scope(account, region, trail.arn) for account in accounts for region in regions)
    resource = f"s3://{trail.s3_bucket_name}/{_join(trail.s3_key_prefix, '')}"
    return IntegrityReport(
        source="s3",
        location=resource,
        range_start=iso(window.since),
        range_end=iso(window.until),
        scopes=scopes,
        errors=tuple(SourceError(scope, operation, code, reason, resource) for scope in scopes),
    )


def _unlisted_trails(snapshot: Snapshot) -> list[tuple[str, CollectionError]]:
    """(account, error) for each readable account and region whose DescribeTrails failed."""
    return [
        (acc.account_id, reg.trail_arns)
        for acc in snapshot.accessible_accounts()
        for reg in acc.regions
        if isinstance(reg.trail_arns, CollectionError)
    ]


def _unlisted_integrity(account_id: str, err: CollectionError, window: Any) -> Any:
    """A validation report whose one chain (the account in the failed region) is unreadable for ``err``."""
    from auditor.integrity import IntegrityReport, Scope
    from auditor.integrity.model import SourceError
    from auditor.model.timefmt import iso

    scope = Scope(account_id, err.region, "")
    return IntegrityReport(
        source="s3",
        location="(trails not listed)",
        range_start=iso(window.since),
        range_end=iso(window.until),
        scopes=(scope,),
        errors=(SourceError(scope, f"{err.service}:{err.operation}", err.error_code, err.reason(), ""),),
    )


def _bucket_owner(bucket: Bucket | None, trail: Trail) -> str:
    if bucket is not None and bucket.owner_account_id:
        return bucket.owner_account_id
    return trail.owner_account_id


def _join(prefix: str | None, rest: str) -> str:
    return f"{prefix.rstrip('/')}/{rest}" if prefix else rest


def _unreadable(trail: Trail, window: Any, reason: str) -> dict[str, Any]:
    from auditor.logs import unreadable_source

    return unreadable_source(f"s3://{trail.s3_bucket_name}", window, reason, account_id=trail.owner_account_id)


def read_s3_source(
    url: str,
    window: Any,
    *,
    rules_dir: Path | None,
    profile: str | None,
    endpoint_url: str | None,
    work: WorkProgress | None = None,
) -> dict[str, Any]:
    """`trail-auditor logs s3://BUCKET/PREFIX`."""
    from auditor.logs import read_s3

    bucket, _, prefix = url[len("s3://") :].partition("/")
    if not bucket:
        raise AuditorError(f"{url}: expected s3://BUCKET[/PREFIX]")
    session = install(boto3.Session(profile_name=profile) if profile else boto3.Session())
    s3 = _client(session, "s3", endpoint_url)
    if prefix and "AWSLogs" not in prefix:
        prefix = _join(prefix, "AWSLogs/")
    progress = _files_progress(work or NullWork(), f"Reading {url} (files)")
    return read_s3(s3, bucket, prefix or "AWSLogs/", window, rules_dir=rules_dir, progress=progress)


def _files_progress(work: WorkProgress, phase: str) -> Callable[[int, int], None]:
    """The log reader's ``progress(done, total)`` reported as one phase of ``work``."""
    return lambda done, total: work.update(phase, done, total)


def _time(value: str | None, default: datetime) -> datetime:
    if not value:
        return default
    try:
        return parse_iso(value)
    except ValueError:
        raise AuditorError(f"{value!r}: expected an ISO 8601 time such as 2026-11-01T00:00:00Z") from None


def verify_logs_command(args: argparse.Namespace) -> tuple[Any, list[str]]:
    """`trail-auditor verify-logs`: online through S3 or offline from a folder."""
    from auditor.aws.digest_source import verify_s3
    from auditor.integrity import (
        CloudTrailKeySource,
        CombinedKeySource,
        DigestScope,
        FileKeySource,
        summary_lines,
        verify_local,
    )

    now = datetime.now(UTC)
    end = _time(args.end_time, now)
    start = _time(args.start_time, end - timedelta(days=1))
    if start >= end:
        raise AuditorError("--start-time must be before --end-time")
    if args.source is not None:
        folder = Path(args.source)
        if not folder.is_dir():
            raise AuditorError(f"{folder}: not a folder")
        if args.public_keys is None:
            raise AuditorError("offline verification needs --public-keys FILE")
        report = verify_local(folder, start, end, FileKeySource(args.public_keys))
        return report, summary_lines(report)
    if not args.trail_arn:
        raise AuditorError("give --trail-arn (online) or a FOLDER with --public-keys (offline)")
    arn = parse_arn(args.trail_arn)
    if arn is None or not arn.resource.startswith("trail/"):
        raise AuditorError(f"{args.trail_arn}: not a trail ARN")
    region, owner = arn.region, arn.account
    session = install(boto3.Session(profile_name=args.profile) if args.profile else boto3.Session())
    ct = _client(session, "cloudtrail", args.endpoint_url, region)
    bucket, prefix = args.bucket, args.prefix
    try:
        if bucket is None:
            trails = ct.describe_trails(trailNameList=[args.trail_arn])["trailList"]
            if not trails:
                raise AuditorError(f"{args.trail_arn}: no such trail")
            bucket, prefix = trails[0]["S3BucketName"], trails[0].get("S3KeyPrefix")
    except (ClientError, BotoCoreError) as exc:  # BotoCoreError: no credentials, endpoint unreachable...
        raise AuditorError(f"cannot describe {args.trail_arn}: {exc}") from exc
    regions: Sequence[str] = args.regions or [region]
    # CloudTrail signs each region's digests with that region's key: list every validated region's
    keys: Any = (
        FileKeySource(args.public_keys)
        if args.public_keys
        else CombinedKeySource(
            *(
                CloudTrailKeySource(ct if r == region else _client(session, "cloudtrail", args.endpoint_url, r))
                for r in regions
            )
        )
    )
    s3 = _client(session, "s3", args.endpoint_url)
    scope = DigestScope(
        bucket,
        prefix,
        args.account_id or owner,
        tuple(regions),
        start,
        end,
        org_id=args.organization_id,
        trail_arn=args.trail_arn,
    )
    report = verify_s3(s3, scope, keys)
    return report, summary_lines(report)

"""Collection: the only layer that talks to AWS (and the only one importing boto3).

:func:`collect` reads the configuration of every account and region in scope
into a :class:`~auditor.snapshot.Snapshot`. It is read-only, runs its calls on
a bounded thread pool, and turns every per-call failure into a
``CollectionError`` value in the snapshot (and in ``Snapshot.errors``), so a
denied or throttled API can never look like a clean answer. It raises only
:class:`CollectError` (an ``AuditorError``), when the scan cannot start.

:func:`collect_with_sessions` also hands back the run's
:class:`AccountSessions`, so that the trail-log reader enters each account
with the role the collector already assumed (renewed before it expires)
instead of assuming it again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from auditor.collect._aws import (
    PARTITION_DEFAULT_REGION,
    USER_AGENT_EXTRA,
    AccountAccessError,
    AccountSessions,
    Aws,
    make_config,
    utc_now,
)
from auditor.collect._orgtrails import attach_organization_trails
from auditor.collect._parse import now_iso
from auditor.collect._scan import CollectError, Scan, ScanSettings
from auditor.progress import NullProgress, ProgressSink
from auditor.snapshot import CollectionError, Snapshot

if TYPE_CHECKING:
    import boto3

__all__ = [
    "USER_AGENT_EXTRA",
    "AccountAccessError",
    "AccountSessions",
    "CollectError",
    "CollectOptions",
    "collect",
    "collect_with_sessions",
    "open_account_sessions",
]

_HOOK_ID = "trail-auditor-progress"


@dataclass(frozen=True)
class CollectOptions:
    """What to scan and how (the CLI's scan flags)."""

    profile: str | None = None
    #: Narrow to these regions (disabled ones are still skipped and reported).
    regions: tuple[str, ...] | None = None
    #: Discover accounts with Organizations ListAccounts.
    organization: bool = False
    #: Explicit account ids, each entered by assuming ``role_name``.
    accounts: tuple[str, ...] = ()
    role_name: str | None = None
    external_id: str | None = None
    #: Point every client at another endpoint (AWS_ENDPOINT_URL also works natively).
    endpoint_url: str | None = None
    max_workers: int = 16
    #: Accounts outside the scan that may own a trail's bucket (checked with HeadBucket).
    trusted_accounts: tuple[str, ...] = ()


def collect(
    options: CollectOptions,
    progress: ProgressSink | None = None,
    session: boto3.Session | None = None,
) -> Snapshot:
    """Collect a snapshot of every account and region in scope.

    ``session`` defaults to ``boto3.Session(profile_name=options.profile)``.
    Hooks registered on the session's event system before the call see every
    API call of the scan, in every account (clients of assumed roles are made
    from the same session).
    """
    return collect_with_sessions(options, progress, session)[0]


def _session(options: CollectOptions, session: boto3.Session | None) -> boto3.Session:
    """The caller's session, else one for ``options.profile``."""
    if session is not None:
        return session
    import boto3

    return boto3.Session(profile_name=options.profile)


def _aws(
    session: boto3.Session,
    options: CollectOptions,
    on_error: Callable[[CollectionError], None],
    clock: Callable[[], datetime],
) -> Aws:
    """The run's AWS access as the options configure it (workers, endpoint)."""
    return Aws(
        session,
        config=make_config(options.max_workers),
        endpoint_url=options.endpoint_url,
        on_error=on_error,
        clock=clock,
    )


def collect_with_sessions(
    options: CollectOptions,
    progress: ProgressSink | None = None,
    session: boto3.Session | None = None,
    *,
    clock: Callable[[], datetime] = utc_now,
) -> tuple[Snapshot, AccountSessions]:
    """:func:`collect`, plus the run's :class:`AccountSessions` for reading more from the same accounts.

    ``clock`` is the time the assumed roles' credentials are judged by (when to
    renew them); the sessions handed back keep it. Tests move it forward to run
    a whole scan across a role session's expiry; everyone else keeps the real one.
    """
    sink: ProgressSink = progress if progress is not None else NullProgress()
    if options.max_workers < 1:
        raise CollectError("max_workers must be at least 1")
    session = _session(options, session)

    errors: list[CollectionError] = []
    lock = threading.Lock()

    def on_error(err: CollectionError) -> None:
        with lock:
            errors.append(err)
        sink.error(err)

    def on_call(model: Any = None, **_: Any) -> None:
        if model is not None:
            sink.call_made(model.service_model.service_name, model.name)

    session.events.register("before-parameter-build", on_call, unique_id=_HOOK_ID)
    try:
        aws = _aws(session, options, on_error, clock)
        settings = ScanSettings(
            regions=tuple(dict.fromkeys(options.regions)) if options.regions else None,
            organization=options.organization,
            accounts=tuple(dict.fromkeys(options.accounts)),
            role_name=options.role_name,
            external_id=options.external_id,
            trusted_accounts=options.trusted_accounts,
            max_workers=options.max_workers,
        )
        scan = Scan(session, aws, settings, sink, errors)
        snapshot = scan.run(now_iso())
    finally:
        session.events.unregister("before-parameter-build", unique_id=_HOOK_ID)
        sink.finish()
    ordered = tuple(
        sorted(
            errors,
            key=lambda e: (e.account_id, e.region, e.service, e.operation, e.resource),
        )
    )
    return attach_organization_trails(replace(snapshot, errors=ordered)), scan.account_sessions()


def open_account_sessions(
    options: CollectOptions,
    *,
    caller_account_id: str,
    partition: str = "aws",
    session: boto3.Session | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> AccountSessions:
    """Account sessions without a collection run (for a snapshot collected elsewhere).

    Each account's role (``options.role_name``) is assumed on first use, once,
    and renewed before it expires (judged by ``clock``, as in :func:`collect_with_sessions`).
    """
    session = _session(options, session)
    region = session.region_name or PARTITION_DEFAULT_REGION.get(partition, "us-east-1")

    def ignore(_: CollectionError) -> None:
        """AccountSessions only makes unrecorded calls; its callers record what fails."""

    aws = _aws(session, options, ignore, clock)
    return AccountSessions(
        aws,
        caller_account_id=caller_account_id,
        partition=partition,
        home_region=region,
        role_name=options.role_name,
        external_id=options.external_id,
    )

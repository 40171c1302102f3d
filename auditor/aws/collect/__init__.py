"""Collection: the only layer that talks to AWS (and the only one importing boto3).

:func:`collect` reads the configuration of every account and region in scope
into a :class:`~auditor.model.snapshot.Snapshot`. It is read-only, runs its calls on
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

from auditor.aws.collect._aws import (
    PARTITION_DEFAULT_REGION,
    USER_AGENT_EXTRA,
    Aws,
    make_config,
    utc_now,
)
from auditor.aws.collect._orgtrails import attach_organization_trails
from auditor.aws.collect._parse import now_iso
from auditor.aws.collect._scan import CollectError, Scan, ScanSettings
from auditor.aws.collect._sessions import AccountAccessError, AccountSessions
from auditor.model.arn import partition_of
from auditor.model.progress import NullProgress, ProgressSink
from auditor.model.snapshot import CollectionError, Snapshot

if TYPE_CHECKING:
    import boto3

__all__ = [
    "USER_AGENT_EXTRA",
    "AccountAccessError",
    "AccountSessions",
    "CollectError",
    "CollectOptions",
    "check_access",
    "collect",
    "collect_with_sessions",
    "make_config",
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
    #: Seconds to wait for a TCP/TLS connection, and for an answer on an open one.
    connect_timeout: float = 10
    read_timeout: float = 30
    #: Attempts per call, retries included (adaptive mode also absorbs throttling).
    max_attempts: int = 10


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
    """The caller's session, else one for ``options.profile``; error pages cut (:mod:`auditor.aws.error_pages`)."""
    from auditor.aws.error_pages import install

    if session is not None:
        return install(session)
    import boto3

    return install(boto3.Session(profile_name=options.profile))


def _aws(
    session: boto3.Session,
    options: CollectOptions,
    on_error: Callable[[CollectionError], None],
    clock: Callable[[], datetime],
) -> Aws:
    """The run's AWS access as the options configure it (workers, endpoint)."""
    return Aws(
        session,
        config=make_config(
            options.max_workers,
            connect_timeout=options.connect_timeout,
            read_timeout=options.read_timeout,
            max_attempts=options.max_attempts,
        ),
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

    def on_request(request: Any = None, operation_name: str = "", event_name: str = "", **_: Any) -> None:
        # botocore makes a new request for every attempt and counts the attempts in its context
        attempt = (getattr(request, "context", None) or {}).get("retries", {}).get("attempt", 1)
        if attempt > 1:
            sink.retried(event_name.split(".")[1] if event_name.count(".") >= 2 else "", operation_name)

    session.events.register("before-parameter-build", on_call, unique_id=_HOOK_ID)
    session.events.register("request-created", on_request, unique_id=_HOOK_ID + "-retries")
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
        session.events.unregister("request-created", unique_id=_HOOK_ID + "-retries")
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


# --------------------------------------------------------------------------- before collecting

#: Attempts of each pre-flight call: one retry for a flaky network, no more (the user is waiting).
_PREFLIGHT_ATTEMPTS = 2


def _known_regions(session: boto3.Session) -> set[str]:
    """Every region botocore knows, in every partition (no AWS call)."""
    return {
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("ec2", partition_name=partition)
    }


def _check_region_names(session: boto3.Session, regions: tuple[str, ...]) -> None:
    """Refuse a region name botocore does not know, suggesting the nearest ones."""
    import difflib

    known = _known_regions(session)
    unknown = [r for r in regions if r not in known]
    if not unknown:
        return
    hints = []
    for name in unknown:
        near = difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.6)
        hints.append(f"{name!r}" + (f" (did you mean {', '.join(near)}?)" if near else ""))
    raise CollectError(
        f"--regions: unknown region {'; '.join(hints)}; give comma-separated names such as us-east-1"
        " (a region newer than this botocore needs a newer botocore)"
    )


def _partition_of(session: boto3.Session, region: str) -> str | None:
    """The partition botocore puts ``region`` in (None if it cannot say)."""
    try:
        return str(session.get_partition_for_region(region))
    except Exception:  # botocore raises a bare error for a name it cannot place
        return None


def _session_for(options: CollectOptions, session: boto3.Session | None) -> boto3.Session:
    """:func:`_session`, with a missing profile as a one-line error."""
    from botocore.exceptions import ProfileNotFound

    try:
        return _session(options, session)
    except ProfileNotFound as exc:
        import boto3

        profiles = ", ".join(sorted(boto3.Session().available_profiles)) or "none configured"
        raise CollectError(f"--profile {options.profile}: no such AWS profile (profiles: {profiles})") from exc


def check_access(options: CollectOptions, session: boto3.Session | None = None) -> None:
    """Before a long collection: the profile, credentials, endpoint and scope are usable.

    Raises :class:`CollectError` (one line, exit 2) when the profile does not
    exist, no credentials are found, the endpoint refuses or does not answer
    within the timeouts (the message names it), the credentials are refused,
    a requested region is unknown or not enabled, or ``--organization`` is
    asked of an account outside an organisation. Each call is tried at most
    twice. A call that is merely denied passes: the collection records it as
    an ERROR, as always.
    """
    from botocore.config import Config
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        ReadTimeoutError,
    )

    session = _session_for(options, session)
    if options.regions:
        _check_region_names(session, options.regions)
    if session.get_credentials() is None:
        raise CollectError(
            "no AWS credentials found: give --profile, set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or run where a role is available"
        )
    config = Config(
        connect_timeout=options.connect_timeout,
        read_timeout=options.read_timeout,
        retries={"mode": "standard", "max_attempts": _PREFLIGHT_ATTEMPTS},
        user_agent_extra=USER_AGENT_EXTRA,
    )
    region = session.region_name or "us-east-1"

    def client(service: str) -> Any:
        try:
            return session.client(service, region_name=region, endpoint_url=options.endpoint_url, config=config)
        except ValueError as exc:  # botocore: "Invalid endpoint: ..."
            raise CollectError(f"--endpoint-url {options.endpoint_url}: {exc}") from exc

    def call(service: str, operation: str, **params: Any) -> dict[str, Any]:
        made = client(service)
        where = made.meta.endpoint_url
        try:
            return dict(getattr(made, operation)(**params))
        except (EndpointConnectionError, ConnectTimeoutError) as exc:
            raise CollectError(
                f"could not reach the AWS endpoint {where} (no connection within "
                f"{options.connect_timeout:g}s, {_PREFLIGHT_ATTEMPTS} attempts): check --endpoint-url, "
                f"AWS_ENDPOINT_URL, the network or proxy; --connect-timeout sets the wait"
            ) from exc
        except ReadTimeoutError as exc:
            raise CollectError(
                f"the AWS endpoint {where} accepted the connection but did not answer within "
                f"{options.read_timeout:g}s ({_PREFLIGHT_ATTEMPTS} attempts); --read-timeout sets the wait"
            ) from exc
        except NoCredentialsError as exc:
            raise CollectError("no AWS credentials found: give --profile or set AWS credentials") from exc

    from botocore.parsers import ResponseParserError

    from auditor.aws.collect._aws import scrub
    from auditor.model.excerpt import error_excerpt

    try:
        ident = call("sts", "get_caller_identity")
    except ClientError as exc:
        err = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "")
        if isinstance(status, int) and status >= 500:
            raise CollectError(
                f"the AWS endpoint answered sts:GetCallerIdentity with HTTP {status}: "
                f"{error_excerpt(scrub(str(err.get('Message', exc))))}"
            ) from exc
        raise CollectError(
            f"the AWS credentials were refused by sts:GetCallerIdentity: "
            f"{err.get('Code', 'ClientError')}: {error_excerpt(scrub(str(err.get('Message', exc))))}"
        ) from exc
    except (BotoCoreError, ResponseParserError) as exc:  # e.g. an HTML error page where AWS answers XML
        raise CollectError(
            f"cannot start the scan: the endpoint {options.endpoint_url or 'of AWS'} "
            f"answered sts:GetCallerIdentity with: {error_excerpt(scrub(str(exc)))}"
        ) from exc
    account = str(ident.get("Account", ""))
    if options.regions:
        partition = partition_of(str(ident.get("Arn", "")))
        foreign = [r for r in options.regions if _partition_of(session, r) not in (partition, None)]
        if foreign:
            raise CollectError(
                f"--regions: {', '.join(foreign)} not enabled in account {account}: not in its partition {partition}"
            )
        try:
            listed = call("ec2", "describe_regions", AllRegions=True)
        except (ClientError, BotoCoreError, ResponseParserError):
            listed = None  # denied or failing: the collection records it and scans what was asked
        if listed is not None:
            status = {str(r.get("RegionName")): str(r.get("OptInStatus", "")) for r in listed.get("Regions") or ()}
            off = [r for r in options.regions if status.get(r, "not-opted-in") == "not-opted-in"]
            if off:
                raise CollectError(
                    f"--regions: {', '.join(off)} not enabled in account {account} "
                    "(opt in to the region, or leave it out)"
                )
    if options.organization:
        try:
            call("organizations", "describe_organization")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "AWSOrganizationsNotInUseException":
                raise CollectError(
                    f"--organization: account {account} is not in an AWS organisation; "
                    "scan it without --organization, or name accounts with --accounts"
                ) from exc
        except (BotoCoreError, ResponseParserError):
            pass  # the collection records an unreadable organisation as an ERROR

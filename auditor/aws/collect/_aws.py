"""Clients and calls: the one place that turns botocore exceptions into values.

Every AWS call of the collector goes through :meth:`Aws.call`, which returns
either the parsed response, :data:`NOT_CONFIGURED` (AWS answered with an error
code that means "this is not configured", a fact) or a ``CollectionError``
(we could not see it). Nothing a single call does can raise out of it, so one
failing API never hides the rest of the scan.
"""

from __future__ import annotations

import ipaddress
import os
import re
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, TypeVar
from urllib.parse import urlsplit, urlunsplit
from xml.etree.ElementTree import ParseError

from botocore import xform_name
from botocore.config import Config
from botocore.credentials import Credentials as BotocoreCredentials
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from botocore.parsers import ResponseParserError

from auditor import __version__
from auditor.model.excerpt import error_excerpt, is_markup
from auditor.model.redact import register_secret
from auditor.model.snapshot import CollectionError

USER_AGENT_EXTRA: Final = f"trail-auditor/{__version__}"

#: Region for account-level APIs (STS, Organizations, EC2 DescribeRegions,
#: S3 ListBuckets, S3 Control) when the session names none.
PARTITION_DEFAULT_REGION: Final = {
    "aws": "us-east-1",
    "aws-cn": "cn-north-1",
    "aws-us-gov": "us-gov-west-1",
    "aws-iso": "us-iso-east-1",
    "aws-iso-b": "us-isob-east-1",
}


class _NotConfigured:
    """Sentinel type: AWS said the thing does not exist / is not configured."""

    def __repr__(self) -> str:
        return "NOT_CONFIGURED"


NOT_CONFIGURED: Final = _NotConfigured()

Response = dict[str, Any]
CallResult = Response | _NotConfigured | CollectionError
T = TypeVar("T")
V = TypeVar("V")


class _Empty:
    """Sentinel type: :meth:`Aws.read` was given no ``absent`` value."""


EMPTY: Final = _Empty()

_ACCESS_KEY_RE = re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}\b")


@dataclass(frozen=True)
class Credentials:
    """Temporary credentials of an assumed role; never printed (repr hides them)."""

    access_key_id: str = field(repr=False)
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)


@dataclass(frozen=True)
class RoleSpec:
    """One AssumeRole request, kept so that the same session can be asked for again."""

    role_arn: str
    session_name: str = "trail-auditor"
    external_id: str | None = field(default=None, repr=False)

    @classmethod
    def for_account(cls, partition: str, account_id: str, role_name: str, external_id: str | None) -> RoleSpec:
        """The role ``role_name`` in ``account_id``: the one request every part of a run uses."""
        return cls(
            role_arn=f"arn:{partition}:iam::{account_id}:role/{role_name}",
            session_name="trail-auditor",
            external_id=external_id,
        )

    def params(self) -> dict[str, Any]:
        """The AssumeRole parameters."""
        out: dict[str, Any] = {"RoleArn": self.role_arn, "RoleSessionName": self.session_name}
        if self.external_id:
            out["ExternalId"] = self.external_id
        return out


class AssumedRole:
    """An assumed role's credentials, which renew themselves before they expire.

    A role session lasts an hour by default, and an organisation scan or a
    long log read can outlast it: static credentials would then make every
    later call fail with ExpiredToken. This wraps botocore's
    ``RefreshableCredentials``, whose refresh function calls AssumeRole again
    with the same role, session name and external id (see
    :meth:`Aws.assume`); the signer asks it for current credentials on every
    request. Nothing secret is shown by ``repr``.
    """

    def __init__(self, spec: RoleSpec, botocore_credentials: RefreshableCredentials) -> None:
        self.spec = spec
        self.botocore_credentials = botocore_credentials

    def __repr__(self) -> str:
        return f"AssumedRole({self.spec.role_arn!r})"


class CredentialRefreshError(BotoCoreError):  # type: ignore[misc]  # botocore is untyped
    """AssumeRole failed while renewing a role's credentials close to their expiry.

    A ``BotoCoreError``, so :meth:`Aws.call` records it as the failure of the
    call that needed the fresh credentials (and log readers as an unreadable
    file), never as an answer.
    """

    fmt = "trail-auditor: could not renew the credentials of {role_arn}: {reason}"


@dataclass(frozen=True)
class AccountAccess:
    """How to call one account: the base session's credentials or an assumed role's.

    ``credentials`` is ``None`` for the caller (the base session's own
    credentials), an :class:`AssumedRole` for a role the scan assumed (renewed
    before expiry) or a static :class:`Credentials` set.
    """

    account_id: str
    credentials: Credentials | AssumedRole | None = None


def utc_now() -> datetime:
    """The real clock: what assumed roles' credentials are judged by unless a test moves time."""
    return datetime.now(UTC)


def make_config(
    max_workers: int, *, connect_timeout: float = 10, read_timeout: float = 30, max_attempts: int = 10
) -> Config:
    """Adaptive retries absorb throttling; the pool is sized for the worker threads.

    The timeouts and attempts bound how long an endpoint that refuses or never
    answers can hold a call (``scan --connect-timeout/--read-timeout/--max-attempts``).
    """
    return Config(
        # total_max_attempts counts the first attempt too (botocore's max_attempts would not): the
        # documented meaning of --max-attempts, "attempts per AWS call, retries included"
        retries={"mode": "adaptive", "total_max_attempts": max_attempts},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        user_agent_extra=USER_AGENT_EXTRA,
        max_pool_connections=max(10, max_workers),
    )


def scrub(message: str, secrets: Collection[str] = ()) -> str:
    """Remove anything that looks like a credential from an error message."""
    out = _ACCESS_KEY_RE.sub("<redacted>", message)
    for secret in secrets:
        if secret:
            out = out.replace(secret, "<redacted>")
    return out


def _is_local_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _keep_local_endpoint_host(client: Any, endpoint_url: str | None) -> None:
    """Undo S3 Control's "{AccountId}." host prefix on a local endpoint (moto, LocalStack).

    The endpoint rules put the account id in front of any custom endpoint's
    host, which cannot resolve for 127.0.0.1 or localhost. Real AWS endpoints
    (and custom DNS names) are left alone.
    """
    override = endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3_CONTROL") or os.environ.get("AWS_ENDPOINT_URL")
    if not override:
        return
    local = urlsplit(override).hostname or ""
    if not _is_local_host(local):
        return

    def strip_prefix(request: Any, **_: Any) -> None:
        parts = urlsplit(request.url)
        host = parts.hostname or ""
        prefix, _dot, rest = host.partition(".")
        if rest == local and prefix.isdigit():
            netloc = parts.netloc.replace(host, rest, 1)
            request.url = urlunsplit(parts._replace(netloc=netloc))

    client.meta.events.register("before-sign.s3-control", strip_prefix)


class UnboundCallError(BotoCoreError):  # type: ignore[misc]  # botocore is untyped
    """A shared client was called without an account bound to the calling context.

    Raised by the signing hook instead of letting the request go out with any
    default identity: a call made as the wrong account would read the wrong
    account's configuration and report it as this one's.
    """

    fmt = "trail-auditor: no account credentials bound to this call (use Aws.call or Aws.acting_as)"


#: Placeholder credentials of the shared clients. Every request is signed with the
#: credentials bound to its call instead; if that ever stopped working, AWS would
#: refuse these rather than answer as some default identity.
_PLACEHOLDER_KEY: Final = "trail-auditor-unbound"


class Aws:
    """Creates one client per (region, service) and runs calls safely as any account.

    Creating a botocore client costs about 5 ms of CPU (event emitter copy,
    client class, endpoint resolver), which made a client per (account,
    region, service) the largest cost of an organisation scan: about 1,200
    clients for 20 accounts x 17 regions. The credentials are the only part
    of a client that differs between accounts, and botocore signs each
    request with ``request.context["signing"]["request_credentials"]`` when a
    request carries them. So the clients are shared by every account, and a
    ``before-sign`` hook puts the credentials of the account bound to the
    calling context (a ``ContextVar`` set by :meth:`call`, one per thread)
    into the request; a request with no account bound fails
    (:class:`UnboundCallError`) rather than being signed as anybody.

    Clients are created from the one base session, so event hooks registered on
    that session (progress counting, tests' fault injection) see every call of
    every account. Client creation is serialised because boto3 sessions are not
    thread-safe; the clients themselves are, and are shared between threads.
    One consequence: adaptive retry's client-side rate limiter is shared by the
    accounts in a region, so throttling of one account slows that region's
    calls for all (conservative, never wrong).
    """

    def __init__(
        self,
        session: Any,
        *,
        config: Config,
        endpoint_url: str | None,
        on_error: Callable[[CollectionError], None],
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """``clock`` tells assumed roles' credentials the time (tests move it forward)."""
        self._session = session
        self._clock = clock
        self._config = config
        self._endpoint_url = endpoint_url
        self._on_error = on_error
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}
        self._secrets: set[str] = set()
        self._signing: dict[str, Any] = {}
        self._bound_clients: dict[tuple[int, str, str], Any] = {}
        self._acting: ContextVar[Any] = ContextVar("trail_auditor_acting_as", default=None)

    def remember_secret(self, creds: Credentials) -> None:
        """Register credentials so that they are scrubbed from any error message."""
        with self._lock:
            self._secrets.update((creds.access_key_id, creds.secret_access_key, creds.session_token))
        register_secret(creds.access_key_id, creds.secret_access_key, creds.session_token)  # and from logs

    def assume(
        self, account_id: str, spec: RoleSpec, *, via: AccountAccess, region: str
    ) -> AccountAccess | CollectionError:
        """Assume ``spec`` as ``via``; the access renews its credentials before they expire.

        The first AssumeRole happens now and its failure is returned (not
        recorded: the caller decides what it means). Later renewals are made
        by botocore's signer when a request finds the credentials within its
        refresh window (15 min before expiry; from 10 min before, every request
        waits for it), with the same parameters; every set of credentials is
        registered with :meth:`remember_secret`. A renewal that fails inside the
        mandatory window raises :class:`CredentialRefreshError` out of that
        request, which :meth:`call` turns into a ``CollectionError``.
        """
        first = self._assume_once(spec, via, region)
        if isinstance(first, CollectionError):
            return first

        def refresh() -> dict[str, str]:
            again = self._assume_once(spec, via, region)
            if isinstance(again, CollectionError):
                raise CredentialRefreshError(role_arn=spec.role_arn, reason=again.reason())
            return again

        creds = RefreshableCredentials(
            access_key=first["access_key"],
            secret_key=first["secret_key"],
            token=first["token"],
            expiry_time=datetime.fromisoformat(first["expiry_time"]),
            refresh_using=refresh,
            method="trail-auditor-assume-role",
            time_fetcher=self._clock,
        )
        return AccountAccess(account_id=account_id, credentials=AssumedRole(spec, creds))

    def _assume_once(self, spec: RoleSpec, via: AccountAccess, region: str) -> dict[str, str] | CollectionError:
        """One AssumeRole call, as botocore refresh metadata; the secrets are remembered first."""
        res = self.call(via, "sts", region, "AssumeRole", resource=spec.role_arn, record=False, **spec.params())
        if isinstance(res, CollectionError):
            return res
        raw = as_dict(res).get("Credentials") or {}
        expiry = raw.get("Expiration")
        if not isinstance(expiry, datetime) or not all(
            raw.get(k) for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")
        ):
            return CollectionError(
                account_id=via.account_id,
                region=region,
                service="sts",
                operation="AssumeRole",
                error_code="MalformedResponse",
                message="AssumeRole answered without complete credentials",
                resource=spec.role_arn,
            )
        self.remember_secret(Credentials(raw["AccessKeyId"], raw["SecretAccessKey"], raw["SessionToken"]))
        if expiry.tzinfo is None:
            expiry = expiry.replace(tzinfo=UTC)
        return {
            "access_key": str(raw["AccessKeyId"]),
            "secret_key": str(raw["SecretAccessKey"]),
            "token": str(raw["SessionToken"]),
            "expiry_time": expiry.isoformat(),
        }

    def _signing_credentials(self, access: AccountAccess) -> Any:
        """The botocore credentials requests for ``access`` are signed with.

        The base session's own credential object (refreshable if the profile's
        are) for the caller; an assumed role's refreshable credentials; or a
        static set.
        """
        if isinstance(access.credentials, AssumedRole):
            return access.credentials.botocore_credentials
        creds = access.credentials
        if creds is None:
            return self._once(self._signing, "", self._session_credentials)
        return self._once(
            self._signing,
            creds.access_key_id,
            lambda: BotocoreCredentials(creds.access_key_id, creds.secret_access_key, creds.session_token),
        )

    def _session_credentials(self) -> Any:
        found = self._session.get_credentials()
        if found is None:
            raise NoCredentialsError()
        return found

    def _once(self, cache: dict[Any, V], key: Any, make: Callable[[], V]) -> V:
        """``cache[key]``, made under the lock the first time; a dict read is atomic, so no lock on the hot path."""
        found = cache.get(key)
        if found is not None:
            return found
        with self._lock:
            found = cache.get(key)
            if found is None:
                found = make()
                cache[key] = found
            return found

    @contextmanager
    def acting_as(self, access: AccountAccess) -> Iterator[None]:
        """Sign the shared clients' requests in this context with ``access``'s credentials."""
        token = self._acting.set(self._signing_credentials(access))
        try:
            yield
        finally:
            self._acting.reset(token)

    def _sign_as_bound_account(self, request: Any, **_: Any) -> None:
        creds = self._acting.get()
        if creds is None:
            raise UnboundCallError()
        request.context.setdefault("signing", {})["request_credentials"] = creds

    def client(self, access: AccountAccess, service: str, region: str) -> Any:
        """The shared client for this service and region.

        ``access`` is not bound by this: call it through :meth:`call`, or
        inside :meth:`acting_as`.
        """
        del access  # every account shares the client; see the class docstring
        return self._once(
            self._clients, (region, service), lambda: self._new_client(service, region, self._sign_as_bound_account)
        )

    def bound_client(self, access: AccountAccess, service: str, region: str) -> Any:
        """A client of its own that always signs as ``access`` (renewing an assumed role's credentials).

        For code that calls boto3 clients directly from threads of its own (the
        log reader and digest validator), where the context binding of
        :meth:`acting_as` does not follow. Its requests are still signed per
        request by the same hook design, with ``access``'s credentials fixed.
        """
        signing = self._signing_credentials(access)

        def sign_as_access(request: Any, **_: Any) -> None:
            request.context.setdefault("signing", {})["request_credentials"] = signing

        # the credentials object is kept with its client so that its id() stays unique
        key = (id(signing), region, service)
        return self._once(
            self._bound_clients, key, lambda: (signing, self._new_client(service, region, sign_as_access))
        )[1]

    def _new_client(self, service: str, region: str, signing_hook: Callable[..., None]) -> Any:
        """A client with placeholder credentials whose requests ``signing_hook`` signs (lock held)."""
        kwargs: dict[str, Any] = {
            "aws_access_key_id": _PLACEHOLDER_KEY,
            "aws_secret_access_key": _PLACEHOLDER_KEY,
        }
        if self._endpoint_url:
            kwargs["endpoint_url"] = self._endpoint_url
        created = self._session.client(service, region_name=region, config=self._config, **kwargs)
        created.meta.events.register("before-sign", signing_hook)
        if service == "s3control":
            _keep_local_endpoint_host(created, self._endpoint_url)
        return created

    def call(
        self,
        access: AccountAccess,
        service: str,
        region: str,
        operation: str,
        *,
        resource: str = "",
        not_configured: Collection[str] = (),
        paginate: bool = False,
        record: bool = True,
        **params: Any,
    ) -> CallResult:
        """Run one API call (or a whole pagination) and never raise for AWS failures.

        ``not_configured`` lists error codes that mean "not configured"; they
        return :data:`NOT_CONFIGURED`. Any other failure becomes a
        ``CollectionError`` that is reported (unless ``record`` is False, for
        callers that decide themselves whether the failure is a fact).
        """
        try:
            client = self.client(access, service, region)
            with self.acting_as(access):
                if paginate:
                    paginator = client.get_paginator(xform_name(operation))
                    result: Response = paginator.paginate(**params).build_full_result()
                else:
                    result = getattr(client, xform_name(operation))(**params)
            return result
        except ClientError as exc:
            err = exc.response.get("Error", {})
            code = str(err.get("Code") or "ClientError")
            if code in not_configured:
                return NOT_CONFIGURED
            message = _answer(exc, str(err.get("Message") or exc), self._secrets)
        except (BotoCoreError, ResponseParserError, ParseError) as exc:
            # ResponseParserError / ParseError: a body that is not AWS's (botocore's GetBucketLocation
            # handler parses even an error page as XML)
            code = type(exc).__name__
            message = scrub(str(exc), self._secrets)
            message = error_excerpt(message) if is_markup(message) else message
        failure = CollectionError(
            account_id=access.account_id,
            region=region,
            service=service,
            operation=operation,
            error_code=code,
            message=message,
            resource=resource,
        )
        if record:
            self._on_error(failure)
        return failure

    def read(
        self,
        access: AccountAccess,
        service: str,
        region: str,
        operation: str,
        parser: Callable[[Response], T],
        *,
        resource: str = "",
        not_configured: Collection[str] = (),
        absent: T | _Empty = EMPTY,
        paginate: bool = False,
        **params: Any,
    ) -> T | CollectionError:
        """:meth:`call` with its response put through ``parser``: the value, or why it could not be had.

        A "not configured" answer (an error code in ``not_configured``) is ``absent``
        when given, else reads as an empty response (``parser({})``). A response the
        parser rejects with ValueError (say, a policy document that is not a JSON
        object) becomes a reported ``MalformedResponse`` error: never a crash, never
        a value.
        """
        res = self.call(
            access,
            service,
            region,
            operation,
            resource=resource,
            not_configured=not_configured,
            paginate=paginate,
            **params,
        )
        if isinstance(res, CollectionError):
            return res
        if res is NOT_CONFIGURED and not isinstance(absent, _Empty):
            return absent
        try:
            return parser(as_dict(res))
        except ValueError as exc:
            failure = CollectionError(
                account_id=access.account_id,
                region=region,
                service=service,
                operation=operation,
                error_code="MalformedResponse",
                message=str(exc),
                resource=resource,
            )
            self._on_error(failure)
            return failure

    def report(self, failure: CollectionError) -> None:
        """Record a failure that a caller created or decided to keep."""
        self._on_error(failure)


def _answer(exc: ClientError, message: str, secrets: Any) -> str:
    """The error's message as evidence, secrets scrubbed first; a web page cut to its status and an excerpt.

    Only markup is cut: an AWS message is kept whole (results.json keeps it), and the
    scrubbing comes before any cut, so a secret is never split past recognition.
    """
    message = scrub(message, secrets)
    if not is_markup(message):
        return message
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return f"HTTP {status}: {error_excerpt(message)}" if status else error_excerpt(message)


def not_collected(account: str, region: str, service: str, operation: str) -> CollectionError:
    """The placeholder a field holds until its call succeeds: never mistaken for an answer."""
    return CollectionError(
        account_id=account,
        region=region,
        service=service,
        operation=operation,
        error_code="NotCollected",
        message="the collector did not complete this call (see the InternalError entry)",
    )


def as_dict(value: object) -> dict[str, Any]:
    """A successful call's response (anything else reads as empty)."""
    return value if isinstance(value, dict) else {}

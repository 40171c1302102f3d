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
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from auditor import __version__
from auditor.snapshot import CollectionError

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

_ACCESS_KEY_RE = re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}\b")


@dataclass(frozen=True)
class Credentials:
    """Temporary credentials of an assumed role; never printed (repr hides them)."""

    access_key_id: str = field(repr=False)
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)


@dataclass(frozen=True)
class AccountAccess:
    """How to call one account: the base session's credentials or an assumed role's."""

    account_id: str
    credentials: Credentials | None = None


def make_config(max_workers: int) -> Config:
    """Adaptive retries absorb throttling; the pool is sized for the worker threads."""
    return Config(
        retries={"mode": "adaptive", "max_attempts": 10},
        connect_timeout=10,
        read_timeout=30,
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


class Aws:
    """Creates clients once per (account, region, service) and runs calls safely.

    Clients are created from the one base session, so event hooks registered on
    that session (progress counting, tests' fault injection) see every call of
    every account. Client creation is serialised because boto3 sessions are not
    thread-safe; the clients themselves are, and are shared between threads.
    """

    def __init__(
        self,
        session: Any,
        *,
        config: Config,
        endpoint_url: str | None,
        on_error: Callable[[CollectionError], None],
    ) -> None:
        self._session = session
        self._config = config
        self._endpoint_url = endpoint_url
        self._on_error = on_error
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._secrets: set[str] = set()

    def remember_secret(self, creds: Credentials) -> None:
        """Register credentials so that they are scrubbed from any error message."""
        with self._lock:
            self._secrets.update((creds.access_key_id, creds.secret_access_key, creds.session_token))

    def client(self, access: AccountAccess, service: str, region: str) -> Any:
        """The shared client for this account, service and region."""
        key = (access.account_id, region, service)
        with self._lock:
            cached = self._clients.get(key)
            if cached is not None:
                return cached
            kwargs: dict[str, Any] = {}
            if access.credentials is not None:
                kwargs = {
                    "aws_access_key_id": access.credentials.access_key_id,
                    "aws_secret_access_key": access.credentials.secret_access_key,
                    "aws_session_token": access.credentials.session_token,
                }
            if self._endpoint_url:
                kwargs["endpoint_url"] = self._endpoint_url
            created = self._session.client(service, region_name=region, config=self._config, **kwargs)
            if service == "s3control":
                _keep_local_endpoint_host(created, self._endpoint_url)
            self._clients[key] = created
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
            message = str(err.get("Message") or exc)
        except BotoCoreError as exc:
            code = type(exc).__name__
            message = str(exc)
        failure = CollectionError(
            account_id=access.account_id,
            region=region,
            service=service,
            operation=operation,
            error_code=code,
            message=scrub(message, self._secrets),
            resource=resource,
        )
        if record:
            self._on_error(failure)
        return failure

    def report(self, failure: CollectionError) -> None:
        """Record a failure that a caller created or decided to keep."""
        self._on_error(failure)


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

"""AWS faults injected on the wire: the error responses AWS itself sends, for botocore to parse.

A ``before-send`` hook on the session answers chosen operations with an HTTP
response carrying the real error body and status of the service's protocol
(JSON, query, EC2, REST-XML). botocore then does everything it does with a real
refusal: parses it, applies the collector's retry policy (a throttling answer is
retried up to the configured attempts, each attempt reaching this hook again),
and raises ``ClientError`` to our code. Nothing of trail-auditor is replaced.

Other operations reach moto. moto still sees a refused request too (botocore
emits ``before-send`` to every handler), which is harmless for its read-only
calls; CloudTrail ListPublicKeys, which moto lacks, is taught to moto by
:func:`moto_serves_public_keys` so that digest validation can run at all.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final
from xml.sax.saxutils import escape

import boto3
import botocore.endpoint
import botocore.retries.bucket
import pytest
from botocore.awsrequest import AWSResponse

#: botocore service name -> IAM service prefix (where they differ).
IAM_PREFIX: Final = {"s3control": "s3"}

#: API operations whose IAM action is named differently (AWS Service Authorization Reference).
IAM_ACTION: Final = {
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "ListObjects"): "s3:ListBucket",
    ("s3", "HeadObject"): "s3:GetObject",
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3", "GetObjectLockConfiguration"): "s3:GetBucketObjectLockConfiguration",
    ("s3", "GetBucketLifecycleConfiguration"): "s3:GetLifecycleConfiguration",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3control", "GetPublicAccessBlock"): "s3:GetAccountPublicAccessBlock",
}


_KEY_IN_AUTH: Final = re.compile(r"Credential=([^/]+)/")


def signing_key_id(request: Any) -> str:
    """The access key id that signed a botocore request ('' for an unsigned one)."""
    auth = request.headers.get("Authorization", b"")
    auth = auth.decode() if isinstance(auth, bytes) else str(auth)
    match = _KEY_IN_AUTH.search(auth)
    return match.group(1) if match else ""


def iam_action(service: str, operation: str) -> str:
    """The IAM action that allows one API call (botocore service name, operation name)."""
    return IAM_ACTION.get((service, operation), f"{IAM_PREFIX.get(service, service)}:{operation}")


@dataclass(frozen=True)
class Fault:
    """One kind of refusal: its error code and HTTP status per protocol family."""

    name: str
    #: protocol family -> (error code, HTTP status)
    codes: dict[str, tuple[str, int]]

    def for_service(self, service: str, protocol: str) -> tuple[str, int]:
        """The code and status ``service`` answers with (some services use their own names)."""
        special = _SERVICE_CODES.get((self.name, service))
        return special if special is not None else self.codes[protocol]


DENIED: Final = Fault(
    "AccessDenied",
    {
        "json": ("AccessDeniedException", 400),
        "query": ("AccessDenied", 403),
        "ec2": ("UnauthorizedOperation", 403),
        "rest-xml": ("AccessDenied", 403),
    },
)

THROTTLED: Final = Fault(
    "Throttling",
    {
        "json": ("ThrottlingException", 400),
        "query": ("Throttling", 400),
        "ec2": ("RequestLimitExceeded", 503),
        "rest-xml": ("SlowDown", 503),
    },
)

#: A proxy or a broken endpoint in front of AWS: every attempt gets a long HTML 500 page.
ERROR_PAGE: Final = Fault("ErrorPage", {p: ("500", 500) for p in ("json", "query", "ec2", "rest-xml")})

#: The page ERROR_PAGE answers with: markup, a script, and over 4 KB of text.
ERROR_PAGE_BODY: Final = (
    b"<!doctype html><html><head><title>500 Internal Server Error</title>"
    b"<style>body{font-family:sans-serif}</style><script>var trace='x';</script></head>"
    b"<body><h1>Internal Server Error</h1><p>The proxy could not reach the upstream service.</p>"
    + b"<div>"
    + b"diagnostic padding " * 250
    + b"</div></body></html>"
)

#: Codes some services send instead of their protocol's usual one (as AWS documents them).
_SERVICE_CODES: Final = {
    ("AccessDenied", "sns"): ("AuthorizationError", 403),
    ("Throttling", "organizations"): ("TooManyRequestsException", 400),
}

#: CloudWatch speaks JSON but keeps its query-protocol error codes (awsQueryCompatible).
_QUERY_COMPATIBLE_CODES: Final = {
    "AccessDeniedException": "AccessDenied",
    "ThrottlingException": "Throttling",
}


def _message(service: str, action: str, fault: Fault) -> str:
    """The message AWS sends: S3 names neither the action nor the call, most other services name the action."""
    if service in ("s3", "s3control"):
        return "Access Denied" if fault is DENIED else "Please reduce your request rate."
    if fault is DENIED:
        return (
            f"User: arn:aws:iam::123456789012:user/auditor is not authorized to perform: {action} "
            f"because no identity-based policy allows the {action} action"
        )
    return "Rate exceeded"


class _Body(io.BytesIO):
    """What botocore reads a response body from (urllib3's ``stream``)."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


#: protocol -> (Content-Type, error body) of the XML protocols; the fields are escaped before they go in.
_XML_ERRORS: Final = {
    "query": (
        "text/xml",
        "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
        "<Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
    ),
    "ec2": (
        "text/xml;charset=UTF-8",
        '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>{code}</Code>'
        "<Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>",
    ),
    "rest-xml": (
        "application/xml",
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
        "<Message>{message}</Message><RequestId>{request_id}</RequestId></Error>",
    ),
}


def error_response(
    url: str, service_model: Any, operation: str, code: str, status: int, message: str, *, head: bool
) -> AWSResponse:
    """The HTTP response a service of ``service_model``'s protocol sends for an error."""
    request_id = "f4c1-fault-0001"
    protocol = service_model.resolved_protocol
    headers: dict[str, str] = {"x-amzn-RequestId": request_id}
    if head:  # HEAD answers carry no body: botocore names the error by its status
        body = b""
    elif protocol == "json":
        target_version = service_model.metadata.get("jsonVersion", "1.1")
        headers["Content-Type"] = f"application/x-amz-json-{target_version}"
        if "awsQueryCompatible" in service_model.metadata:
            headers["x-amzn-query-error"] = f"{_QUERY_COMPATIBLE_CODES.get(code, code)};Sender"
        body = json.dumps({"__type": code, "message": message}).encode()
    elif protocol in _XML_ERRORS:
        content_type, template = _XML_ERRORS[protocol]
        headers["Content-Type"] = content_type
        body = template.format(code=escape(code), message=escape(message), request_id=request_id).encode()
    else:  # pragma: no cover - a new protocol needs its error shape written here
        raise AssertionError(f"no error body for protocol {protocol} ({operation})")
    return AWSResponse(url, status, headers, _Body(body))


class Wire:
    """``before-send`` hooks on a session: the chosen operations fail, the rest reach moto.

    It counts every attempt it sees per (service, operation), so a test can
    tell that a throttled call was retried as configured before it gave up.
    """

    def __init__(self, session: boto3.Session) -> None:
        self._session = session
        self._faults: dict[tuple[str, str], Fault] = {}
        self._lock = threading.Lock()
        self.attempts: Counter[tuple[str, str]] = Counter()
        self._models: dict[str, Any] = {}
        session.events.register("before-send", self._count)

    def fail(self, service: str, operation: str, fault: Fault) -> None:
        """Answer every attempt of one operation with ``fault``."""
        self._faults[(service, operation)] = fault
        self._hook(service, operation)

    def _hook(self, service: str, operation: str) -> None:
        # More specific than moto's own ``before-send`` handler, so this answer is the one botocore takes.
        service_id = self._model(service).service_id.hyphenize()
        self._session.events.register(
            f"before-send.{service_id}.{operation}", self._before_send, unique_id=f"wire-{service}-{operation}"
        )

    def _model(self, service: str) -> Any:
        found = self._models.get(service)
        if found is None:
            found = self._models[service] = self._session._session.get_service_model(service)
        return found

    def _count(self, event_name: str, **_: Any) -> None:
        _event, service_id, operation = event_name.split(".", 2)
        with self._lock:
            self.attempts[(_SERVICE_BY_ID.get(service_id, service_id), operation)] += 1

    def _before_send(self, request: Any, event_name: str, **_: Any) -> AWSResponse | None:
        # event_name: before-send.<service id, hyphenated>.<Operation>
        _event, service_id, operation = event_name.split(".", 2)
        service = _SERVICE_BY_ID.get(service_id, service_id)
        key = (service, operation)
        fault = self._faults.get(key)
        if fault is ERROR_PAGE:
            return AWSResponse(request.url, 500, {"Content-Type": "text/html"}, _Body(ERROR_PAGE_BODY))
        if fault is not None:
            model = self._model(service)
            code, status = fault.for_service(service, model.resolved_protocol)
            action = iam_action(service, operation)
            message = _message(service, action, fault)
            return error_response(request.url, model, operation, code, status, message, head=request.method == "HEAD")
        return None


#: botocore's hyphenated service ids that differ from the service names clients are made with.
_SERVICE_BY_ID: Final = {
    "cloudwatch-logs": "logs",
    "config-service": "config",
    "s3-control": "s3control",
}


class _InstantClock(botocore.retries.bucket.Clock):  # type: ignore[misc]  # botocore is untyped
    """The adaptive rate limiter's clock, a minute later at every reading: its token bucket never waits."""

    def __init__(self) -> None:
        self._ticks = itertools.count(0, 60)

    def current_time(self) -> float:
        return float(next(self._ticks))

    def sleep(self, amount: float) -> None:
        """Time is virtual here: nothing to wait for."""


class _NoSleep:
    """Stands in for the ``time`` module in botocore.endpoint: retry back-off is recorded, not slept."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)


@contextmanager
def instant_backoff() -> Iterator[_NoSleep]:
    """botocore retries as configured (same attempts, same decisions) without waiting between them.

    The collector's adaptive retry mode backs off up to 20 s between attempts
    and rate-limits a throttled client; a call throttled past its ten attempts
    would take a minute. Only the waiting is taken out: the retry handler still
    decides, and every attempt still goes out through the ``before-send`` hook.
    """
    no_sleep = _NoSleep()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.endpoint, "time", no_sleep)
        patch.setattr(botocore.retries.bucket, "Clock", _InstantClock)
        yield no_sleep


@contextmanager
def moto_serves_public_keys(keys: list[dict[str, Any]]) -> Iterator[None]:
    """moto's CloudTrail answers ListPublicKeys with ``keys`` (moto 5.2 does not implement it).

    The answer then comes through the same path as every other: the wire,
    botocore's parser, the collector's retry policy, and the faults of a
    :class:`Wire` apply to it as to any other operation.
    """
    from moto.cloudtrail.responses import CloudTrailResponse

    def list_public_keys(self: Any) -> str:
        return json.dumps({"PublicKeyList": keys})

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(CloudTrailResponse, "list_public_keys", list_public_keys, raising=False)
        yield

"""Assumed roles' credentials are renewed before they expire, with the same AssumeRole request.

moto does not enforce expiry, so these tests move time instead: the clock the
collector's credentials read (``Aws(clock=...)``) and the clock moto stamps
new sessions' ``Expiration`` with are moved forward together, as real time
would move during a long scan. What is observed is what goes on the wire: the
access key id in each request's Authorization header, read by a botocore
``before-send`` hook on the client.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import moto.sts.models
import pytest
from botocore.exceptions import ClientError
from moto.sts.models import sts_backends

from auditor.app.pipeline import EvaluationOptions, build_results
from auditor.aws.collect import CollectOptions, collect_with_sessions
from auditor.aws.collect._aws import AccountAccess, AssumedRole, Aws, RoleSpec, make_config
from auditor.aws.trail_logs import read_trail_evidence
from auditor.engine.checkapi import Settings, Status
from auditor.engine.registry import all_checks
from auditor.engine.runner import run_check
from auditor.model.progress import NullProgress
from auditor.model.snapshot import CollectionError
from tests.cli.test_logscan import _put_log_file, seed_accounts_with_a_log_file
from tests.collect.aws_wire import signing_key_id
from tests.collect.conftest import CALLER, REGION, assume, client, seed_configured_account
from tests.collect.test_collect_organization import _organization

MEMBER = "111111111111"
ROLE = RoleSpec(role_arn=f"arn:aws:iam::{MEMBER}:role/Audit", session_name="trail-auditor", external_id="ext-1")


class Clock:
    """Real time plus an offset the test moves forward (for the collector and for moto's STS)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def moto_now(self) -> datetime:
        return datetime.now(UTC).replace(tzinfo=None) + self.offset  # moto keeps naive UTC


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(moto.sts.models, "utcnow", c.moto_now)
    return c


class Wire:
    """Per request sent: (operation, access key id that signed it); and AssumeRole calls with their answers."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        #: The clock's time when each request of ``sent`` was signed (with :meth:`watch_every_client`).
        self.signed_at: list[datetime] = []
        self._clock: Clock | None = None
        self.assume_calls: list[dict[str, Any]] = []
        self.issued: list[dict[str, Any]] = []

    def watch(self, target_client: Any) -> None:
        target_client.meta.events.register("before-send", self._sent)

    def watch_every_client(self, session: boto3.Session, clock: Clock) -> None:
        """Every request of every client made from ``session`` later, with the clock's time when it was signed.

        The time is taken at signing (when the credentials are chosen), not at sending: under
        load another thread may move the clock in between.
        """
        self._clock = clock
        session.events.register("before-sign", self._signing)
        session.events.register("before-send", self._sent)

    def _signing(self, request: Any, **_: Any) -> None:
        assert self._clock is not None
        request.context["wire_signed_at"] = self._clock.now()

    def watch_sts(self, session: boto3.Session) -> None:
        session.events.register("before-parameter-build.sts.AssumeRole", self._assume_params)
        session.events.register("after-call.sts.AssumeRole", self._assume_answer)

    def _sent(self, request: Any, **_: Any) -> None:
        self.sent.append((str(request.context.get("operation_name") or request.url), signing_key_id(request)))
        if self._clock is not None:
            self.signed_at.append(request.context["wire_signed_at"])

    def _assume_params(self, params: Any, **_: Any) -> None:
        self.assume_calls.append(dict(params))

    def _assume_answer(self, parsed: Any, **_: Any) -> None:
        self.issued.append(dict(parsed.get("Credentials") or {}))


def _member_with_bucket(session: boto3.Session) -> str:
    bucket = "member-evidence"
    client(session, "s3", creds=assume(session, MEMBER)).create_bucket(Bucket=bucket)
    return bucket


def _aws(session: boto3.Session, clock: Clock, on_error: Callable[[CollectionError], None] = lambda e: None) -> Aws:
    return Aws(session, config=make_config(1), endpoint_url=None, on_error=on_error, clock=clock.now)


def test_a_request_after_the_role_session_expired_is_signed_with_renewed_credentials(
    session: boto3.Session, clock: Clock
) -> None:
    bucket = _member_with_bucket(session)
    wire = Wire()
    wire.watch_sts(session)
    aws = _aws(session, clock)
    wire.watch(aws.client(AccountAccess(MEMBER), "s3", REGION))

    access = aws.assume(MEMBER, ROLE, via=AccountAccess(CALLER), region=REGION)
    assert isinstance(access, AccountAccess) and isinstance(access.credentials, AssumedRole)
    before = aws.call(access, "s3", REGION, "ListBuckets")
    clock.offset = timedelta(hours=1, minutes=1)  # the first session's hour is over
    after = aws.call(access, "s3", REGION, "ListBuckets")

    assert isinstance(before, dict) and isinstance(after, dict)
    assert [b["Name"] for b in after["Buckets"]] == [bucket]  # still the member account's view
    first, renewed = wire.issued
    assert [key for _, key in wire.sent] == [first["AccessKeyId"], renewed["AccessKeyId"]]
    assert first["AccessKeyId"] != renewed["AccessKeyId"]
    # the renewal asked for the same role, session name and external id
    assert wire.assume_calls == [ROLE.params(), ROLE.params()]
    assert ROLE.params() == {"RoleArn": ROLE.role_arn, "RoleSessionName": "trail-auditor", "ExternalId": "ext-1"}


def test_credentials_are_renewed_before_they_expire_not_after(session: boto3.Session, clock: Clock) -> None:
    _member_with_bucket(session)
    wire = Wire()
    wire.watch_sts(session)
    aws = _aws(session, clock)
    wire.watch(aws.client(AccountAccess(MEMBER), "s3", REGION))
    access = aws.assume(MEMBER, ROLE, via=AccountAccess(CALLER), region=REGION)
    assert isinstance(access, AccountAccess)

    clock.offset = timedelta(minutes=30)  # half the session left: nothing to do
    aws.call(access, "s3", REGION, "ListBuckets")
    assert len(wire.assume_calls) == 1
    clock.offset = timedelta(minutes=55)  # five minutes left: inside the mandatory window
    aws.call(access, "s3", REGION, "ListBuckets")

    first, renewed = wire.issued
    assert [key for _, key in wire.sent] == [first["AccessKeyId"], renewed["AccessKeyId"]]


def test_a_client_bound_to_an_account_also_renews_its_credentials(session: boto3.Session, clock: Clock) -> None:
    bucket = _member_with_bucket(session)
    wire = Wire()
    wire.watch_sts(session)
    aws = _aws(session, clock)
    access = aws.assume(MEMBER, ROLE, via=AccountAccess(CALLER), region=REGION)
    assert isinstance(access, AccountAccess)
    s3 = aws.bound_client(access, "s3", REGION)
    wire.watch(s3)

    s3.head_bucket(Bucket=bucket)
    clock.offset = timedelta(hours=2)
    s3.head_bucket(Bucket=bucket)

    first, renewed = wire.issued
    assert [key for _, key in wire.sent] == [first["AccessKeyId"], renewed["AccessKeyId"]]


def test_a_failed_renewal_is_a_collection_error_of_the_call_that_needed_it(
    session: boto3.Session, clock: Clock
) -> None:
    _member_with_bucket(session)
    recorded: list[CollectionError] = []
    aws = _aws(session, clock, recorded.append)
    access = aws.assume(MEMBER, ROLE, via=AccountAccess(CALLER), region=REGION)
    assert isinstance(access, AccountAccess)

    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "role trust changed"}}, "AssumeRole")

    session.events.register("before-call.sts.AssumeRole", refuse)
    # the shared STS client already exists; new hooks on the session reach clients made later only
    aws.client(AccountAccess(CALLER), "sts", REGION).meta.events.register("before-call.sts.AssumeRole", refuse)
    clock.offset = timedelta(hours=1, minutes=1)
    res = aws.call(access, "s3", REGION, "ListBuckets")

    assert isinstance(res, CollectionError)
    assert res.account_id == MEMBER and res.operation == "ListBuckets"
    assert res.error_code == "CredentialRefreshError"
    assert ROLE.role_arn in res.message and "role trust changed" in res.message
    assert recorded == [res]


def test_renewed_secrets_are_scrubbed_from_error_messages(session: boto3.Session, clock: Clock) -> None:
    _member_with_bucket(session)
    wire = Wire()
    wire.watch_sts(session)
    aws = _aws(session, clock)
    access = aws.assume(MEMBER, ROLE, via=AccountAccess(CALLER), region=REGION)
    assert isinstance(access, AccountAccess)
    clock.offset = timedelta(hours=1, minutes=1)
    assert isinstance(aws.call(access, "s3", REGION, "ListBuckets"), dict)  # renews
    renewed = wire.issued[-1]
    assert len(wire.issued) == 2

    def leak(**_: Any) -> None:
        # an error whose text carries the renewed secret (e.g. an echoing proxy)
        raise ClientError(
            {"Error": {"Code": "Weird", "Message": f"bad {renewed['SecretAccessKey']} {renewed['SessionToken']}"}},
            "ListBuckets",
        )

    aws.client(access, "s3", REGION).meta.events.register("before-call.s3.ListBuckets", leak)
    res = aws.call(access, "s3", REGION, "ListBuckets")

    assert isinstance(res, CollectionError)
    assert renewed["SecretAccessKey"] not in res.message and renewed["SessionToken"] not in res.message
    assert res.message.count("<redacted>") == 2
    assert renewed["SecretAccessKey"] not in repr(access)


# --------------------------------------------------------------------------- a whole scan across expiry


class _JumpAfterFirstUnit(NullProgress):
    """Moves the clock past the role sessions' hour when the first (account, region) unit is done."""

    def __init__(self, clock: Clock, by: timedelta) -> None:
        self._clock, self._by = clock, by
        self._lock = threading.Lock()
        self.jumped_at: datetime | None = None

    def task_done(self, account_id: str, region: str) -> None:
        with self._lock:
            if self.jumped_at is None:
                self._clock.offset += self._by
                self.jumped_at = self._clock.now()


def test_an_organisation_scan_and_its_log_read_outlast_the_role_sessions(session: boto3.Session, clock: Clock) -> None:
    log_archive, workload = _organization(session)
    members = (log_archive, workload)
    creds = assume(session, workload)
    seeded = seed_configured_account(session, workload, creds, prefix="workload")
    _put_log_file(session, creds, seeded.bucket, workload)
    options = CollectOptions(regions=(REGION,), organization=True, role_name="Audit", external_id="ext-9")
    wire = Wire()
    wire.watch_sts(session)
    wire.watch_every_client(session, clock)
    hour = timedelta(hours=1, minutes=1)
    progress = _JumpAfterFirstUnit(clock, hour)

    snap, sessions = collect_with_sessions(options, progress, session, clock=clock.now)
    assert progress.jumped_at is not None  # time did pass the first sessions' expiry mid-collection
    clock.offset += hour  # and again before the logs are read
    log_read_from = clock.now()
    snap = read_trail_evidence(snap, options, since="1d", sessions=sessions, now=log_read_from)
    results = build_results(snap, EvaluationOptions())

    expiry = {c["AccessKeyId"]: c["Expiration"] for c in wire.issued}
    role_keys = {
        r.access_key_id: member
        for member in members
        for r in sts_backends[member]["aws"].assumed_roles
        if r.role_arn == f"arn:aws:iam::{member}:role/Audit"
    }
    signed = [(at, key) for (_, key), at in zip(wire.sent, wire.signed_at, strict=True) if key in role_keys]
    # Requests went out as the members' roles after each jump, and each was signed with credentials
    # that were still valid (outside botocore's 10-minute mandatory window) at the time it was sent.
    assert any(at >= progress.jumped_at for at, _ in signed)
    assert any(at >= log_read_from and role_keys[key] == workload for at, key in signed)
    assert all(expiry[key] - at > timedelta(minutes=10) for at, key in signed)
    # Renewals asked for the very same role, session name and external id as the first AssumeRole:
    # the workload's at least twice (its bucket is read after the first jump, its logs after the second).
    for member in members:
        spec = RoleSpec.for_account("aws", member, "Audit", "ext-9")
        calls = [c for c in wire.assume_calls if c["RoleArn"] == spec.role_arn]
        assert calls and all(c == spec.params() for c in calls), calls
    assert sum(1 for m in role_keys.values() if m == workload) >= 3
    assert sum(1 for c in wire.assume_calls if workload in c["RoleArn"]) >= 3
    # and everything succeeded: the log file was read, and nothing anywhere says the token expired
    assert snap.log_evidence is not None and snap.log_evidence.to_dict()["files_read"] == 1, snap.log_evidence
    assert not [e for e in snap.errors if e.account_id in members], snap.errors
    text = json.dumps(results.to_dict(), default=str)
    assert "ExpiredToken" not in text and "CredentialRefreshError" not in text


def test_a_renewal_refused_during_the_log_read_is_an_error_for_that_account_only(
    session: boto3.Session, clock: Clock
) -> None:
    refused, readable = "222222222222", "333333333333"
    seeded = seed_accounts_with_a_log_file(session, (refused, readable))
    refusing = threading.Event()

    def refuse_one(params: Any, **_: Any) -> None:
        if refusing.is_set() and refused in params["RoleArn"]:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "trust policy changed"}}, "AssumeRole")

    session.events.register("before-parameter-build.sts.AssumeRole", refuse_one)  # reaches every client made later
    options = CollectOptions(regions=(REGION,), accounts=(refused, readable), role_name="Audit")
    snap, sessions = collect_with_sessions(options, session=session, clock=clock.now)
    assert not snap.errors, snap.errors

    refusing.set()
    clock.offset = timedelta(hours=1, minutes=1)  # both role sessions expired; only one can be renewed
    snap = read_trail_evidence(snap, options, since="1d", sessions=sessions, now=clock.now())

    evidence = snap.log_evidence.to_dict() if snap.log_evidence is not None else None
    assert evidence is not None and evidence["files_read"] == 1, evidence  # the readable account's file
    problems = evidence["file_problems"]
    assert problems and all("CredentialRefreshError" in p["reason"] or "renew" in p["reason"] for p in problems)
    assert all(seeded[refused].bucket in p["path"] for p in problems), problems
    assert snap.integrity is not None
    errors = snap.integrity.to_dict()["errors"]
    assert all(e["account_id"] == refused for e in errors if "renew" in e["message"])
    assert any(e["account_id"] == refused and "trust policy changed" in e["message"] for e in errors)
    (check,) = (c for c in all_checks() if c.meta.id == "logs-digest-integrity")
    by_trail = {r.resource_id: r for r in run_check(snap, check, Settings())}
    assert by_trail[seeded[refused].trail_arn].status is Status.ERROR

"""scan --logs-since when no trail's logs can be read: ERROR, never 'not read'."""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.sts.models import sts_backends

from auditor.app.cli import build_parser
from auditor.aws.collect import AccountSessions, CollectOptions, collect_with_sessions, open_account_sessions
from auditor.aws.collect._aws import AccountAccess, Aws, Credentials, make_config
from auditor.aws.trail_logs import read_trail_evidence, verify_logs_command
from auditor.engine.checkapi import Settings, Status
from auditor.engine.registry import all_checks
from auditor.engine.runner import run_check
from auditor.model.errors import AuditorError
from tests.builders import ACCOUNT, BUCKET, sound_snapshot, with_account
from tests.collect.conftest import (
    CALLER,
    REGION,
    assume,
    client,
    deny,
    new_session,
    seed_configured_account,
    session,
)

__all__ = ["session"]  # the moto-backed session fixture of the collection tests


@mock_aws
def test_no_readable_trail_makes_the_log_checks_errors() -> None:
    snap = with_account(sound_snapshot(), trails=())
    snap = read_trail_evidence(snap, CollectOptions(), since="1d")
    assert snap.log_evidence is not None
    for check in (c for c in all_checks() if c.meta.id in ("logs-root-activity", "logs-trail-tampering")):
        results = run_check(replace(snap, integrity=None), check, Settings())
        assert {r.status for r in results} == {Status.ERROR}, results
        (problem,) = results[0].evidence["file_problems"]
        assert "no trail owned by a scanned account" in problem["reason"]


# --------------------------------------------------------------------------- one role session per account


class _Wire:
    """AssumeRole calls and the key id signing each S3 request, seen by botocore hooks on the session."""

    def __init__(self, session: boto3.Session) -> None:
        self.assumed: list[tuple[str, str]] = []
        self.s3_keys: set[str] = set()
        session.events.register("before-parameter-build.sts.AssumeRole", self._assume)
        session.events.register("after-call.sts.AssumeRole", self._issued)
        session.events.register("before-send.s3", self._sent)
        self.issued: list[str] = []

    def _assume(self, params: Any, **_: Any) -> None:
        self.assumed.append((params["RoleArn"], params["RoleSessionName"]))

    def _issued(self, parsed: Any, **_: Any) -> None:
        self.issued.append(parsed["Credentials"]["AccessKeyId"])

    def _sent(self, request: Any, **_: Any) -> None:
        auth = request.headers.get("Authorization", b"")
        auth = auth.decode() if isinstance(auth, bytes) else str(auth)
        match = re.search(r"Credential=([^/]+)/", auth)
        self.s3_keys.add(match.group(1) if match else "")


def _put_log_file(session: boto3.Session, creds: Any, bucket: str, account: str) -> None:
    now = datetime.now(UTC) - timedelta(hours=1)  # well inside the 1d window read below
    key = (
        f"AWSLogs/{account}/CloudTrail/{REGION}/{now:%Y/%m/%d}/"
        f"{account}_CloudTrail_{REGION}_{now:%Y%m%dT%H%MZ}_test.json.gz"
    )
    record = {
        "eventVersion": "1.08",
        "eventTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "ec2.amazonaws.com",
        "eventName": "DescribeInstances",
        "awsRegion": REGION,
        "recipientAccountId": account,
        "eventID": "e1",
        "userIdentity": {"type": "IAMUser", "accountId": account, "userName": "alice"},
    }
    body = gzip.compress(json.dumps({"Records": [record]}).encode())
    client(session, "s3", creds=creds).put_object(Bucket=bucket, Key=key, Body=body)


class _Work:
    """A WorkProgress that records every update."""

    def __init__(self) -> None:
        self.updates: list[tuple[str, int, int]] = []

    def update(self, phase: str, done: int, total: int) -> None:
        self.updates.append((phase, done, total))


def seed_accounts_with_a_log_file(session: boto3.Session, accounts: tuple[str, ...]) -> dict[str, Any]:
    """Each account configured (trail, bucket, key; see seed_configured_account) with one log file."""
    seeded = {}
    for account in accounts:
        creds = assume(session, account)
        seeded[account] = seed_configured_account(session, account, creds, prefix=f"p{account[0]}")
        _put_log_file(session, creds, seeded[account].bucket, account)
    return seeded


def test_logs_are_read_with_the_role_the_collector_assumed_once_per_account(session: boto3.Session) -> None:
    org = client(session, "organizations")
    org.create_organization(FeatureSet="ALL")
    member = str(org.create_account(Email="m@example.com", AccountName="member")["CreateAccountStatus"]["AccountId"])
    creds = assume(session, member)
    seeded = seed_configured_account(session, member, creds, prefix="member")
    _put_log_file(session, creds, seeded.bucket, member)
    options = CollectOptions(regions=(REGION,), accounts=(member,), role_name="Audit")
    wire = _Wire(session)

    snap, sessions = collect_with_sessions(options, session=session)
    work = _Work()
    snap = read_trail_evidence(snap, options, since="1d", sessions=sessions, work=work)

    # progress: the trail's files, then its digest chains (one account), each to its total
    phases = {phase: (done, total) for phase, done, total in work.updates}
    trail = next(t.name for t in snap.accounts[0].trails)
    assert phases[f"Reading logs of {trail} (files)"] == (1, 1), work.updates
    assert phases.get(f"Validating digests of {trail} (accounts)", (1, 1)) == (1, 1), work.updates
    role_arn = f"arn:aws:iam::{member}:role/Audit"
    assert wire.assumed == [(role_arn, "trail-auditor")]
    # and AWS's side agrees: one role session for the whole run, not one more for the logs
    sessions_in_member = [r for r in sts_backends[member]["aws"].assumed_roles if r.role_arn == role_arn]
    assert len(sessions_in_member) == 1
    assert wire.s3_keys == set(wire.issued)  # every S3 read, bucket config and logs, as that session
    evidence = snap.log_evidence.to_dict() if snap.log_evidence is not None else None
    assert evidence is not None
    assert evidence["files_read"] == 1 and evidence["events_read"] == 1, evidence.get("file_problems")


def test_an_account_whose_role_cannot_be_assumed_is_an_unreadable_source(session: boto3.Session) -> None:
    deny(session, "sts", "AssumeRole")
    snap = replace(sound_snapshot(), caller_account_id=CALLER)  # the trail's bucket is in another account
    options = CollectOptions(role_name="Audit")
    sessions = open_account_sessions(options, caller_account_id=CALLER, session=session)

    snap = read_trail_evidence(snap, options, since="1d", sessions=sessions)

    assert snap.log_evidence is not None
    (problem,) = snap.log_evidence.to_dict()["file_problems"]
    assert problem["path"] == f"s3://{BUCKET}"
    assert f"cannot open a session in {ACCOUNT}" in problem["reason"] and "AccessDenied" in problem["reason"]
    for check in (c for c in all_checks() if c.meta.id in ("logs-root-activity", "logs-trail-tampering")):
        results = run_check(replace(snap, integrity=None), check, Settings())
        assert {r.status for r in results} == {Status.ERROR}, results


# --------------------------------------------------------------------------- the caller's CloudTrail client


def _digest_integrity(snap: Any) -> list[Any]:
    (check,) = (c for c in all_checks() if c.meta.id == "logs-digest-integrity")
    return run_check(snap, check, Settings())


def _session_without_credentials(monkeypatch: pytest.MonkeyPatch) -> boto3.Session:
    """A real session that finds no credentials anywhere botocore looks (moto's and the suite's removed)."""
    for var in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    bare = new_session()
    assert bare.get_credentials() is None  # the premise: botocore finds nothing to sign with
    return bare


def test_no_caller_credentials_for_list_public_keys_is_an_error_not_a_crash(
    session: boto3.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner_creds = assume(session, ACCOUNT)
    client(session, "s3", creds=owner_creds).create_bucket(Bucket=BUCKET)
    _put_log_file(session, owner_creds, BUCKET, ACCOUNT)
    bare = _session_without_credentials(monkeypatch)
    # The bucket owner's role session is held (as after a collection); the caller's own
    # credentials, which ListPublicKeys is called with, are gone.
    aws = Aws(bare, config=make_config(1), endpoint_url=None, on_error=lambda _: None)
    held = AccountAccess(
        ACCOUNT, Credentials(owner_creds["AccessKeyId"], owner_creds["SecretAccessKey"], owner_creds["SessionToken"])
    )
    sessions = AccountSessions(
        aws,
        caller_account_id=CALLER,
        partition="aws",
        home_region=REGION,
        role_name="Audit",
        external_id=None,
        known={ACCOUNT: held},
    )
    snap = replace(sound_snapshot(), caller_account_id=CALLER)

    snap = read_trail_evidence(snap, CollectOptions(role_name="Audit"), since="1d", sessions=sessions)

    assert snap.log_evidence is not None
    assert snap.log_evidence.files_read == 1, snap.log_evidence.file_problems  # the rest still ran
    assert snap.integrity is not None and snap.integrity.to_dict()["errors"]
    for error in snap.integrity.to_dict()["errors"]:
        assert error["operation"] == "cloudtrail:ListPublicKeys"
        assert "NoCredentialsError" in error["message"] and CALLER in error["message"]
    results = _digest_integrity(snap)
    assert results and {r.status for r in results} == {Status.ERROR}, results


def test_an_account_refused_at_log_time_is_an_error_for_its_trail_only(session: boto3.Session) -> None:
    refused, readable = "222222222222", "333333333333"
    seeded = seed_accounts_with_a_log_file(session, (refused, readable))
    options = CollectOptions(regions=(REGION,), accounts=(refused, readable), role_name="Audit")
    snap = collect_with_sessions(options, session=session)[0]  # a snapshot collected earlier

    def refuse_one(params: Any, **_: Any) -> None:
        if refused in params["RoleArn"]:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "trust policy changed"}}, "AssumeRole")

    session.events.register("before-parameter-build.sts.AssumeRole", refuse_one)
    sessions = open_account_sessions(options, caller_account_id=CALLER, session=session)
    snap = read_trail_evidence(snap, options, since="1d", sessions=sessions)

    evidence = snap.log_evidence.to_dict() if snap.log_evidence is not None else None
    assert evidence is not None
    assert evidence["files_read"] == 1, evidence.get("file_problems")  # the readable account's file
    (problem,) = evidence["file_problems"]
    assert problem["path"] == f"s3://{seeded[refused].bucket}" and "trust policy changed" in problem["reason"]
    assert snap.integrity is not None
    refused_errors = [e for e in snap.integrity.to_dict()["errors"] if e["account_id"] == refused]
    assert refused_errors and all("trust policy changed" in e["message"] for e in refused_errors)
    assert not any(
        "trust policy changed" in e["message"]
        for e in snap.integrity.to_dict()["errors"]
        if e["account_id"] == readable
    )
    by_trail = {r.resource_id: r for r in _digest_integrity(snap)}
    refused_result = by_trail[seeded[refused].trail_arn]
    assert refused_result.status is Status.ERROR and "trust policy changed" in str(refused_result.evidence)


def test_verify_logs_online_without_credentials_is_a_user_error(
    session: boto3.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    _session_without_credentials(monkeypatch)
    args = build_parser().parse_args(["verify-logs", "--trail-arn", f"arn:aws:cloudtrail:{REGION}:{CALLER}:trail/main"])

    with pytest.raises(AuditorError, match=r"cannot describe .*Unable to locate credentials"):
        verify_logs_command(args)


class _Listed:
    status_code = 200


def test_digest_keys_are_listed_in_every_validated_region(session: boto3.Session) -> None:
    """CloudTrail signs each region's digests with that region's key: a multi-region trail's
    chains need every region's ListPublicKeys, not only the home region's."""
    from auditor.aws.trail_logs import _caller_key_sources

    asked: list[str] = []

    def list_public_keys(request_signer: Any, **_: Any) -> tuple[Any, dict[str, Any]]:
        region = request_signer._region_name
        asked.append(region)
        return _Listed(), {"PublicKeyList": [{"Fingerprint": f"fp-{region}", "Value": region.encode()}]}

    session.events.register("before-call.cloudtrail.ListPublicKeys", list_public_keys)
    sessions = open_account_sessions(CollectOptions(), caller_account_id=CALLER, session=session)
    keys = _caller_key_sources(sessions, CALLER, ["us-east-1", "eu-west-1"])
    now = datetime.now(UTC)
    assert set(keys.keys_for(now - timedelta(days=1), now)) == {"fp-us-east-1", "fp-eu-west-1"}
    assert sorted(asked) == ["eu-west-1", "us-east-1"]

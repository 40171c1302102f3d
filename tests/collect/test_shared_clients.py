"""Clients are shared by every account; each request is still signed as its own account."""

from __future__ import annotations

import threading
from typing import Any

import boto3
import pytest

from auditor.aws.collect import CollectOptions, collect
from auditor.aws.collect._aws import AccountAccess, Aws, Credentials, UnboundCallError, make_config
from auditor.model.snapshot import CollectionError
from tests.collect.aws_wire import signing_key_id
from tests.collect.conftest import CALLER, REGION, SCAN_REGIONS, assume, client, seed_configured_account


class SignedAs:
    """Records, per request, the operation and the access key id that signed it."""

    def __init__(self, session: boto3.Session) -> None:
        self.requests: list[tuple[str, str]] = []
        self.clients_created = 0
        session.events.register("before-send", self._sent)
        session.events.register("creating-client-class", self._created)

    def _sent(self, request: Any, **_: Any) -> None:
        self.requests.append((request.context.get("auth_type") or "", signing_key_id(request)))

    def _created(self, **_: Any) -> None:
        self.clients_created += 1


def _organization_of(session: boto3.Session, members: int) -> list[str]:
    org = client(session, "organizations")
    org.create_organization(FeatureSet="ALL")
    ids = []
    for n in range(members):
        status = org.create_account(Email=f"m{n}@example.com", AccountName=f"member-{n}")
        ids.append(str(status["CreateAccountStatus"]["AccountId"]))
    return ids


def _scan_organization(session: boto3.Session) -> Any:
    return collect(CollectOptions(regions=SCAN_REGIONS, organization=True, role_name="Audit"), session=session)


def test_client_count_does_not_grow_with_the_number_of_accounts(session: boto3.Session) -> None:
    members = _organization_of(session, 3)
    for member in members:
        seed_configured_account(session, member, assume(session, member), prefix=f"m{member[-4:]}")
    seed_configured_account(session)
    signed = SignedAs(session)

    snap = _scan_organization(session)

    assert len(snap.accounts) == 4 and all(a.access_error is None for a in snap.accounts)
    assert not snap.errors
    # one client per (region, service) used: 4 accounts x 2 regions would need dozens otherwise
    services_per_region = {"cloudtrail", "cloudwatch", "config", "logs", "sns"}
    global_services = {"sts", "organizations", "ec2", "s3", "s3control", "kms"}
    assert signed.clients_created <= len(SCAN_REGIONS) * len(services_per_region) + len(global_services)


def test_each_request_is_signed_with_its_own_accounts_credentials(session: boto3.Session) -> None:
    (member,) = _organization_of(session, 1)
    member_seed = seed_configured_account(session, member, assume(session, member), prefix="member")
    seed_configured_account(session)
    session_key = session.get_credentials().access_key
    signed = SignedAs(session)

    snap = _scan_organization(session)

    keys = {key for _, key in signed.requests}
    assert "" not in keys and "trail-auditor-unbound" not in keys
    # the caller's key and the assumed role's key (moto issues ASIA... keys for AssumeRole)
    assert session_key in keys
    assumed = keys - {session_key}
    assert len(assumed) == 1 and next(iter(assumed)).startswith("ASIA")
    # and what each account's requests read is that account's own configuration
    wl = snap.account(member)
    mgmt = snap.account(CALLER)
    assert wl is not None and mgmt is not None
    assert {t.arn for t in wl.trails} == {member_seed.trail_arn}
    assert all(t.owner_account_id == CALLER for t in mgmt.trails)
    bucket = snap.bucket(member_seed.bucket)
    assert bucket is not None and bucket.owner_account_id == member


def test_a_shared_client_refuses_to_send_without_an_account_bound() -> None:
    session = boto3.Session(region_name=REGION, aws_access_key_id="a", aws_secret_access_key="b")
    aws = Aws(session, config=make_config(1), endpoint_url="http://127.0.0.1:9", on_error=lambda e: None)
    sts = aws.client(AccountAccess(CALLER), "sts", REGION)
    sent: list[Any] = []
    sts.meta.events.register("before-send", lambda request, **_: sent.append(request))

    with pytest.raises(UnboundCallError):
        sts.get_caller_identity()
    assert sent == []


def test_an_account_bound_in_one_thread_does_not_leak_into_another() -> None:
    session = boto3.Session(region_name=REGION, aws_access_key_id="a", aws_secret_access_key="b")
    aws = Aws(session, config=make_config(2), endpoint_url="http://127.0.0.1:9", on_error=lambda e: None)
    sts = aws.client(AccountAccess(CALLER), "sts", REGION)
    member = AccountAccess("111111111111", Credentials("ASIAMEMBER", "secret", "token"))
    outcome: list[BaseException] = []

    def unbound_call() -> None:
        try:
            sts.get_caller_identity()
        except BaseException as exc:
            outcome.append(exc)

    with aws.acting_as(member):
        other = threading.Thread(target=unbound_call)
        other.start()
        other.join()
    assert len(outcome) == 1 and isinstance(outcome[0], UnboundCallError)


def test_missing_base_credentials_are_a_collection_error_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(var)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    session = boto3.Session(region_name=REGION)
    assert session.get_credentials() is None
    recorded: list[CollectionError] = []
    aws = Aws(session, config=make_config(1), endpoint_url="http://127.0.0.1:9", on_error=recorded.append)

    res = aws.call(AccountAccess(CALLER), "sts", REGION, "GetCallerIdentity")

    assert isinstance(res, CollectionError) and res.error_code == "NoCredentialsError"
    assert recorded == [res]

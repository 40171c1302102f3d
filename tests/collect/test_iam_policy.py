"""Every API call a full collection makes is allowed by the published policy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3

from auditor.aws.collect import CollectOptions, collect
from tests.collect.aws_wire import iam_action
from tests.collect.conftest import (
    SCAN_REGIONS,
    assume,
    client,
    seed_configured_account,
)
from tests.policydocs import actions_of

POLICY = Path(__file__).resolve().parents[2] / "policy" / "iam-policy.json"


def _allowed_actions() -> set[str]:
    return actions_of(json.loads(POLICY.read_text()))


def test_policy_is_read_only_apart_from_assume_role() -> None:
    for action in _allowed_actions():
        verb = action.split(":", 1)[1]
        assert verb.startswith(("Describe", "Get", "List", "Lookup")) or action in {"sts:AssumeRole"}, action


def test_every_call_of_a_full_collection_is_in_the_policy(session: boto3.Session) -> None:
    org = client(session, "organizations")
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(Email="m@example.com", AccountName="member")["CreateAccountStatus"]["AccountId"]
    seed_configured_account(session)
    seed_configured_account(session, member, assume(session, member), prefix="member")
    # a trail whose bucket nobody in scope owns exercises HeadBucket
    client(session, "s3", creds=assume(session, "210987654321")).create_bucket(Bucket="elsewhere")
    client(session, "cloudtrail").create_trail(Name="outside", S3BucketName="elsewhere")
    called: set[tuple[str, str]] = set()

    def record(model: Any, **_: Any) -> None:
        called.add((model.service_model.service_name, model.name))

    session.events.register("before-call", record)

    snap = collect(
        CollectOptions(
            regions=SCAN_REGIONS,
            organization=True,
            role_name="Audit",
            trusted_accounts=("210987654321",),
        ),
        session=session,
    )

    assert snap.errors and all(e.error_code == "OutOfScope" for e in snap.errors)
    allowed = _allowed_actions()
    missing = sorted(iam_action(s, o) for s, o in called if iam_action(s, o) not in allowed)
    assert missing == []
    # the test really saw the scan: the calls of every service are there
    services = {s for s, _ in called}
    assert services >= {
        "sts",
        "organizations",
        "ec2",
        "cloudtrail",
        "logs",
        "cloudwatch",
        "sns",
        "config",
        "s3",
        "s3control",
        "kms",
    }
    assert ("s3", "HeadBucket") in called


WRITE_POLICY = POLICY.with_name("iam-policy-write-features.json")
READ_VERBS = ("Describe", "Get", "List", "Head", "Lookup")


def _actions_of(path: Path) -> set[str]:
    return actions_of(json.loads(path.read_text()))


def test_write_features_policy_is_exactly_the_write_calls_of_history_and_notify(session: boto3.Session) -> None:
    """--history s3:// and --notify-sns (here through the Lambda runner, which does both) need exactly
    the optional policy's actions beyond the read-only policy: no more, no fewer."""
    from auditor.aws.lambda_handler import LambdaConfig, run

    client(session, "s3").create_bucket(Bucket="audit-history")
    topic = client(session, "sns").create_topic(Name="new-failures")["TopicArn"]
    boto3.setup_default_session(region_name="us-east-1")
    called: set[tuple[str, str]] = set()

    def record(model: Any, **_: Any) -> None:
        called.add((model.service_model.service_name, model.name))

    boto3.DEFAULT_SESSION.events.register("before-call", record)
    try:
        summary = run(
            LambdaConfig(output_bucket="audit-history", regions=("us-east-1",), formats=("json",), notify_sns=topic)
        )
    finally:
        boto3.DEFAULT_SESSION = None
    assert summary["notified"] and summary["reports"], "both write features really ran"
    writes = {iam_action(s, o) for s, o in called if not o.startswith(READ_VERBS)}
    reads = {iam_action(s, o) for s, o in called if o.startswith(READ_VERBS)}
    assert writes == _actions_of(WRITE_POLICY)
    assert reads <= _allowed_actions()
    assert not _actions_of(WRITE_POLICY) & _allowed_actions(), "the read-only policy stays read-only"

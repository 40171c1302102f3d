"""moto-backed AWS for collection tests, and helpers to seed accounts."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from auditor.aws.demo_seed import create_audited_trail, start_config_recorder
from tests.policydocs import (
    archive_rule,
    credential_kwargs,
    policy,
    put_alarm,
    trail_write_statement,
)

REGION = "us-east-1"
OTHER_REGION = "eu-west-1"
SCAN_REGIONS = (REGION, OTHER_REGION)
CALLER = "123456789012"  # moto's default account


#: Service models parsed once for the whole test run (a fresh session would reload them).
_LOADER = botocore.loaders.create_loader()


def new_session() -> boto3.Session:
    """A fresh session (fresh event hooks) that reuses the parsed service models."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    return boto3.Session(botocore_session=core, region_name=REGION)


@pytest.fixture
def session() -> Iterator[boto3.Session]:
    """A boto3 session talking to an in-process moto."""
    with mock_aws():
        yield new_session()


def client(session: boto3.Session, service: str, region: str = REGION, creds: Any = None) -> Any:
    """A seeding client, optionally with assumed-role credentials."""
    return session.client(service, region_name=region, **credential_kwargs(creds))


def assume(session: boto3.Session, account_id: str) -> dict[str, Any]:
    """Credentials that land in ``account_id`` (moto does not check the role)."""
    return client(session, "sts").assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/seed", RoleSessionName="seed")[
        "Credentials"
    ]


@dataclass(frozen=True)
class Seeded:
    """Names and ARNs of what :func:`seed_configured_account` created."""

    account_id: str
    bucket: str
    trail_arn: str
    key_arn: str
    log_group: str
    log_group_arn: str
    topic_arn: str
    alarm_name: str


def seed_configured_account(
    session: boto3.Session,
    account_id: str = CALLER,
    creds: Any = None,
    *,
    prefix: str = "acme",
    region: str = REGION,
) -> Seeded:
    """An account configured the way an audit wants: trail, KMS, logs, alarm, Config."""
    mk = lambda svc: client(session, svc, region, creds)  # noqa: E731
    bucket = f"{prefix}-cloudtrail-logs-{account_id}"
    s3 = mk("s3")
    s3.create_bucket(Bucket=bucket)
    write = trail_write_statement(bucket, {"StringEquals": {"aws:SourceAccount": account_id}})
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy(write)))
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={"Rules": [archive_rule(90, 400, 30)]},
    )
    key_arn = mk("kms").create_key(Description="cloudtrail")["KeyMetadata"]["Arn"]
    mk("kms").enable_key_rotation(KeyId=key_arn)
    logs = mk("logs")
    log_group = f"{prefix}-cloudtrail"
    logs.create_log_group(logGroupName=log_group, kmsKeyId=key_arn)
    logs.put_retention_policy(logGroupName=log_group, retentionInDays=400)
    log_group_arn = f"arn:aws:logs:{region}:{account_id}:log-group:{log_group}:*"
    logs.put_metric_filter(
        logGroupName=log_group,
        filterName="root-usage",
        filterPattern='{ $.userIdentity.type = "Root" }',
        metricTransformations=[{"metricName": "RootUsage", "metricNamespace": "CISBenchmark", "metricValue": "1"}],
    )
    sns = mk("sns")
    topic_arn = sns.create_topic(Name=f"{prefix}-alarms")["TopicArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="email", Endpoint="secops@example.com")
    alarm_name = "root-usage"
    put_alarm(mk("cloudwatch"), alarm_name, "RootUsage", "CISBenchmark", topic_arn)
    start_config_recorder(mk("config"), account_id, bucket)
    ct = mk("cloudtrail")
    logs_role_arn = f"arn:aws:iam::{account_id}:role/cloudtrail-logs"
    cloudwatch_logs = (log_group_arn, logs_role_arn)
    trail_arn = create_audited_trail(
        ct, f"{prefix}-trail", bucket, key_arn, cloudwatch_logs, f"{prefix}-alarms", {"owner": "security"}
    )
    ct.start_logging(Name=trail_arn)
    return Seeded(
        account_id=account_id,
        bucket=bucket,
        trail_arn=trail_arn,
        key_arn=key_arn,
        log_group=log_group,
        log_group_arn=log_group_arn,
        topic_arn=topic_arn,
        alarm_name=alarm_name,
    )


def access_denied(operation: str) -> ClientError:
    """The error AWS returns when IAM refuses a call."""
    return ClientError({"Error": {"Code": "AccessDenied", "Message": "User is not authorized"}}, operation)


def deny(session: boto3.Session, service_id: str, operation: str) -> Callable[..., None]:
    """Make every call of one operation fail with AccessDenied (a before-call hook)."""

    def hook(**_: Any) -> None:
        raise access_denied(operation)

    session.events.register(f"before-call.{service_id}.{operation}", hook)
    return hook


class CallLog:
    """Records every (service, operation, params) the scan sends."""

    def __init__(self, session: boto3.Session) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        # before-parameter-build sees the API parameters (before-call sees the wire form)
        session.events.register("before-parameter-build", self._hook)

    def _hook(self, model: Any, params: Any, **_: Any) -> None:
        self.calls.append((model.service_model.service_name, model.name, dict(params)))

    def count(self, service: str, operation: str) -> int:
        """How many times one operation was called."""
        return sum(1 for s, o, _ in self.calls if (s, o) == (service, operation))

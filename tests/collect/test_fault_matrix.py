"""The AWS fault matrix: every operation of the published policy, refused and throttled, alone.

One organisation is seeded in moto once per module, configured so that most
checks PASS: a management account and a member, each with a multi-region,
validated, KMS-encrypted trail delivering to CloudWatch Logs; the CIS metric
filters and alarms with a subscribed topic; a versioned, encrypted, logged,
Object-Locked bucket with a TLS-only policy and a long lifecycle; Config
recorders in both regions; signed log and digest files for the log window; a
CloudTrail Lake organisation event data store in the management account.

Every scan's log window ends at the world's clock (``World.now``), not at
the time it runs: the module takes minutes, and a run that crossed an hour
boundary used to read, after it, a window past the seeded logs (every
``logs-*`` check ERROR, blamed on whichever operation was failing). The clock
stands at the last second before the hour the run starts in, so every run is
such a crossing.

Then, for every IAM action in ``policy/iam-policy.json`` and every API
operation the scan calls for it, one scan (collection, log reading, digest
validation, evaluation: :func:`auditor.app.scanjob.run_scan_job`) runs with only
that operation failing on the wire (:mod:`tests.collect.aws_wire`):

- refused: AccessDenied as the service sends it;
- throttled: ThrottlingException / SlowDown / RequestLimitExceeded on every
  attempt, so botocore gives up after the collector's retries.

The rule (fail closed): every check that PASSed without the fault and whose
declared permissions (``CheckMeta.permissions``) include the action is not
PASS, and its ERROR names the operation. Conversely a check whose verdict
changed must declare the action, so the declared permissions stay true.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from auditor.app.pipeline import EvaluationOptions
from auditor.app.scanjob import ScanJob, run_scan_job
from auditor.aws.collect import CollectOptions
from auditor.aws.demo_seed import start_config_recorder
from auditor.engine.checkapi import Status
from auditor.engine.registry import all_checks
from auditor.engine.results import Finding
from auditor.integrity.fixtures import build_chain, generate_demo_key
from auditor.model.errors import AuditorError
from auditor.semantics.cis import CIS_ITEMS, METRIC_NAMESPACE
from tests.collect.aws_wire import (
    DENIED,
    ERROR_PAGE,
    THROTTLED,
    Fault,
    Wire,
    iam_action,
    instant_backoff,
    moto_serves_public_keys,
)
from tests.collect.conftest import (
    CALLER,
    REGION,
    SCAN_REGIONS,
    assume,
    client,
    new_session,
    seed_configured_account,
)
from tests.mapping.catalogue import LAKE
from tests.policydocs import (
    archive_rule,
    policy,
    put_alarm,
    tls_deny_statement,
    trail_write_statement,
)

POLICY = Path(__file__).resolve().parents[2] / "policy" / "iam-policy.json"
ROLE = "Audit"
LOG_HOURS = 2


def policy_actions() -> list[str]:
    """Every action the published policy allows."""
    actions: list[str] = []
    for statement in json.loads(POLICY.read_text())["Statement"]:
        listed = statement["Action"]
        actions.extend([listed] if isinstance(listed, str) else listed)
    return sorted(set(actions))


# --------------------------------------------------------------------------- the seeded organisation


@dataclass
class World:
    """The seeded organisation and what a scan without any fault found in it."""

    member: str
    #: Where every scan's log window ends; the seeded logs and digests are the hours before it.
    now: datetime
    baseline: list[Finding] = field(default_factory=list)
    #: (botocore service, operation) -> calls the fault-free scan made
    calls: Counter[tuple[str, str]] = field(default_factory=Counter)


def _seed_account(
    session: boto3.Session,
    account_id: str,
    creds: Any,
    prefix: str,
    private_key: Any,
    now: datetime,
    *,
    tls_only: bool,
    cis_alarms: bool,
) -> None:
    """One account configured as an audit wants it, logs and digests included.

    moto applies a bucket policy's Deny statements without their conditions, so a
    TLS-only statement refuses every GetObject: only the bucket with ``tls_only``
    gets one (its logs are then unreadable in moto, so none are written; the other
    account's are read). ``cis_alarms``: all 15 CIS filters and alarms (else only the
    root-usage one): judging them is the costliest part of a scan, once is enough.
    """
    seeded = seed_configured_account(session, account_id, creds, prefix=prefix)
    mk = lambda svc, region=REGION: client(session, svc, region, creds)  # noqa: E731
    s3 = mk("s3")
    bucket = seeded.bucket
    # moto enables Object Lock on an empty bucket only
    s3.put_object_lock_configuration(
        Bucket=bucket,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 400}},
        },
    )
    # written before the bucket policy (moto applies its Deny statements without their conditions)
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=LOG_HOURS + 2)
    for region in SCAN_REGIONS if not tls_only else ():
        chain = build_chain(
            bucket,
            None,
            account_id,
            region,
            start,
            LOG_HOURS + 2,
            private_key,
            trail_arn=f"arn:aws:cloudtrail:{REGION}:{account_id}:trail/{prefix}-trail",
        )
        for obj in chain.objects:
            s3.put_object(Bucket=bucket, Key=obj.key, Body=obj.body, Metadata=obj.metadata)
    statements = [trail_write_statement(bucket, {"StringEquals": {"aws:SourceArn": seeded.trail_arn}})]
    if tls_only:
        statements.append(tls_deny_statement(bucket, sid="TlsOnly"))
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy(*statements)))
    lifecycle = {"Rules": [archive_rule(120, 2600, 2600)]}
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration=lifecycle)
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": seeded.key_arn}}
            ]
        },
    )
    access_logs = f"{prefix}-access-logs-{account_id}"
    s3.create_bucket(Bucket=access_logs)
    s3.put_bucket_acl(Bucket=access_logs, ACL="log-delivery-write")
    s3.put_bucket_logging(
        Bucket=bucket,
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": access_logs, "TargetPrefix": f"{bucket}/"}},
    )
    logs, cloudwatch = mk("logs"), mk("cloudwatch")
    for item in CIS_ITEMS if cis_alarms else ():
        logs.put_metric_filter(
            logGroupName=seeded.log_group,
            filterName=item.metric_name,
            filterPattern=item.pattern,
            metricTransformations=[
                {"metricName": item.metric_name, "metricNamespace": METRIC_NAMESPACE, "metricValue": "1"}
            ],
        )
        put_alarm(cloudwatch, item.metric_name, item.metric_name, METRIC_NAMESPACE, seeded.topic_arn)
    start_config_recorder(mk("config", SCAN_REGIONS[1]), account_id, bucket)
    trail = mk("cloudtrail")
    trail.put_event_selectors(
        TrailName=seeded.trail_arn,
        EventSelectors=[
            {
                "ReadWriteType": "All",
                "IncludeManagementEvents": True,
                "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
            }
        ],
    )
    trail.put_insight_selectors(
        TrailName=seeded.trail_arn,
        InsightSelectors=[{"InsightType": "ApiCallRateInsight"}, {"InsightType": "ApiErrorRateInsight"}],
    )


def _delivered_to_cloudwatch_logs(parsed: dict[str, Any], **_: Any) -> None:
    """What AWS reports once CloudTrail delivered to CloudWatch Logs (moto never does)."""
    if "IsLogging" in parsed:
        parsed.setdefault("LatestCloudWatchLogsDeliveryTime", datetime.now(UTC) - timedelta(minutes=5))


def scan(world: World, faults: Mapping[tuple[str, str], Fault] = ()) -> tuple[list[Finding], Wire, Any]:
    """One whole scan (collect, read logs, validate digests, evaluate) with ``faults`` on the wire.

    Its log window ends at ``world.now`` whenever it runs, as the baseline's did.
    """
    session = new_session()
    wire = Wire(session)
    for (service, operation), fault in dict(faults).items():
        wire.fail(service, operation, fault)
    session.events.register("after-call.cloudtrail.GetTrailStatus", _delivered_to_cloudwatch_logs)
    job = ScanJob(
        collect=CollectOptions(regions=SCAN_REGIONS, organization=True, role_name=ROLE),
        evaluation=EvaluationOptions(),
        logs_since=f"{LOG_HOURS}h",
    )
    outcome = run_scan_job(job, session=session, now=world.now)
    return list(outcome.results.findings), wire, outcome


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(seconds=1)
    with mock_aws(), instant_backoff():
        session = new_session()
        org = client(session, "organizations")
        org.create_organization(FeatureSet="ALL")
        member = str(
            org.create_account(Email="m@example.com", AccountName="member")["CreateAccountStatus"]["AccountId"]
        )
        private_key, public_keys = generate_demo_key()
        _seed_account(session, CALLER, None, "acme", private_key, now, tls_only=False, cis_alarms=True)
        _seed_account(
            session, member, assume(session, member), "member", private_key, now, tls_only=True, cis_alarms=False
        )
        # a CloudTrail Lake event data store the lake-* checks all PASS (moto taught Lake: auditor/aws/demo_moto.py)
        lake_key = client(session, "kms").create_key(Description="lake")["KeyMetadata"]["Arn"]
        client(session, "cloudtrail").create_event_data_store(
            Name="org-events", OrganizationEnabled=True, RetentionPeriod=2600, KmsKeyId=lake_key
        )
        world = World(member=member, now=now)
        listed = [{**k, "ValidityStartTime": 946684800, "ValidityEndTime": 4102444800} for k in public_keys]
        with moto_serves_public_keys(listed):
            findings, wire, _ = scan(world)
            world.baseline = findings
            world.calls = wire.attempts
            yield world


#: Actions without which the scan cannot know which accounts to judge: their fault is judged by
#: what happens to the scan as a whole (an error naming the call, or the accounts concerned in ERROR).
SCAN_WIDE = {
    "sts:GetCallerIdentity",  # who is scanning: the scan cannot start
    "organizations:ListAccounts",  # which accounts the organisation has
    "sts:AssumeRole",  # entering the member account
    "organizations:DescribeOrganization",  # whether the caller manages an organisation to list
}

#: Declared permissions that a PASS does not need here, each with the evidence that proves it
#: without them (and which findings it covers). Everything else declared must turn the PASS.
PROVEN_WITHOUT: dict[tuple[str, str], tuple[str, Callable[[Finding], bool]]] = {
    ("bucket-mfa-delete", "s3:GetBucketVersioning"): (
        "Object Lock in compliance mode (read) forbids the deletions MFA delete guards",
        lambda f: True,
    ),
    ("bucket-not-public", "s3:GetBucketPublicAccessBlock"): (
        "ACL and policy were read and grant nothing public: nothing for Block Public Access to mask",
        lambda f: True,
    ),
    ("bucket-not-public", "s3:GetAccountPublicAccessBlock"): (
        "ACL and policy were read and grant nothing public: nothing for Block Public Access to mask",
        lambda f: True,
    ),
    ("bucket-archival-lifecycle", "cloudwatch:GetMetricStatistics"): (
        "the size only feeds the saving estimate (the message says it is unknown)",
        lambda f: True,
    ),
    ("bucket-exists", "s3:ListBucket"): (
        "HeadBucket is called only for a bucket no scanned account lists; ListObjectsV2 is log reading",
        lambda f: True,
    ),
    ("trail-duplicate-management-copies", "cloudtrail:GetEventSelectors"): (
        "one trail covers each region: whatever it records, nothing is billed twice",
        lambda f: True,
    ),
    ("trail-duplicate-management-copies", "cloudtrail:GetTrailStatus"): (
        "one trail covers each region: whatever it records, nothing is billed twice",
        lambda f: True,
    ),
    ("lake-organization", "organizations:ListDelegatedAdministrators"): (
        "the management account's role comes from DescribeOrganization; the delegated administrators "
        "decide only other accounts' stores (none here)",
        lambda f: f.account_id == CALLER,
    ),
    ("trail-multi-region", "cloudtrail:GetEventSelectors"): (
        "per-region findings judge coverage and logging; the global one needs the selectors",
        lambda f: f.region != "global",
    ),
}

#: (action, fault name) -> checks that turned ERROR, for the summary and docs/reliability.md.
MATRIX: dict[tuple[str, str], list[str]] = {}
FALSE_PASSES: list[str] = []


def _names(finding: Finding, operation: str, action: str) -> bool:
    """Does the finding's reason (message or recorded error) name the API operation or its IAM action?"""
    text = finding.message + json.dumps(dict(finding.evidence), default=str)
    return operation in text or action in text


def _operations(world: World, action: str) -> list[tuple[str, str]]:
    return sorted(op for op in world.calls if iam_action(*op) == action)


CASES = [(action, fault) for action in policy_actions() for fault in (DENIED, THROTTLED, ERROR_PAGE)]

#: Signs that an error page reached a finding whole (its markup, or its padding past the excerpt).
_PAGE_MARKS = ("<!doctype", "<html", "<script", "</", "diagnostic padding diagnostic padding " * 20)


def _page_leaks(findings: list[Finding]) -> list[str]:
    """Findings whose message or evidence carries the error page's markup or its whole text."""
    leaks = []
    for f in findings:
        text = (f.message + json.dumps(dict(f.evidence), default=str)).lower()
        if any(mark in text for mark in _PAGE_MARKS):
            leaks.append(f"{f.check_id} {f.account_id}/{f.region}: {f.message[:120]}")
    return leaks


@pytest.mark.parametrize(("action", "fault"), CASES, ids=[f"{a}-{f.name}" for a, f in CASES])
def test_one_operation_failing_leaves_nothing_that_needed_it_pass(world: World, action: str, fault: Fault) -> None:
    operations = _operations(world, action)
    assert operations, f"the fault-free scan never called {action}: the matrix cannot exercise it"
    try:
        findings, wire, outcome = scan(world, {op: fault for op in operations})
    except AuditorError as exc:  # the scan could not start: the one-line error names the call
        assert action in SCAN_WIDE and any(op in str(exc) for _, op in operations), exc
        MATRIX[(action, fault.name)] = ["(scan refused to start: " + str(exc)[:60] + ")"]
        return
    if fault is THROTTLED:  # botocore retried as configured before giving up
        for op in operations:
            assert wire.attempts[op] >= 10, (op, wire.attempts[op])
    if fault is ERROR_PAGE:  # the page is cut to a tag-free excerpt wherever it is quoted
        assert not _page_leaks(findings), _page_leaks(findings)[:5]
        assert not [e for e in outcome.snapshot.errors if "<" in e.message or len(e.message) > 600]
    base = {f.id: f for f in world.baseline}
    now = {f.id: f for f in findings}
    checks = {c.meta.id: c for c in all_checks()}
    became_error: set[str] = set()
    problems: list[str] = []
    for check_id, check in sorted(checks.items()):
        passed = [f for f in base.values() if f.check_id == check_id and f.status is Status.PASS]
        mine = [f for f in now.values() if f.check_id == check_id]
        errors = [f for f in mine if f.status is Status.ERROR and any(_names(f, op, action) for _, op in operations)]
        turned = [f for f in passed if f.id not in now or now[f.id].status is not Status.PASS]
        if errors and passed:
            became_error.add(check_id)
        declared = action in check.meta.permissions
        if passed and (errors or turned) and not declared and action not in SCAN_WIDE:
            changed = (errors or [now[f.id] for f in turned if f.id in now])[:1]
            problems.append(
                f"undeclared: {check_id} needs {action} but does not list it in META.permissions "
                f"({[(f.status.value, f.message[:200]) for f in changed]})"
            )
        if not passed or not (declared or action in SCAN_WIDE):
            continue
        exempt = PROVEN_WITHOUT.get((check_id, action))
        still = [
            f
            for f in passed
            if f.id in now and now[f.id].status is Status.PASS and not (exempt is not None and exempt[1](f))
        ]
        if action in SCAN_WIDE:
            still = [f for f in still if f.account_id == world.member]
        member_gone = action in SCAN_WIDE and not any(f.account_id == world.member for f in mine)
        if still:
            problems.append(f"false PASS: {check_id} {[(f.account_id, f.region, f.message[:80]) for f in still]}")
        elif turned and not errors and not member_gone:
            problems.append(
                f"{check_id}: no ERROR names {operations}: "
                f"{[(f.status.value, f.message[:100], str(f.evidence)[:300]) for f in mine][:2]}"
            )
    if action in SCAN_WIDE and not any(f.account_id == world.member for f in findings):
        # the member was not entered at all: the run's errors (exit code 3) say which call failed
        recorded = {e.operation for e in outcome.snapshot.errors}
        assert recorded & {op for _, op in operations}, (action, recorded)
        became_error.add(f"(member account not scanned; {action} recorded as the run's error)")
    MATRIX[(action, fault.name)] = sorted(became_error)
    FALSE_PASSES.extend(p for p in problems if p.startswith("false PASS"))
    assert not problems, "\n".join(problems)


#: Checks that PASS in the seeded organisation without any fault (moto cannot show the rest:
#: a TLS-only policy would refuse moto's log reads, a digest gap shows where logs are unreadable).
BASELINE_PASS = {
    *(item.check_id for item in CIS_ITEMS),
    "bucket-access-logging",
    "bucket-archival-lifecycle",
    "bucket-default-encryption",
    "bucket-exists",
    "bucket-hot-retention",
    "bucket-mfa-delete",
    "bucket-not-public",
    "bucket-object-lock",
    "bucket-policy-source-arn",
    "bucket-policy-tls-only",
    "bucket-retention",
    "bucket-versioning",
    "config-recorder-all-regions",
    "loggroup-retention",
    "loggroup-kms-encryption",
    "loggroup-resource-policy",
    "logs-api-call-rate-anomaly",
    "logs-api-error-rate-anomaly",
    "logs-bucket-tampering",
    "logs-console-login-failures",
    "logs-console-login-no-mfa",
    "logs-delivery-continuity",
    "logs-digest-integrity",
    "logs-iam-policy-changes",
    "logs-key-tampering",
    "logs-network-changes",
    "logs-privilege-escalation",
    "logs-root-activity",
    "logs-trail-tampering",
    "logs-unauthorized-api-calls",
    "logs-unused-region-activity",
    "trail-cloudwatch-logs",
    "trail-delivery-health",
    "trail-duplicate-management-copies",
    "trail-enabled",
    "trail-global-service-events",
    "trail-insights",
    "trail-kms-encryption",
    "trail-kms-key-health",
    "trail-kms-key-policy",
    "trail-kms-key-rotation",
    "trail-log-file-validation",
    "trail-management-events",
    "trail-multi-region",
    "trail-s3-data-events-read",
    "trail-s3-data-events-write",
    "trail-tags",
    "trail-sns-notification",
    *LAKE,
}


def test_without_fault_the_seeded_organisation_passes(world: World) -> None:
    """The premise of the matrix: what it expects to lose under a fault is PASS without one."""
    passing = {f.check_id for f in world.baseline if f.status is Status.PASS}
    assert passing >= BASELINE_PASS, sorted(BASELINE_PASS - passing)
    # both accounts were scanned in both regions, and every policy action was exercised
    assert {f.account_id for f in world.baseline} == {CALLER, world.member}
    assert {iam_action(*op) for op in world.calls} == set(policy_actions())


def test_declared_permissions_are_granted_by_the_published_policy() -> None:
    """A permission the policy does not grant could never be tested here, nor given by a user."""
    granted = set(policy_actions())
    for check in all_checks():
        assert set(check.meta.permissions) <= granted, (check.meta.id, set(check.meta.permissions) - granted)


def test_matrix_summary() -> None:
    """The figures of the run (printed with -s; docs/reliability.md quotes them)."""
    ops = {a for a, _ in MATRIX}
    print(f"\nAWS fault matrix: {len(ops)} actions x 3 faults = {len(MATRIX)} scans, false PASS {len(FALSE_PASSES)}")
    for (action, fault), checks in sorted(MATRIX.items()):
        print(f"| {action} | {fault} | {', '.join(checks) or '-'} |")
    assert not FALSE_PASSES


def test_a_lone_trail_whose_selectors_were_refused_is_not_said_to_record_nothing() -> None:
    """The matrix's GetEventSelectors case: the PASS stands (one trail cannot be billed twice),
    but the message used to claim "no trail records management events", which nobody saw."""
    from auditor.engine.checkapi import Settings
    from auditor.engine.runner import run_check
    from checks.trail_duplicate_management_copies import CHECK
    from tests.builders import denied, sound_snapshot, sound_trail, with_account

    snap = with_account(sound_snapshot(), trails=(sound_trail(event_selectors=denied("GetEventSelectors")),))
    results = run_check(snap, CHECK, Settings())
    assert results and {r.status for r in results} == {Status.PASS}
    for r in results:
        assert "no trail records" not in r.message
        assert "at most one trail" in r.message and "GetEventSelectors" in r.message

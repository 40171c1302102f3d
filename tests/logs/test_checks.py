"""The logs-* checks, run through the engine on snapshots carrying log evidence."""

from __future__ import annotations

import importlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from auditor.engine.checkapi import Check, CheckResult, Settings, Status
from auditor.engine.runner import run_check
from auditor.logs import read_local
from auditor.model.snapshot import Snapshot
from auditor.report.viewtext import EVENT_KEYS
from tests.builders import ACCOUNT, BUCKET, KEY_ARN, NOW, integrity_doc, sound_snapshot
from tests.logs.factory import FIXTURES, WIDE, event, hours, write_records

LOG_CHECKS = (
    "logs_delivery_continuity",
    "logs_trail_tampering",
    "logs_bucket_tampering",
    "logs_key_tampering",
    "logs_root_activity",
    "logs_console_login_no_mfa",
    "logs_console_login_failures",
    "logs_unauthorized_api_calls",
    "logs_iam_policy_changes",
    "logs_network_changes",
    "logs_privilege_escalation",
    "logs_unused_region_activity",
    "logs_api_call_rate_anomaly",
    "logs_api_error_rate_anomaly",
)


def check(module: str) -> Check:
    mod = importlib.import_module(f"auditor.builtin_checks.{module}")
    c: Check = mod.CHECK
    return c


def logs_only(doc: dict[str, Any] | None) -> Snapshot:
    """What `trail-auditor logs` builds: no accounts, only evidence."""
    return Snapshot(collected_at=NOW, tool_version="test", accounts=(), log_evidence=doc)


def run(module: str, snap: Snapshot, **extra: Any) -> list[CheckResult]:
    return run_check(snap, check(module), Settings(extra=extra))


def failing(results: list[CheckResult]) -> list[CheckResult]:
    return [r for r in results if r.status is Status.FAIL]


def read(tmp_path: Path, events: list[dict[str, Any]], name: str = "x.json.gz") -> dict[str, Any]:
    write_records(tmp_path / name, events)
    return read_local(tmp_path, WIDE, workers=1)


@pytest.mark.parametrize("module", LOG_CHECKS)
def test_without_log_evidence_every_check_is_not_applicable(module: str) -> None:
    results = run(module, sound_snapshot())
    assert [(r.status, r.account_id) for r in results] == [(Status.NOT_APPLICABLE, ACCOUNT)]
    assert "--logs-since" in results[0].message


@pytest.mark.parametrize("module", LOG_CHECKS)
def test_on_log_files_alone_every_check_yields_results_from_the_evidence(
    module: str, invictus_doc: dict[str, Any]
) -> None:
    results = run(module, logs_only(invictus_doc))
    assert results
    assert {r.account_id for r in results} == {c["account_id"] for c in invictus_doc["coverage"] if c["events"]}
    assert all(r.status in (Status.PASS, Status.FAIL) for r in results), [r.message for r in results]


@pytest.mark.parametrize(
    ("technique", "module", "event_name"),
    [
        ("aws.defense-evasion.cloudtrail-stop.json", "logs_trail_tampering", "StopLogging"),
        ("aws.defense-evasion.cloudtrail-delete.json", "logs_trail_tampering", "DeleteTrail"),
        ("aws.defense-evasion.cloudtrail-event-selectors.json", "logs_trail_tampering", "PutEventSelectors"),
        ("aws.initial-access.console-login-without-mfa.json", "logs_console_login_no_mfa", "ConsoleLogin"),
        ("aws.persistence.iam-create-admin-user.json", "logs_privilege_escalation", "AttachUserPolicy"),
        (
            "aws.exfiltration.ec2-security-group-open-port-22-ingress.json",
            "logs_network_changes",
            "AuthorizeSecurityGroupIngress",
        ),
    ],
)
def test_stratus_detonation_is_detected_by_the_right_check(technique: str, module: str, event_name: str) -> None:
    doc = read_local(FIXTURES / "stratus" / "detonation-logs" / technique, WIDE, workers=1)
    [fail] = failing(run(module, logs_only(doc)))
    names = {e["eventName"] for e in fail.evidence["events"]}
    assert event_name in names
    assert fail.evidence["total"] >= 1
    sample = fail.evidence["events"][0]
    for field in EVENT_KEYS:  # every column the report leads with
        assert field in sample


def test_detonation_of_one_technique_does_not_trip_unrelated_checks() -> None:
    doc = read_local(
        FIXTURES / "stratus" / "detonation-logs" / "aws.defense-evasion.cloudtrail-stop.json", WIDE, workers=1
    )
    for module in ("logs_console_login_no_mfa", "logs_privilege_escalation", "logs_root_activity"):
        assert not failing(run(module, logs_only(doc))), module


def test_update_trail_is_tampering(tmp_path: Path) -> None:
    t = datetime(2026, 11, 19, tzinfo=UTC)
    doc = read(tmp_path, [event("UpdateTrail", t, source="cloudtrail.amazonaws.com")])
    [fail] = failing(run("logs_trail_tampering", logs_only(doc)))
    assert fail.evidence["events"][0]["eventName"] == "UpdateTrail"


def test_account_whose_files_could_not_be_read_is_error_not_pass(tmp_path: Path) -> None:
    (tmp_path / f"{ACCOUNT}_CloudTrail_us-east-1_20261119T1200Z_abc.json.gz").write_bytes(b"\x1f\x8b junk")
    doc = read_local(tmp_path, WIDE, workers=1)
    snap = replace(sound_snapshot(), log_evidence=doc)
    for module in ("logs_trail_tampering", "logs_unauthorized_api_calls"):
        results = run(module, snap)
        assert {r.status for r in results} == {Status.ERROR}, module
        assert "no log file could be read" in results[0].message
        assert results[0].evidence["file_problems"][0]["path"].endswith(".json.gz")


def test_account_with_no_event_in_the_window_is_error(tmp_path: Path) -> None:
    t = datetime(2026, 11, 19, tzinfo=UTC)
    doc = read(tmp_path, [event("CreateVpc", t, account="999999999999")])
    [res] = run("logs_trail_tampering", replace(sound_snapshot(), log_evidence=doc))
    assert res.status is Status.ERROR and res.account_id == ACCOUNT


def test_partial_file_problems_keep_the_verdict_and_are_named(tmp_path: Path) -> None:
    t = datetime(2026, 11, 19, tzinfo=UTC)
    write_records(tmp_path / "good.json.gz", [event("StopLogging", t, source="cloudtrail.amazonaws.com")])
    (tmp_path / "bad.json").write_bytes(b"{not json")
    doc = read_local(tmp_path, WIDE, workers=1)
    [fail] = failing(run("logs_trail_tampering", logs_only(doc)))
    assert "could not be fully read" in fail.message
    assert fail.evidence["file_problems"][0]["path"].endswith("bad.json")


def test_bucket_tampering_is_restricted_to_the_trail_bucket(tmp_path: Path) -> None:
    t = datetime(2026, 11, 19, tzinfo=UTC)
    params = {"requestParameters": {"bucketName": "someone-elses-bucket", "bucketPolicy": {}}}
    doc = read(tmp_path, [event("PutBucketPolicy", t, source="s3.amazonaws.com", **params), event("CreateVpc", t)])
    assert not failing(run("logs_bucket_tampering", replace(sound_snapshot(), log_evidence=doc)))
    alone = failing(run("logs_bucket_tampering", logs_only(doc)))
    assert alone and "no trail known" in alone[0].message
    doc2 = read(
        tmp_path / "2",
        [event("PutBucketPolicy", t, source="s3.amazonaws.com", requestParameters={"bucketName": BUCKET})],
    )
    [fail] = failing(run("logs_bucket_tampering", replace(sound_snapshot(), log_evidence=doc2)))
    assert fail.evidence["resources"] == [BUCKET]


def test_key_tampering_on_the_trail_key_fails(tmp_path: Path) -> None:
    t = datetime(2026, 11, 19, tzinfo=UTC)
    doc = read(
        tmp_path,
        [
            event("ScheduleKeyDeletion", t, source="kms.amazonaws.com", requestParameters={"keyId": KEY_ARN}),
            event("DisableKey", t, source="kms.amazonaws.com", requestParameters={"keyId": "other-key"}),
        ],
    )
    [fail] = failing(run("logs_key_tampering", replace(sound_snapshot(), log_evidence=doc)))
    assert [e["eventName"] for e in fail.evidence["events"]] == ["ScheduleKeyDeletion"]


def test_root_activity_but_not_service_invoked_root_events(tmp_path: Path) -> None:
    t = datetime(2026, 11, 19, tzinfo=UTC)
    root = {"type": "Root", "arn": f"arn:aws:iam::{ACCOUNT}:root", "accountId": ACCOUNT}
    by_service = {**root, "invokedBy": "support.amazonaws.com"}
    doc = read(
        tmp_path, [event("DescribeInstances", t, userIdentity=root), event("ListRoles", t, userIdentity=by_service)]
    )
    [fail] = failing(run("logs_root_activity", logs_only(doc)))
    assert fail.evidence["total"] == 1


def _login_failure(t: datetime, user: str = "bob", ip: str = "203.0.113.9") -> dict[str, Any]:
    return event(
        "ConsoleLogin",
        t,
        source="signin.amazonaws.com",
        user=user,
        sourceIPAddress=ip,
        errorMessage="Failed authentication",
        responseElements={"ConsoleLogin": "Failure"},
    )


def test_five_failed_logins_in_fifteen_minutes_fail_four_do_not(tmp_path: Path) -> None:
    t = datetime(2026, 11, 19, 10, tzinfo=UTC)
    four = [_login_failure(t + timedelta(minutes=4 * i)) for i in range(4)]
    assert not failing(run("logs_console_login_failures", logs_only(read(tmp_path / "a", four))))
    spread = [_login_failure(t + timedelta(minutes=10 * i)) for i in range(5)]  # 40 minutes
    assert not failing(run("logs_console_login_failures", logs_only(read(tmp_path / "b", spread))))
    burst = [*four, _login_failure(t + timedelta(minutes=14))]
    [fail] = failing(run("logs_console_login_failures", logs_only(read(tmp_path / "c", burst))))
    assert {o["key_type"] for o in fail.evidence["offenders"]} == {"user", "ip"}
    assert fail.evidence["offenders"][0]["failures"] == 5
    # the threshold is a setting
    assert failing(
        run("logs_console_login_failures", logs_only(read(tmp_path / "d", four)), logs_login_failures_threshold=4)
    )


def _denied(t: datetime, **kw: Any) -> dict[str, Any]:
    return event("DescribeInstances", t, errorCode="Client.UnauthorizedOperation", read_only=True, **kw)


def test_twenty_denied_calls_in_an_hour_fail_excluding_delivery_and_headbucket(tmp_path: Path) -> None:
    t = datetime(2026, 11, 19, 10, tzinfo=UTC)
    nineteen = [_denied(t + timedelta(minutes=i)) for i in range(19)]
    noise = [
        _denied(t, sourceIPAddress="delivery.logs.amazonaws.com"),
        event("HeadBucket", t, source="s3.amazonaws.com", errorCode="AccessDenied"),
    ]
    assert not failing(run("logs_unauthorized_api_calls", logs_only(read(tmp_path / "a", nineteen + noise))))
    twenty = [*nineteen, event("GetObject", t, source="s3.amazonaws.com", errorCode="AccessDenied")]
    [fail] = failing(run("logs_unauthorized_api_calls", logs_only(read(tmp_path / "b", twenty))))
    assert fail.evidence["offenders"][0]["peak_count"] == 20
    assert fail.evidence["offenders"][0]["principal"] == f"arn:aws:iam::{ACCOUNT}:user/alice"


def test_a_burst_of_one_write_api_is_a_rate_anomaly(tmp_path: Path) -> None:
    start = datetime(2026, 11, 10, tzinfo=UTC)
    evs = [event("PutObject", h, source="s3.amazonaws.com") for h in hours(start, 72)]  # 1 per hour
    spike = start + timedelta(hours=50)
    evs += [event("TerminateInstances", spike + timedelta(seconds=i)) for i in range(60)]
    evs += [event("TerminateInstances", start + timedelta(hours=5))]
    doc = read(tmp_path, evs)
    [fail] = failing(run("logs_api_call_rate_anomaly", logs_only(doc)))
    [anomaly] = fail.evidence["anomalies"]
    assert (anomaly["name"], anomaly["count"], anomaly["hour"]) == ("TerminateInstances", 60, "2026-11-12T02:00:00Z")
    assert not failing(run("logs_api_error_rate_anomaly", logs_only(doc)))


def test_a_burst_of_errors_is_an_error_rate_anomaly(tmp_path: Path) -> None:
    start = datetime(2026, 11, 10, tzinfo=UTC)
    evs = [event("DescribeInstances", h, read_only=True) for h in hours(start, 48)]
    evs += [
        event(
            "GetObject",
            start + timedelta(hours=30, seconds=i),
            source="s3.amazonaws.com",
            errorCode="NoSuchKey",
            read_only=True,
        )
        for i in range(40)
    ]
    [fail] = failing(run("logs_api_error_rate_anomaly", logs_only(read(tmp_path, evs))))
    assert fail.evidence["anomalies"][0]["name"] == "NoSuchKey"


def new_region_evidence(tmp_path: Path) -> dict[str, Any]:
    """18 days of reads in us-east-1, then one RunInstances in ap-southeast-3 near the end."""
    start = datetime(2026, 11, 1, tzinfo=UTC)
    evs = [event("DescribeInstances", start + timedelta(days=d), read_only=True) for d in range(18)]
    evs.append(event("RunInstances", datetime(2026, 11, 17, tzinfo=UTC), region="ap-southeast-3"))
    write_records(tmp_path / "x.json.gz", evs)
    from auditor.logs import LogWindow

    return read_local(tmp_path, LogWindow(start, datetime(2026, 11, 20, tzinfo=UTC)), workers=1)


def test_writes_in_a_region_unused_during_the_baseline_fail(tmp_path: Path) -> None:
    results = run("logs_unused_region_activity", logs_only(new_region_evidence(tmp_path)))
    [fail] = failing(results)
    assert fail.region == "ap-southeast-3"
    assert fail.evidence["events"][0]["eventName"] == "RunInstances"
    assert {r.region for r in results if r.status is Status.PASS} == {"us-east-1"}


def test_a_new_region_lists_as_recent_only_writes_with_a_time_since_the_cut(tmp_path: Path) -> None:
    """A document another tool wrote may hold samples whose eventTime is null or not a time."""
    doc = new_region_evidence(tmp_path)
    [new] = [c for c in doc["coverage"] if c["region"] == "ap-southeast-3"]
    [real] = new["first_writes"]
    new["first_writes"] = [
        {**real, "eventTime": None, "eventID": "no-time"},
        {**real, "eventTime": "not-a-date", "eventID": "bad-time"},
        real,
    ]
    [fail] = failing(run("logs_unused_region_activity", logs_only(doc)))
    assert [e["eventID"] for e in fail.evidence["events"]] == [real["eventID"]]
    assert fail.evidence["events"][0]["eventTime"] == "2026-11-17T00:00:00Z"


def test_delivery_gap_in_events_fails(tmp_path: Path) -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    evs = [event("DescribeInstances", h, read_only=True) for h in hours(start, 10)]
    evs += [event("DescribeInstances", h, read_only=True) for h in hours(start + timedelta(hours=40), 5)]
    doc = read(tmp_path, evs)
    [fail] = failing(run("logs_delivery_continuity", logs_only(doc)))
    assert fail.evidence["event_gaps"][0]["hours"] == 30
    assert not failing(run("logs_delivery_continuity", logs_only(doc), logs_gap_tolerance_hours=31))


def test_digest_gaps_from_integrity_fail_beyond_two_hours(tmp_path: Path) -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    doc = read(tmp_path, [event("DescribeInstances", h, read_only=True) for h in hours(start, 10)])
    gap = {
        "account_id": ACCOUNT,
        "region": "us-east-1",
        "trail_arn": "arn:aws:cloudtrail:x",
        "start": "2026-11-01T02:00:00Z",
        "end": "2026-11-01T05:00:00Z",
        "hours": 3,
    }
    short = {**gap, "hours": 2}
    snap = replace(logs_only(doc), integrity=integrity_doc(digest_gaps=[gap]))
    [fail] = failing(run("logs_delivery_continuity", snap))
    assert fail.evidence["digest_gaps"] == [gap]
    snap2 = replace(logs_only(doc), integrity=integrity_doc(digest_gaps=[short]))
    assert not failing(run("logs_delivery_continuity", snap2))


def test_iam_policy_changes_are_listed_for_review(invictus_doc: dict[str, Any]) -> None:
    results = run("logs_iam_policy_changes", logs_only(invictus_doc))
    [fail] = failing(results)
    assert fail.evidence["total"] == 26
    assert len(fail.evidence["events"]) == 26

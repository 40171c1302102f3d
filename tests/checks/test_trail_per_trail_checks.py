"""Per-trail checks: trail-management-events, -log-file-validation, -kms-encryption,
-delivery-health, -cloudwatch-logs (run through the engine)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from auditor.engine.checkapi import CheckResult, Settings, Status
from auditor.model.snapshot import (
    BasicEventSelector,
    EventSelectors,
    FieldSelector,
    Snapshot,
    TrailStatus,
)
from tests.builders import (
    RECENT,
    advanced_management,
    denied,
    run_by_id,
    sound_snapshot,
    sound_trail,
    with_account,
    with_trail,
)

OLD = "2026-11-18T12:00:00Z"  # 48 h before the snapshot's collection time


def only(check_id: str, snap: Snapshot, settings: Settings | None = None) -> CheckResult:
    res = run_by_id(check_id, snap, settings)
    assert len(res) == 1, res
    return res[0]


PER_TRAIL = [
    "trail-management-events",
    "trail-log-file-validation",
    "trail-kms-encryption",
    "trail-delivery-health",
    "trail-cloudwatch-logs",
]


@pytest.mark.parametrize("check_id", PER_TRAIL)
def test_sound_trail_passes(check_id: str) -> None:
    res = only(check_id, sound_snapshot())
    assert res.status is Status.PASS
    assert res.resource_type == "AwsCloudTrailTrail"
    assert res.resource_arn == sound_trail().arn
    assert res.region == "us-east-1"


@pytest.mark.parametrize("check_id", PER_TRAIL)
def test_account_without_trail_is_not_applicable(check_id: str) -> None:
    res = only(check_id, with_account(sound_snapshot(), trails=()))
    assert res.status is Status.NOT_APPLICABLE
    assert res.message == "no trail in this account"


@pytest.mark.parametrize("check_id", PER_TRAIL)
def test_one_result_per_owned_trail(check_id: str) -> None:
    second = sound_trail(arn=sound_trail().arn.replace("org-trail", "second"), name="second")
    res = run_by_id(check_id, with_account(sound_snapshot(), trails=(sound_trail(), second)))
    assert sorted(r.resource_id for r in res) == ["org-trail", "second"]


# --------------------------------------------------------------------------- what fails each check


def _status(**changes: object) -> TrailStatus:
    base = sound_trail().status
    assert isinstance(base, TrailStatus)
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("check_id", "field", "value", "words"),
    [
        (
            "trail-management-events",
            "event_selectors",
            EventSelectors(basic=(BasicEventSelector(read_write_type="ReadOnly"),)),
            "no write management events",
        ),
        (
            "trail-management-events",
            "event_selectors",
            EventSelectors(basic=(BasicEventSelector(read_write_type="WriteOnly"),)),
            "no read management events",
        ),
        (
            "trail-management-events",
            "event_selectors",
            EventSelectors(basic=(BasicEventSelector(include_management_events=False),)),
            "no management events",
        ),
        (
            "trail-management-events",
            "event_selectors",
            EventSelectors(basic=(BasicEventSelector(exclude_management_event_sources=("kms.amazonaws.com",)),)),
            "kms.amazonaws.com",
        ),
        (
            "trail-management-events",
            "event_selectors",
            advanced_management(FieldSelector("eventSource", not_equals=("rdsdata.amazonaws.com",))),
            "rdsdata.amazonaws.com",
        ),
        ("trail-delivery-health", "status", _status(is_logging=False), "not logging"),
        (
            "trail-delivery-health",
            "status",
            _status(latest_delivery_error="AccessDenied"),
            "last log delivery failed: AccessDenied",
        ),
        (
            "trail-delivery-health",
            "status",
            _status(latest_digest_delivery_error="KMS.DisabledException"),
            "last digest delivery failed",
        ),
        ("trail-delivery-health", "status", _status(latest_delivery_time=OLD), "48.0 h old"),
        ("trail-delivery-health", "status", _status(latest_delivery_time=None), "no delivery recorded"),
        ("trail-kms-encryption", "kms_key_id", None, "SSE-S3"),
        ("trail-cloudwatch-logs", "cloudwatch_logs_log_group_arn", None, "no CloudWatch Logs log group"),
    ],
)
def test_trail_problem_fails_saying_why(check_id: str, field: str, value: object, words: str) -> None:
    res = only(check_id, with_trail(sound_snapshot(), **{field: value}))
    assert res.status is Status.FAIL
    assert words in res.message


# --------------------------------------------------------------------------- management events


def test_advanced_all_management_passes() -> None:
    res = only("trail-management-events", with_trail(sound_snapshot(), event_selectors=advanced_management()))
    assert res.status is Status.PASS


def test_management_events_unreadable_is_error() -> None:
    err = denied("GetEventSelectors", resource=sound_trail().arn)
    res = only("trail-management-events", with_trail(sound_snapshot(), event_selectors=err))
    assert res.status is Status.ERROR
    assert "GetEventSelectors" in res.message


def test_management_events_not_collected_is_error() -> None:
    res = only("trail-management-events", with_trail(sound_snapshot(), event_selectors=None))
    assert res.status is Status.ERROR


# --------------------------------------------------------------------------- validation, KMS


def test_log_file_validation_off_fails() -> None:
    res = only("trail-log-file-validation", with_trail(sound_snapshot(), log_file_validation_enabled=False))
    assert res.status is Status.FAIL


# --------------------------------------------------------------------------- delivery health


def test_digest_error_ignored_without_validation() -> None:
    snap = with_trail(
        sound_snapshot(), log_file_validation_enabled=False, status=_status(latest_digest_delivery_error="AccessDenied")
    )
    assert only("trail-delivery-health", snap).status is Status.PASS


def test_delivery_age_limit_is_a_setting() -> None:
    snap = with_trail(sound_snapshot(), status=_status(latest_delivery_time=OLD))
    assert only("trail-delivery-health", snap, Settings(delivery_max_age_hours=72)).status is Status.PASS


def test_delivery_exactly_recent_passes() -> None:
    snap = with_trail(sound_snapshot(), status=_status(latest_delivery_time=RECENT))
    assert only("trail-delivery-health", snap).status is Status.PASS


@pytest.mark.parametrize("check_id", ["trail-delivery-health", "trail-cloudwatch-logs"])
def test_status_unreadable_is_error(check_id: str) -> None:
    err = denied("GetTrailStatus", resource=sound_trail().arn)
    res = only(check_id, with_trail(sound_snapshot(), status=err))
    assert res.status is Status.ERROR
    assert res.evidence["collection_error"]["operation"] == "GetTrailStatus"


@pytest.mark.parametrize("check_id", ["trail-delivery-health", "trail-cloudwatch-logs"])
def test_status_not_collected_is_error(check_id: str) -> None:
    assert only(check_id, with_trail(sound_snapshot(), status=None)).status is Status.ERROR


# --------------------------------------------------------------------------- CloudWatch Logs


def test_cloudwatch_delivery_time_missing_fails_and_says_so_in_evidence() -> None:
    snap = with_trail(sound_snapshot(), status=_status(latest_cloudwatch_logs_delivery_time=None))
    res = only("trail-cloudwatch-logs", snap)
    assert res.status is Status.FAIL
    assert "no CloudWatch Logs delivery recorded" in res.message
    assert res.evidence["delivery_time_reported"] is False


def test_cloudwatch_delivery_old_fails() -> None:
    snap = with_trail(sound_snapshot(), status=_status(latest_cloudwatch_logs_delivery_time=OLD))
    assert only("trail-cloudwatch-logs", snap).status is Status.FAIL


def test_cloudwatch_delivery_error_fails() -> None:
    snap = with_trail(sound_snapshot(), status=_status(latest_cloudwatch_logs_delivery_error="AccessDenied"))
    assert only("trail-cloudwatch-logs", snap).status is Status.FAIL


def test_cloudwatch_without_role_fails() -> None:
    snap = with_trail(sound_snapshot(), cloudwatch_logs_role_arn=None)
    assert only("trail-cloudwatch-logs", snap).status is Status.FAIL


def test_cloudwatch_no_group_fails_even_with_unreadable_status() -> None:
    snap = with_trail(sound_snapshot(), cloudwatch_logs_log_group_arn=None, status=denied("GetTrailStatus"))
    assert only("trail-cloudwatch-logs", snap).status is Status.FAIL


@pytest.mark.parametrize(
    ("check_id", "field"),
    [
        ("trail-delivery-health", "latest_delivery_time"),
        ("trail-cloudwatch-logs", "latest_cloudwatch_logs_delivery_time"),
    ],
)
def test_unparseable_delivery_time_is_error(check_id: str, field: str) -> None:
    snap = with_trail(sound_snapshot(), status=_status(**{field: "yesterday"}))
    res = only(check_id, snap)
    assert res.status is Status.ERROR
    assert "not a valid timestamp" in res.message

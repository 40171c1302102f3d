"""Per-trail checks: trail-management-events, -log-file-validation, -kms-encryption,
-delivery-health, -cloudwatch-logs (run through the engine)."""

from __future__ import annotations

from dataclasses import replace
from importlib import import_module

import pytest

from auditor.engine.checkapi import Check, CheckResult, Settings, Status
from auditor.engine.runner import run_check
from auditor.model.snapshot import (
    AdvancedEventSelector,
    BasicEventSelector,
    EventSelectors,
    FieldSelector,
    Snapshot,
    TrailStatus,
)
from tests.builders import (
    RECENT,
    denied,
    sound_snapshot,
    sound_trail,
    with_account,
    with_trail,
)

OLD = "2026-11-18T12:00:00Z"  # 48 h before the snapshot's collection time


def results(check_id: str, snap: Snapshot, settings: Settings | None = None) -> list[CheckResult]:
    chk: Check = import_module("checks." + check_id.replace("-", "_")).CHECK
    return run_check(snap, chk, settings or Settings())


def only(check_id: str, snap: Snapshot, settings: Settings | None = None) -> CheckResult:
    res = results(check_id, snap, settings)
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
    res = results(check_id, with_account(sound_snapshot(), trails=(sound_trail(), second)))
    assert sorted(r.resource_id for r in res) == ["org-trail", "second"]


# --------------------------------------------------------------------------- management events


@pytest.mark.parametrize(
    ("selectors", "words"),
    [
        (EventSelectors(basic=(BasicEventSelector(read_write_type="ReadOnly"),)), "no write management events"),
        (EventSelectors(basic=(BasicEventSelector(read_write_type="WriteOnly"),)), "no read management events"),
        (EventSelectors(basic=(BasicEventSelector(include_management_events=False),)), "no management events"),
        (
            EventSelectors(basic=(BasicEventSelector(exclude_management_event_sources=("kms.amazonaws.com",)),)),
            "kms.amazonaws.com",
        ),
        (
            EventSelectors(
                advanced=(
                    AdvancedEventSelector(
                        "m",
                        (
                            FieldSelector("eventCategory", equals=("Management",)),
                            FieldSelector("eventSource", not_equals=("rdsdata.amazonaws.com",)),
                        ),
                    ),
                )
            ),
            "rdsdata.amazonaws.com",
        ),
    ],
)
def test_incomplete_management_events_fail(selectors: EventSelectors, words: str) -> None:
    res = only("trail-management-events", with_trail(sound_snapshot(), event_selectors=selectors))
    assert res.status is Status.FAIL
    assert words in res.message


def test_advanced_all_management_passes() -> None:
    sel = EventSelectors(
        advanced=(AdvancedEventSelector("m", (FieldSelector("eventCategory", equals=("Management",)),)),)
    )
    res = only("trail-management-events", with_trail(sound_snapshot(), event_selectors=sel))
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


def test_no_kms_key_fails() -> None:
    res = only("trail-kms-encryption", with_trail(sound_snapshot(), kms_key_id=None))
    assert res.status is Status.FAIL
    assert "SSE-S3" in res.message


# --------------------------------------------------------------------------- delivery health


def _status(**changes: object) -> TrailStatus:
    base = sound_trail().status
    assert isinstance(base, TrailStatus)
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (_status(is_logging=False), "not logging"),
        (_status(latest_delivery_error="AccessDenied"), "last log delivery failed: AccessDenied"),
        (_status(latest_digest_delivery_error="KMS.DisabledException"), "last digest delivery failed"),
        (_status(latest_delivery_time=OLD), "48.0 h old"),
        (_status(latest_delivery_time=None), "no delivery recorded"),
    ],
)
def test_delivery_problems_fail(status: TrailStatus, words: str) -> None:
    res = only("trail-delivery-health", with_trail(sound_snapshot(), status=status))
    assert res.status is Status.FAIL
    assert words in res.message


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


def test_no_log_group_fails() -> None:
    res = only("trail-cloudwatch-logs", with_trail(sound_snapshot(), cloudwatch_logs_log_group_arn=None))
    assert res.status is Status.FAIL
    assert "no CloudWatch Logs log group" in res.message


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

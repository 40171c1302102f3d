"""bucket-retention, bucket-hot-retention and bucket-archival-lifecycle."""

from __future__ import annotations

from auditor.builtin_checks import (
    bucket_archival_lifecycle,
    bucket_hot_retention,
    bucket_retention,
)
from auditor.engine.checkapi import Check, CheckResult, Settings, Status
from auditor.engine.runner import run_check
from auditor.model.snapshot import LifecycleRule, Snapshot, Transition
from tests.builders import denied, sound_snapshot, with_bucket, with_trail

RET = bucket_retention.CHECK
HOT = bucket_hot_retention.CHECK
ARC = bucket_archival_lifecycle.CHECK
PCI = Settings(retention_days=365, profile="pci")
HIPAA = Settings(retention_days=2190, profile="hipaa")


def run(check: Check, snap: Snapshot, settings: Settings = PCI) -> CheckResult:
    [res] = run_check(snap, check, settings)
    return res


def rules(*rs: LifecycleRule) -> Snapshot:
    return with_bucket(sound_snapshot(), lifecycle=rs)


def expire(days: int | None = None, prefix: str = "", **kw: object) -> LifecycleRule:
    return LifecycleRule(id="expire", enabled=True, prefix=prefix, expiration_days=days, **kw)  # type: ignore[arg-type]


# ----------------------------------------------------------------- bucket-retention


def test_hipaa_profile_fails_400_days_that_pci_passes() -> None:
    snap = rules(expire(400))
    assert run(RET, snap, PCI).status is Status.PASS
    res = run(RET, snap, HIPAA)
    assert res.status is Status.FAIL
    assert "hipaa" in res.message and "2190" in res.message and "400" in res.message


def test_short_expiration_fails_naming_profile_and_days() -> None:
    res = run(RET, rules(expire(90)))
    assert res.status is Status.FAIL
    assert "pci" in res.message and "365" in res.message and "90 days" in res.message


def test_short_noncurrent_expiration_fails() -> None:
    res = run(RET, rules(LifecycleRule("nc", True, noncurrent_expiration_days=30)))
    assert res.status is Status.FAIL and "noncurrent" in res.message


def test_expiration_date_judged_against_snapshot_time() -> None:
    # builders.NOW is 2026-11-20: a date 6 months later is too soon, 2 years later is fine.
    assert run(RET, rules(LifecycleRule("d", True, expiration_date="2027-05-20T00:00:00Z"))).status is Status.FAIL
    assert run(RET, rules(LifecycleRule("d", True, expiration_date="2028-12-01T00:00:00Z"))).status is Status.PASS


def test_rules_that_do_not_reach_the_logs_are_ignored() -> None:
    snap = rules(
        expire(1, prefix="other/"), expire(1, has_tag_filter=True), LifecycleRule("off", False, expiration_days=1)
    )
    assert run(RET, snap).status is Status.PASS


def test_rules_on_and_inside_the_log_prefix_apply() -> None:
    for prefix in ("AWSLogs/", "AWS", "AWSLogs/111111111111/CloudTrail/"):
        assert run(RET, rules(expire(30, prefix=prefix))).status is Status.FAIL, prefix


def test_trail_key_prefix_decides_which_rules_apply() -> None:
    snap = with_trail(rules(expire(30, prefix="AWSLogs/")), s3_key_prefix="ct")
    assert run(RET, snap).status is Status.PASS
    snap = with_trail(rules(expire(30, prefix="ct/")), s3_key_prefix="ct")
    assert run(RET, snap).status is Status.FAIL


def test_no_lifecycle_passes_with_note() -> None:
    res = run(RET, with_bucket(sound_snapshot(), lifecycle=None))
    assert res.status is Status.PASS and "nothing expires" in res.message


def test_lifecycle_unreadable_is_error_for_all_lifecycle_checks() -> None:
    snap = with_bucket(sound_snapshot(), lifecycle=denied("GetBucketLifecycleConfiguration", "s3"))
    for check in (RET, HOT, ARC):
        res = run(check, snap)
        assert res.status is Status.ERROR
        assert "GetBucketLifecycleConfiguration" in res.message


# ----------------------------------------------------------------- bucket-hot-retention


def test_early_glacier_or_deep_archive_fails() -> None:
    for cls in ("GLACIER", "DEEP_ARCHIVE"):
        res = run(HOT, rules(LifecycleRule("cold", True, transitions=(Transition(cls, 30),))))
        assert res.status is Status.FAIL and cls in res.message


def test_immediately_available_classes_pass_at_any_age() -> None:
    for cls in ("GLACIER_IR", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING"):
        snap = rules(LifecycleRule("warm", True, transitions=(Transition(cls, 0),)))
        assert run(HOT, snap).status is Status.PASS, cls


def test_hot_retention_uses_the_configured_days() -> None:
    snap = rules(LifecycleRule("cold", True, transitions=(Transition("GLACIER", 120),)))
    assert run(HOT, snap).status is Status.PASS
    assert run(HOT, snap, Settings(hot_retention_days=180)).status is Status.FAIL


def test_hot_retention_date_transition_judged_against_snapshot_time() -> None:
    snap = rules(LifecycleRule("cold", True, transitions=(Transition("GLACIER", date="2026-12-01T00:00:00Z"),)))
    assert run(HOT, snap).status is Status.FAIL


# ----------------------------------------------------------------- bucket-archival-lifecycle


def test_no_transition_fails_with_saving_estimate_from_size() -> None:
    snap = with_bucket(sound_snapshot(), lifecycle=(expire(3000),), size_bytes=1000 * 1024**3)
    res = run(ARC, snap)
    assert res.status is Status.FAIL
    assert "$19.00 per month" in res.message
    assert "$0.023" in res.message and "$0.004" in res.message
    assert res.evidence["estimated_monthly_saving_usd"] == 19.0


def test_no_lifecycle_with_unknown_size_says_so() -> None:
    res = run(ARC, with_bucket(sound_snapshot(), lifecycle=None))
    assert res.status is Status.FAIL and "size is unknown" in res.message


def test_disabled_or_unrelated_transition_does_not_count() -> None:
    snap = rules(
        LifecycleRule("off", False, transitions=(Transition("GLACIER_IR", 30),)),
        LifecycleRule("tags", True, has_tag_filter=True, transitions=(Transition("GLACIER_IR", 30),)),
    )
    assert run(ARC, snap).status is Status.FAIL


def test_no_transition_shows_the_size_in_gib_and_as_evidence() -> None:
    snap = with_bucket(sound_snapshot(), lifecycle=None, size_bytes=5 * 1024**3 // 2)
    res = run(ARC, snap)
    assert res.status is Status.FAIL
    assert "2.5 GiB in S3 Standard" in res.message and "$0.05 per month" in res.message
    assert res.evidence["size_bytes"] == 5 * 1024**3 // 2 and res.evidence["size_gib"] == 2.5


def test_unreadable_size_is_unknown_with_its_reason_not_an_error() -> None:
    refused = denied("GetMetricStatistics", service="cloudwatch")
    res = run(ARC, with_bucket(sound_snapshot(), lifecycle=None, size_bytes=refused))
    assert res.status is Status.FAIL
    assert "size is unknown" in res.message and "cloudwatch:GetMetricStatistics" in res.message
    assert "AccessDenied" in res.message and "saving" in res.message
    assert res.evidence["size_bytes"] is None
    assert res.evidence["size_unknown_reason"] == refused.reason()
    assert "estimated_monthly_saving_usd" not in res.evidence


def test_unreadable_size_keeps_a_transition_passing() -> None:
    refused = denied("GetMetricStatistics", service="cloudwatch")
    snap = rules(LifecycleRule("archive", True, transitions=(Transition("GLACIER_IR", 30),)))
    res = run(ARC, with_bucket(snap, size_bytes=refused))
    assert res.status is Status.PASS
    assert res.evidence["size_unknown_reason"] == refused.reason()


def test_no_datapoint_says_cloudwatch_has_none() -> None:
    res = run(ARC, with_bucket(sound_snapshot(), lifecycle=None, size_bytes=None))
    assert res.status is Status.FAIL and "no recent BucketSizeBytes datapoint" in res.message
    assert res.evidence["size_bytes"] is None and "size_unknown_reason" not in res.evidence

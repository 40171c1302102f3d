"""config-recorder-all-regions: per scanned region, plus global resource types per account."""

from __future__ import annotations

from auditor.builtin_checks import config_recorder_all_regions
from auditor.engine.checkapi import CheckResult, Settings, Status
from auditor.engine.runner import run_check
from auditor.model.snapshot import ConfigRecorder, Snapshot
from tests.builders import ACCOUNT, denied, sound_snapshot, with_account, with_region


def run(snap: Snapshot) -> dict[str, CheckResult]:
    results = run_check(snap, config_recorder_all_regions.CHECK, Settings())
    by_region = {r.region: r for r in results}
    assert len(by_region) == len(results)
    return by_region


def test_sound_snapshot_passes_every_region_and_global_types() -> None:
    res = run(sound_snapshot())
    assert set(res) == {"us-east-1", "eu-west-1", "global"}
    assert all(r.status is Status.PASS for r in res.values())
    assert res["eu-west-1"].account_id == ACCOUNT


def test_region_without_recorder_fails() -> None:
    res = run(with_region(sound_snapshot(), "eu-west-1", config_recorders=()))
    assert res["eu-west-1"].status is Status.FAIL
    assert "no AWS Config recorder" in res["eu-west-1"].message
    assert res["us-east-1"].status is Status.PASS


def test_stopped_or_partial_recorder_fails() -> None:
    for rec in (ConfigRecorder("default", True, False, False), ConfigRecorder("default", False, False, True)):
        res = run(with_region(sound_snapshot(), "eu-west-1", config_recorders=(rec,)))
        assert res["eu-west-1"].status is Status.FAIL


def test_unreported_recording_status_is_error_not_fail() -> None:
    rec = ConfigRecorder("default", True, False, None)
    res = run(with_region(sound_snapshot(), "eu-west-1", config_recorders=(rec,)))
    assert res["eu-west-1"].status is Status.ERROR
    assert "not reported" in res["eu-west-1"].message


def test_unreadable_recorders_are_error_in_that_region() -> None:
    err = denied("DescribeConfigurationRecorders", "config", region="eu-west-1")
    res = run(with_region(sound_snapshot(), "eu-west-1", config_recorders=err))
    assert res["eu-west-1"].status is Status.ERROR
    assert "DescribeConfigurationRecorders" in res["eu-west-1"].message
    assert res["global"].status is Status.PASS  # us-east-1 proves global types are recorded


def test_global_resource_types_not_recorded_anywhere_fails_at_account_level() -> None:
    rec = ConfigRecorder("default", True, False, True)
    snap = with_region(sound_snapshot(), "us-east-1", config_recorders=(rec,))
    res = run(snap)
    assert res["us-east-1"].status is Status.PASS
    assert res["global"].status is Status.FAIL


def test_global_types_unknown_when_only_region_recording_them_is_unreadable() -> None:
    err = denied("DescribeConfigurationRecorders", "config")
    res = run(with_region(sound_snapshot(), "us-east-1", config_recorders=err))
    assert res["global"].status is Status.ERROR


def test_account_without_scanned_regions_is_not_applicable() -> None:
    res = run(with_account(sound_snapshot(), regions=()))
    assert [r.status for r in res.values()] == [Status.NOT_APPLICABLE]


def test_meta_names_cis_and_is_account_section() -> None:
    meta = config_recorder_all_regions.META
    assert meta.section == "account" and meta.severity.value == "medium"
    assert any("CIS" in r for r in meta.references)
    assert meta.remediation.cli.startswith("aws configservice")
    assert meta.remediation.terraform.startswith("resource ")

"""logs-digest-integrity judges the integrity report in the snapshot, through the engine."""

from __future__ import annotations

import importlib
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from auditor.engine.checkapi import Check, CheckResult, Settings, Severity, Status
from auditor.engine.runner import run_check
from auditor.integrity import FileKeySource, verify_local
from auditor.integrity.fixtures import build_chain, utc, write_objects
from auditor.model.snapshot import Snapshot
from tests.builders import ACCOUNT, REGION, TRAIL_ARN, listing_denied, sound_snapshot, with_trail

CHECK: Check = importlib.import_module("auditor.builtin_checks.logs_digest_integrity").CHECK
KeyPair = tuple[rsa.RSAPrivateKey, list[dict[str, str]]]
START = utc(2026, 11, 19)


def _report(tmp_path: Path, key: KeyPair, *, tamper: bool = False, account: str = ACCOUNT) -> dict[str, Any]:
    chain = build_chain("acme-cloudtrail-logs", None, account, REGION, START, 6, key[0])
    if tamper:
        gone = chain.logs_of[chain.digest_keys[2]][0]
        chain.objects = [o for o in chain.objects if o.key != gone]
    write_objects(tmp_path, chain.objects)
    report = verify_local(tmp_path, START, START + timedelta(hours=6), FileKeySource.from_entries(key[1]))
    return report.to_dict()


def _run(snapshot: Snapshot) -> list[CheckResult]:
    return run_check(snapshot, CHECK, Settings())


def test_meta_is_critical_with_the_references_and_permissions() -> None:
    meta = CHECK.meta
    assert (meta.id, meta.severity, meta.section, meta.resource_type) == (
        "logs-digest-integrity",
        Severity.CRITICAL,
        "logs",
        "AwsCloudTrailTrail",
    )
    assert {"PCI DSS 10.3.4", "HIPAA 164.312(c)(1)", "GDPR Art. 32"} <= set(meta.references)
    assert any("SI-7" in r for r in meta.references)
    assert set(meta.permissions) == {
        "cloudtrail:DescribeTrails",
        "s3:GetObject",
        "s3:ListBucket",
        "cloudtrail:ListPublicKeys",
    }
    assert "validate-logs" in meta.remediation.cli
    assert "enable_log_file_validation = true" in meta.remediation.terraform


def test_without_validation_run_each_account_is_not_applicable() -> None:
    results = _run(sound_snapshot())
    assert [(r.status, r.account_id) for r in results] == [(Status.NOT_APPLICABLE, ACCOUNT)]
    assert results[0].message == "digest validation was not run"


def test_clean_chain_passes(tmp_path: Path, signing_key: KeyPair) -> None:
    results = _run(sound_snapshot(integrity=_report(tmp_path, signing_key)))
    assert [(r.status, r.resource_arn, r.region) for r in results] == [(Status.PASS, TRAIL_ARN, REGION)]
    assert results[0].evidence["digests_valid"] == 6


def test_missing_log_file_fails_with_the_failure_in_evidence(tmp_path: Path, signing_key: KeyPair) -> None:
    results = _run(sound_snapshot(integrity=_report(tmp_path, signing_key, tamper=True)))
    assert [r.status for r in results] == [Status.FAIL]
    evidence = results[0].evidence
    assert evidence["failure_counts"] == {"log_file_missing": 1}
    assert evidence["failures"][0]["failure_kind"] == "log_file_missing"
    assert "log file missing" in results[0].message


def test_failure_list_is_capped_at_fifty_with_full_counts(tmp_path: Path, signing_key: KeyPair) -> None:
    doc = _report(tmp_path, signing_key)
    template = doc["files"][1]
    doc["files"] = doc["files"] + [
        {**template, "path": f"log-{i}", "status": "missing", "failure_kind": "log_file_missing"} for i in range(70)
    ]
    result = _run(sound_snapshot(integrity=doc))[0]
    assert result.status is Status.FAIL
    assert len(result.evidence["failures"]) == 50
    assert result.evidence["failures_total"] == 70


def test_trail_with_validation_off_is_not_applicable(tmp_path: Path, signing_key: KeyPair) -> None:
    snap = with_trail(
        sound_snapshot(integrity=_report(tmp_path, signing_key, tamper=True)), log_file_validation_enabled=False
    )
    assert [r.status for r in _run(snap)] == [Status.NOT_APPLICABLE]


def test_unreadable_source_is_an_error(tmp_path: Path, signing_key: KeyPair) -> None:
    doc = _report(tmp_path, signing_key)
    doc["files"] = []
    doc["errors"] = [listing_denied()]
    result = _run(sound_snapshot(integrity=doc))[0]
    assert result.status is Status.ERROR
    assert "AccessDenied" in result.message


def test_chain_with_no_digest_at_all_fails(tmp_path: Path, signing_key: KeyPair) -> None:
    doc = _report(tmp_path, signing_key)
    doc["files"] = []
    assert [r.status for r in _run(sound_snapshot(integrity=doc))] == [Status.FAIL]


def test_offline_snapshot_without_accounts_takes_its_scope_from_the_report(
    tmp_path: Path, signing_key: KeyPair
) -> None:
    snap = replace(sound_snapshot(integrity=_report(tmp_path, signing_key, account="333333333333")), accounts=())
    results = _run(snap)
    assert [(r.status, r.account_id) for r in results] == [(Status.PASS, "333333333333")]


def test_account_not_covered_by_the_run_is_not_applicable(tmp_path: Path, signing_key: KeyPair) -> None:
    snap = sound_snapshot(integrity=_report(tmp_path, signing_key, account="333333333333"))
    statuses = sorted((r.account_id, r.status.value) for r in _run(snap))
    assert statuses == [("111111111111", "NOT_APPLICABLE"), ("333333333333", "PASS")]


def test_region_a_single_region_trail_does_not_cover_is_not_applicable(tmp_path: Path, signing_key: KeyPair) -> None:
    doc = _report(tmp_path, signing_key)
    doc["validated"].append({"account_id": ACCOUNT, "region": "eu-west-1", "trail_arn": TRAIL_ARN})
    snap = with_trail(sound_snapshot(integrity=doc), is_multi_region=False)
    statuses = sorted((r.region, r.status.value) for r in _run(snap))
    assert statuses == [("eu-west-1", "NOT_APPLICABLE"), (REGION, "PASS")]

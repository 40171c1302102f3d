"""Never a PASS on unread logs: the logs-* checks on evidence that could not be read.

The evidence documents are produced by the real readers (``auditor.logs.read_local``
and ``auditor.integrity.verify_local``) from files written here, so the shape is
the one a scan stores, not a hand-made imitation.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from auditor.engine.checkapi import Check, CheckResult, Settings, Status
from auditor.engine.registry import all_checks
from auditor.engine.runner import run_check
from auditor.integrity import FileKeySource, verify_local
from auditor.integrity.fixtures import build_chain, generate_demo_key, write_objects
from auditor.logs import LogWindow, read_local, unreadable_source
from auditor.model.snapshot import AccountSnapshot, Snapshot
from tests.builders import (
    ACCOUNT,
    BUCKET,
    REGION,
    REGIONS,
    denied,
    listing_denied,
    sound_snapshot,
    with_region,
)
from tests.logs.factory import WIDE, event, hours, write_records

LOG_CHECKS = [c for c in all_checks() if c.meta.id.startswith("logs-")]
#: The checks that judge log_evidence (logs-digest-integrity judges the integrity report).
# logs-sigma-matches needs loaded rules to judge anything (NOT_APPLICABLE without them, whatever the
# files); its fail-closed behaviour with rules is tested in tests/logs/test_sigma_check.py.
EVIDENCE_CHECKS = [c for c in LOG_CHECKS if c.meta.id not in ("logs-digest-integrity", "logs-sigma-matches")]
IDS = [c.meta.id for c in EVIDENCE_CHECKS]
START = datetime(2026, 11, 19, tzinfo=UTC)


def log_key(region: str, i: int) -> str:
    """Where CloudTrail delivers log file number ``i`` (its name carries account and region)."""
    return (
        f"AWSLogs/{ACCOUNT}/CloudTrail/{region}/2026/11/19/"
        f"{ACCOUNT}_CloudTrail_{region}_20261119T{i:02d}00Z_f{i}.json.gz"
    )


def run(snap: Snapshot, check: Check) -> list[CheckResult]:
    return run_check(snap, check, Settings())


def statuses(results: list[CheckResult]) -> set[Status]:
    return {r.status for r in results}


def quiet_events(region: str, n: int = 6) -> list[list[dict[str, Any]]]:
    """One harmless read event per hour: nothing any logs-* check objects to."""
    return [[event("DescribeInstances", h, region=region, read_only=True)] for h in hours(START, n)]


@pytest.fixture(scope="module")
def unreadable_doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("unreadable")
    for region in REGIONS:
        for i in range(3):
            path = root / log_key(region, i)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"\x1f\x8b not really gzip")
    doc = read_local(root, WIDE, workers=1)
    assert doc["events_read"] == 0 and doc["file_problems"]
    return doc


@pytest.fixture(scope="module")
def empty_doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    doc = read_local(tmp_path_factory.mktemp("empty"), WIDE, workers=1)
    assert doc["files_read"] == 0
    return doc


@pytest.mark.parametrize("check", EVIDENCE_CHECKS, ids=IDS)
def test_every_file_unreadable_is_an_error_never_a_pass(check: Check, unreadable_doc: dict[str, Any]) -> None:
    results = run(sound_snapshot(log_evidence=unreadable_doc), check)
    assert results and statuses(results) == {Status.ERROR}, results
    assert all("could not" in r.message for r in results)


@pytest.mark.parametrize("check", EVIDENCE_CHECKS, ids=IDS)
def test_zero_files_read_is_an_error_never_a_pass(check: Check, empty_doc: dict[str, Any]) -> None:
    results = run(sound_snapshot(log_evidence=empty_doc), check)
    assert results and statuses(results) == {Status.ERROR}, results
    assert "nothing can be concluded" in results[0].message


@pytest.mark.parametrize("check", EVIDENCE_CHECKS, ids=IDS)
def test_a_source_that_could_not_be_opened_is_an_error(check: Check) -> None:
    window = LogWindow(START, START + timedelta(days=1))
    doc = unreadable_source(f"s3://{BUCKET}", window, "AssumeRole failed", ACCOUNT)
    results = run(sound_snapshot(log_evidence=doc), check)
    assert results and statuses(results) == {Status.ERROR}, results


@pytest.mark.parametrize("check", EVIDENCE_CHECKS, ids=IDS)
def test_an_unreadable_region_never_passes_beside_a_readable_one(check: Check, tmp_path: Path) -> None:
    """Region 1 readable and quiet, region 2 only garbage: region 2 is never PASS."""
    for i, events in enumerate(quiet_events(REGIONS[0])):
        write_records(tmp_path / log_key(REGIONS[0], i), events)
    bad = tmp_path / log_key(REGIONS[1], 0)
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_bytes(b"\x1f\x8b not really gzip")
    results = run(sound_snapshot(log_evidence=read_local(tmp_path, WIDE, workers=1)), check)
    assert not [r for r in results if r.region == REGIONS[1] and r.status is Status.PASS], results


#: Checks whose evidence is per account, not per region.
ACCOUNT_WIDE = {"logs-console-login-failures", "logs-unauthorized-api-calls"}


def test_a_scanned_region_without_any_log_coverage_is_not_silent(tmp_path: Path) -> None:
    for i, events in enumerate(quiet_events(REGIONS[0])):
        write_records(tmp_path / log_key(REGIONS[0], i), events)
    snap = sound_snapshot(log_evidence=read_local(tmp_path, WIDE, workers=1))
    silent = [
        c.meta.id
        for c in EVIDENCE_CHECKS
        if c.meta.id not in ACCOUNT_WIDE and not [r for r in run(snap, c) if r.region == REGIONS[1]]
    ]
    assert silent == []


def test_a_scanned_region_without_coverage_never_passes(tmp_path: Path) -> None:
    """Nothing PASSes for the uncovered region, and only delivery continuity may call it an error."""
    for i, events in enumerate(quiet_events(REGIONS[0])):
        write_records(tmp_path / log_key(REGIONS[0], i), events)
    snap = sound_snapshot(log_evidence=read_local(tmp_path, WIDE, workers=1))
    for check in EVIDENCE_CHECKS:
        results = run(snap, check)
        assert not [r for r in results if r.region == REGIONS[1] and r.status is Status.PASS]
        assert Status.ERROR not in statuses(results) or check.meta.id == "logs-delivery-continuity"


def test_a_region_with_one_unreadable_file_among_readable_ones_does_not_pass(tmp_path: Path) -> None:
    for i, events in enumerate(quiet_events(REGION)):
        write_records(tmp_path / log_key(REGION, i), events)
    (tmp_path / log_key(REGION, 23)).write_bytes(b"\x1f\x8b not really gzip")
    snap = sound_snapshot(log_evidence=read_local(tmp_path, WIDE, workers=1))
    root = next(c for c in EVIDENCE_CHECKS if c.meta.id == "logs-root-activity")
    assert Status.PASS not in statuses(run(snap, root))


# --------------------------------------------------------------------------- integrity


DIGEST = next(c for c in LOG_CHECKS if c.meta.id == "logs-digest-integrity")
KeyPair = tuple[rsa.RSAPrivateKey, list[dict[str, str]]]


@pytest.fixture(scope="module")
def key() -> KeyPair:
    return generate_demo_key()


def chain_report(root: Path, key: KeyPair) -> dict[str, Any]:
    chain = build_chain(BUCKET, None, ACCOUNT, REGION, START, 4, key[0])
    write_objects(root, chain.objects)
    report: dict[str, Any] = verify_local(
        root, START, START + timedelta(hours=4), FileKeySource.from_entries(key[1])
    ).to_dict()
    return report


def test_a_sound_chain_passes_so_the_cases_below_can_fail(tmp_path: Path, key: KeyPair) -> None:
    assert statuses(run(sound_snapshot(integrity=chain_report(tmp_path, key)), DIGEST)) == {Status.PASS}


def test_digests_whose_source_was_unreadable_are_an_error(tmp_path: Path, key: KeyPair) -> None:
    doc = chain_report(tmp_path, key)
    doc["files"] = [
        {**f, "status": "error", "failure_kind": "source_unreadable", "detail": "AccessDenied"} for f in doc["files"]
    ]
    results = run(sound_snapshot(integrity=doc), DIGEST)
    assert statuses(results) == {Status.ERROR}, results


def test_a_listing_error_without_files_is_an_error(tmp_path: Path, key: KeyPair) -> None:
    doc = chain_report(tmp_path, key)
    doc["files"] = []
    doc["errors"] = [listing_denied()]
    results = run(sound_snapshot(integrity=doc), DIGEST)
    assert statuses(results) == {Status.ERROR}, results
    assert "AccessDenied" in results[0].message


def test_zero_digests_is_a_fail(tmp_path: Path, key: KeyPair) -> None:
    doc = chain_report(tmp_path, key)
    doc["files"] = []
    results = run(sound_snapshot(integrity=doc), DIGEST)
    assert statuses(results) == {Status.FAIL}, results


def test_a_validation_run_that_found_nothing_never_passes(tmp_path: Path, key: KeyPair) -> None:
    doc: dict[str, Any] = verify_local(
        tmp_path, START, START + timedelta(hours=4), FileKeySource.from_entries(key[1])
    ).to_dict()
    for snap in (
        sound_snapshot(integrity=doc),
        Snapshot(collected_at=START.isoformat(), tool_version="t", integrity=doc),
    ):
        results = run(snap, DIGEST)
        assert results and Status.PASS not in statuses(results), results
        assert all(r.message for r in results)


# --------------------------------------------------------------------------- incomplete trail list


def _tampering(tmp_path: Path) -> dict[str, Any]:
    """A policy change on a bucket and a disabled key that no known trail uses."""
    t = START + timedelta(hours=1)
    events = [
        event(
            "PutBucketPolicy",
            t,
            source="s3.amazonaws.com",
            requestParameters={"bucketName": "other-log-bucket", "bucketPolicy": {}},
        ),
        event("DisableKey", t, source="kms.amazonaws.com", requestParameters={"keyId": "other-key"}),
        *[e for es in quiet_events(REGION) for e in es],
    ]
    write_records(tmp_path / log_key(REGION, 0), events)
    return read_local(tmp_path, WIDE, workers=1)


@pytest.mark.parametrize("check_id", ["logs-bucket-tampering", "logs-key-tampering"])
def test_changes_to_unknown_resources_pass_only_when_every_trail_is_known(check_id: str, tmp_path: Path) -> None:
    check = next(c for c in LOG_CHECKS if c.meta.id == check_id)
    doc = _tampering(tmp_path)
    complete = sound_snapshot(log_evidence=doc)
    # The region with logs passes; the scanned region without any log file says so (N/A).
    assert {r.region: r.status for r in run(complete, check)} == {
        REGION: Status.PASS,
        REGIONS[1]: Status.NOT_APPLICABLE,
    }
    unlisted = with_region(complete, REGIONS[1], trail_arns=denied("DescribeTrails", region=REGIONS[1]))
    results = [r for r in run(unlisted, check) if r.region == REGION]
    assert statuses(results) == {Status.ERROR}, results
    assert "could not be listed" in results[0].message
    gone = replace(
        complete,
        accounts=(
            *complete.accounts,
            AccountSnapshot("333333333333", access_error=denied("AssumeRole", "sts", account="333333333333")),
        ),
    )
    assert Status.PASS not in statuses([r for r in run(gone, check) if r.account_id == ACCOUNT]), run(gone, check)

"""logs-delivery-continuity in a scanned region with no log file at all."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from auditor.engine.checkapi import Status
from auditor.logs import read_local
from tests.builders import REGIONS, integrity_doc, sound_snapshot, with_trail
from tests.checks.test_fail_closed_logs import LOG_CHECKS, log_key, quiet_events, run
from tests.logs.factory import WIDE, write_records

CHECK = next(c for c in LOG_CHECKS if c.meta.id == "logs-delivery-continuity")


def _evidence_for_first_region_only(tmp_path: Path):  # type: ignore[no-untyped-def]
    for i, events in enumerate(quiet_events(REGIONS[0])):
        write_records(tmp_path / log_key(REGIONS[0], i), events)
    return read_local(tmp_path, WIDE, workers=1)


def test_region_covered_by_a_logging_trail_without_files_fails(tmp_path: Path) -> None:
    snap = sound_snapshot(log_evidence=_evidence_for_first_region_only(tmp_path))
    by_region = {r.region: r for r in run(snap, CHECK)}
    assert by_region[REGIONS[1]].status is Status.FAIL
    assert "no log file was delivered" in by_region[REGIONS[1]].message


def test_validated_digests_prove_a_quiet_region_logged(tmp_path: Path) -> None:
    snap = sound_snapshot(
        log_evidence=_evidence_for_first_region_only(tmp_path),
        integrity=integrity_doc(
            digest_gaps=[], validated=[{"account_id": "111111111111", "region": REGIONS[1], "trail_arn": "x"}]
        ),
    )
    assert {r.region: r.status for r in run(snap, CHECK)}[REGIONS[1]] is Status.PASS


def test_region_no_trail_covers_is_left_to_trail_multi_region(tmp_path: Path) -> None:
    snap = sound_snapshot(log_evidence=_evidence_for_first_region_only(tmp_path))
    single = with_trail(snap, is_multi_region=False)
    assert {r.region: r.status for r in run(single, CHECK)}[REGIONS[1]] is Status.NOT_APPLICABLE
    stopped = with_trail(snap, status=replace(snap.accounts[0].trails[0].status, is_logging=False))
    assert {r.region: r.status for r in run(stopped, CHECK)}[REGIONS[1]] is Status.NOT_APPLICABLE

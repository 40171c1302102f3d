"""scan --logs-since when no trail's logs can be read: ERROR, never 'not read'."""

from __future__ import annotations

from dataclasses import replace

from moto import mock_aws

from auditor.checkapi import Settings, Status
from auditor.collect import CollectOptions
from auditor.engine import run_check
from auditor.logscan import read_trail_evidence
from auditor.registry import all_checks
from tests.builders import sound_snapshot, with_account


@mock_aws
def test_no_readable_trail_makes_the_log_checks_errors() -> None:
    snap = with_account(sound_snapshot(), trails=())
    snap = read_trail_evidence(snap, CollectOptions(), since="1d")
    assert snap.log_evidence is not None
    for check in (c for c in all_checks() if c.meta.id in ("logs-root-activity", "logs-trail-tampering")):
        results = run_check(replace(snap, integrity=None), check, Settings())
        assert {r.status for r in results} == {Status.ERROR}, results
        (problem,) = results[0].evidence["file_problems"]
        assert "no trail owned by a scanned account" in problem["reason"]

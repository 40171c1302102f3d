"""The one Judgement type shared by the bucket, trail, alarm and log check families."""

from __future__ import annotations

from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity, Status
from auditor.engine.judgement import Judgement
from auditor.engine.trails import all_of
from auditor.model.snapshot import CollectionError, Snapshot

ERR = CollectionError("111111111111", "us-east-1", "cloudtrail", "GetTrailStatus", "AccessDenied", "no")


def test_three_values_map_to_statuses_and_back() -> None:
    assert [Judgement.of(v, "x").status for v in (True, False, None)] == [Status.PASS, Status.FAIL, Status.ERROR]
    assert [Judgement.of(v, "x").ok for v in (True, False, None)] == [True, False, None]
    assert Judgement(Status.NOT_APPLICABLE, "no bucket").ok is None
    assert Judgement.unknown("unreadable", ERR).errors == (ERR,)


def test_and_of_judgements_lets_a_failure_decide_and_an_unknown_taint() -> None:
    yes, no, unknown = Judgement.yes("a"), Judgement.no("b"), Judgement.unknown("c", ERR)
    assert all_of(yes, no, unknown) is no
    assert all_of(yes, unknown) == Judgement.unknown("c", ERR)
    assert all_of(yes, Judgement.yes("d")) == Judgement.yes("a; d")


def test_a_judgement_becomes_a_result_with_its_evidence_first() -> None:
    meta = CheckMeta("x", "X", Severity.LOW, "bucket", "AwsS3Bucket", "why", Remediation("fix"))
    ctx = CheckContext(Snapshot(collected_at="2026-01-01T00:00:00Z", tool_version="0"), meta)
    res = Judgement(Status.FAIL, "bad", {"a": 1, "b": 2}).result(
        ctx, "111111111111", "us-east-1", resource_id="b", evidence={"b": 3}
    )
    assert (res.status, res.message, res.resource_type, dict(res.evidence)) == (
        Status.FAIL,
        "bad",
        "AwsS3Bucket",
        {"a": 1, "b": 3},
    )

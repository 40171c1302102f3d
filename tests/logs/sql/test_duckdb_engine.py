"""The DuckDB engine's own fail-closed paths and its Athena-typed layout."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from auditor.engine.checkapi import Status
from auditor.logs.sql import duckdb_engine, queries
from auditor.model.errors import AuditorError
from tests.logs.factory import event, write_records
from tests.logs.test_checks import logs_only, run

SINCE, UNTIL = "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"
WHEN = datetime(2026, 1, 5, 10, tzinfo=UTC)
STAR = json.dumps({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def test_a_residual_over_the_cap_makes_its_check_error_not_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_records(
        tmp_path / "x.json.gz",
        [event("PutUserPolicy", WHEN, source="iam.amazonaws.com", requestParameters={"policyDocument": STAR})],
    )
    full = duckdb_engine.read_local(tmp_path, SINCE, UNTIL)
    assert "inline-star-policy" in [r["rule_id"] for r in full["rules"]]
    assert [r.status for r in run("logs_privilege_escalation", logs_only(full))] == [Status.FAIL]

    monkeypatch.setattr(queries, "RESIDUAL_CAP", 0)
    capped = duckdb_engine.read_local(tmp_path, SINCE, UNTIL)
    assert {"rule_id": "inline-star-policy", "reason": "more than 0 rows need the stream's evaluator"} in capped[
        "incomplete_rules"
    ]
    assert "inline-star-policy" not in [r["rule_id"] for r in capped["rules"]]
    assert [r.status for r in run("logs_privilege_escalation", logs_only(capped))] == [Status.ERROR]
    # only the checks the capped rule feeds: the others judge what they were fed
    for module in ("logs_root_activity", "logs_delivery_continuity"):
        assert run(module, logs_only(capped)) == run(module, logs_only(full)), module


def test_json_text_columns_hold_the_object_text_as_athena_reads_them(tmp_path: Path) -> None:
    ev = event("PutBucketPolicy", WHEN, source="s3.amazonaws.com", requestParameters={"bucketName": "b", "n": [1]})
    row = duckdb_engine.row_of(ev, "f", "111111111111", "us-east-1")
    assert json.loads(row["requestparameters"]) == {"bucketName": "b", "n": [1]}
    assert row["responseelements"] is None  # "responseElements": null reads as NULL
    assert row["readonly"] == "false"  # a JSON boolean in a STRING column
    assert row["useridentity"]["username"] == "alice"
    back = duckdb_engine.event_of(row)
    assert back["requestParameters"] == ev["requestParameters"] and back["userIdentity"] == ev["userIdentity"]


def test_unreadable_files_are_reported_as_the_stream_reports_them(tmp_path: Path) -> None:
    (tmp_path / "broken.json.gz").write_bytes(b"\x1f\x8b not gzip")
    doc = duckdb_engine.read_local(tmp_path, SINCE, UNTIL)
    assert doc["files_unreadable"] == 1 and doc["events_read"] == 0
    assert doc["file_problems"][0]["path"].endswith("broken.json.gz")


def test_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(AuditorError, match="does not exist"):
        duckdb_engine.read_local(tmp_path / "nope", SINCE, UNTIL)


def test_plain_files_are_projected_into_the_same_rows_the_reference_builds(tmp_path: Path) -> None:
    """The projection (msgspec + DuckDB typing) must give the table row_of gives, column for column."""
    evs = [
        event(
            "PutBucketPolicy",
            WHEN,
            source="s3.amazonaws.com",
            requestParameters={"bucketName": "b", "n": [1, 2.5], "s": 'é"x'},
        ),
        {
            **event("ConsoleLogin", WHEN, source="signin.amazonaws.com"),
            "responseElements": {"ConsoleLogin": "Failure"},
            "additionalEventData": "text",
            "resources": [{"ARN": "arn:x", "type": {"nested": True}}],
            "tlsDetails": {"tlsVersion": "TLSv1.3"},
            "readOnly": True,
        },
    ]
    path = tmp_path / "111111111111_CloudTrail_us-east-1_20260105T1000Z_x.json"
    path.write_text(json.dumps({"Records": evs}))
    params = duckdb_engine.Params(since=SINCE, until=UNTIL)
    assert duckdb_engine._project(path.read_bytes(), params) is not None, "this plain file must be projected"
    loaded = duckdb_engine.load(tmp_path, params)
    got = duckdb_engine._fetch(loaded.con, "SELECT * FROM cloudtrail")
    want = [duckdb_engine.row_of(ev, str(path), "111111111111", "us-east-1") for ev in evs]
    assert got == want  # JSON-text columns included, byte for byte
    assert loaded.part.events_read == 2 and loaded.part.file_hours


def test_a_forwarder_envelope_is_not_projected_but_loaded_the_reference_way(tmp_path: Path) -> None:
    wrapped = {**event("CreateUser", WHEN, source="iam.amazonaws.com"), "ddsource": "cloudtrail"}
    write_records(tmp_path / "x.json.gz", [wrapped])
    params = duckdb_engine.Params(since=SINCE, until=UNTIL)
    text = duckdb_engine._file_bytes(tmp_path / "x.json.gz", params)
    assert not isinstance(text, duckdb_engine.FileProblem)
    assert duckdb_engine._project(text, params) is None
    doc = duckdb_engine.read_local(tmp_path, SINCE, UNTIL)
    assert doc["events_read"] == 1 and [p["kind"] for p in doc["file_problems"]] == ["normalised"]


def test_rules_split_over_several_samples_passes_give_the_same_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past Athena's statement length the samplers go into more passes; the evidence does not change."""
    from auditor.logs.sql import passes

    evs = [
        event("StopLogging", WHEN, source="cloudtrail.amazonaws.com", requestParameters={"name": "t"}),
        event("PutUserPolicy", WHEN, source="iam.amazonaws.com", requestParameters={"policyDocument": STAR}),
        event(
            "ConsoleLogin",
            WHEN,
            source="signin.amazonaws.com",
            errorMessage="Failed authentication",
            responseElements={"ConsoleLogin": "Failure"},
        ),
        event("GetSecretValue", WHEN, errorCode="AccessDenied", read_only=True),
    ]
    write_records(tmp_path / "x.json.gz", evs)
    one = duckdb_engine.read_local(tmp_path, SINCE, UNTIL)
    rules, _, _ = duckdb_engine.targets()
    scope = queries.Scope(SINCE, UNTIL)
    assert len(duckdb_engine.plan(duckdb_engine.TABLE, scope, rules)) == 2
    monkeypatch.setattr(passes, "MAX_STATEMENT_BYTES", 12_000)
    n = len(duckdb_engine.plan(duckdb_engine.TABLE, scope, rules))
    assert n > 3
    split = duckdb_engine.read_local(tmp_path, SINCE, UNTIL)
    assert split == one
    assert one["rules"] and one["console_login_failures"] and one["access_denied"], "not vacuous"

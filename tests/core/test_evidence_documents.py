"""The typed evidence documents: LogEvidence and IntegrityDocument inside the snapshot.

They read and write back byte for byte (saved snapshots keep their SHA-256),
their shipped schemas are the generated ones, and a snapshot whose document
does not fit its model is an input error naming the file and the field.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from auditor.app.cli import main
from auditor.integrity import FileKeySource, generate_demo_key, verify_local
from auditor.integrity.fixtures import build_chain, tamper_chain, utc, write_objects
from auditor.logs import read_local
from auditor.model.errors import AuditorError, ValidationError
from auditor.model.integrity_report import FailureKind, FileKind, FileStatus, IntegrityDocument
from auditor.model.log_evidence import AnomalyKind, LogEvidence, ProblemKind
from auditor.model.package_data import schema_text
from auditor.model.schemagen import GENERATED
from auditor.model.snapshot import Snapshot
from auditor.model.snapshot_io import load_snapshot, save_snapshot
from tests.builders import sound_snapshot
from tests.logs.factory import FIXTURES, WIDE

START = utc(2026, 11, 19)


@pytest.fixture(scope="module")
def stratus_doc() -> dict[str, Any]:
    """Real detonation logs with Sigma rules: rules, samples, coverage, sigma matches."""
    return read_local(FIXTURES / "stratus" / "detonation-logs", WIDE, rules_dir=FIXTURES / "sigma" / "rules", workers=1)


@pytest.fixture(scope="module")
def integrity_doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A validated chain with a log file modified and one deleted: files, failures, counts, found spans."""
    root = tmp_path_factory.mktemp("chain")
    private, public = generate_demo_key()
    trail_arn = "arn:aws:cloudtrail:us-east-1:111111111111:trail/t"
    chain = build_chain("logs", None, "111111111111", "us-east-1", START, 4, private, trail_arn=trail_arn)
    tamper_chain(chain)  # one log file modified, one deleted
    write_objects(root, chain.objects)
    doc: dict[str, Any] = verify_local(
        root, START, START + timedelta(hours=4), FileKeySource.from_entries(public)
    ).to_dict()
    return doc


def test_log_evidence_reads_and_writes_back_byte_for_byte(stratus_doc: dict[str, Any]) -> None:
    typed = LogEvidence.from_dict(stratus_doc)
    assert typed.rules and typed.sigma.matches and typed.coverage  # the document is not trivially empty
    assert json.dumps(typed.to_dict()) == json.dumps(stratus_doc)


def test_integrity_document_reads_and_writes_back_byte_for_byte(integrity_doc: dict[str, Any]) -> None:
    typed = IntegrityDocument.from_dict(integrity_doc)
    assert typed.failure_counts == {FailureKind.LOG_FILE_MISSING: 1, FailureKind.LOG_FILE_MODIFIED: 1}
    assert json.dumps(typed.to_dict()) == json.dumps(integrity_doc)


def test_documents_are_typed_with_enums_when_a_snapshot_is_built(
    stratus_doc: dict[str, Any], integrity_doc: dict[str, Any]
) -> None:
    doc = {
        **stratus_doc,
        "file_problems": [{"path": "x.json", "reason": "not JSON", "kind": "unreadable"}],
        "rate_anomalies": [
            {
                "kind": "api_call",
                "account_id": "1",
                "region": "r",
                "name": "n",
                "hour": "2026-11-19T01:00:00Z",
                "count": 30,
                "baseline_mean": 1.0,
                "baseline_stdev": 0.5,
                "threshold": 2.5,
            }
        ],
    }
    snap = Snapshot(collected_at="2026-11-20T00:00:00Z", tool_version="t", log_evidence=doc, integrity=integrity_doc)
    assert isinstance(snap.log_evidence, LogEvidence) and isinstance(snap.integrity, IntegrityDocument)
    assert snap.log_evidence.file_problems[0].kind is ProblemKind.UNREADABLE
    assert snap.log_evidence.rate_anomalies[0].kind is AnomalyKind.API_CALL
    statuses = {(f.kind, f.status) for f in snap.integrity.files}
    assert (FileKind.LOG, FileStatus.MISSING) in statuses and (FileKind.DIGEST, FileStatus.VALID) in statuses


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_shipped_schemas_are_the_generated_ones(name: str) -> None:
    assert json.loads(schema_text(name)) == GENERATED[name](), f"regenerate: python -m auditor.model.schemagen {name}"


def test_the_shipped_schemas_accept_the_documents_the_readers_write(
    stratus_doc: dict[str, Any], integrity_doc: dict[str, Any]
) -> None:
    jsonschema.validate(stratus_doc, json.loads(schema_text("log-evidence.schema.json")))
    jsonschema.validate(integrity_doc, json.loads(schema_text("integrity.schema.json")))


def test_a_saved_snapshot_with_both_documents_loads_typed_with_its_digest(
    tmp_path: Path, stratus_doc: dict[str, Any], integrity_doc: dict[str, Any]
) -> None:
    snap = sound_snapshot(log_evidence=stratus_doc, integrity=integrity_doc)
    path = tmp_path / "snap.json"
    digest = save_snapshot(snap, path)
    loaded = load_snapshot(path)
    assert loaded.sha256() == digest
    assert loaded.log_evidence == snap.log_evidence and isinstance(loaded.log_evidence, LogEvidence)
    assert json.loads(path.read_text())["snapshot"]["log_evidence"] == stratus_doc


def _saved_with(tmp_path: Path, section: str, doc: dict[str, Any]) -> Path:
    """A snapshot file whose ``section`` document is ``doc``, with a digest that matches."""
    body = sound_snapshot().to_dict()
    body[section] = doc
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"format": "trail-auditor-snapshot", "sha256": "0" * 64, "snapshot": body}))
    return path


@pytest.mark.parametrize(
    ("section", "change", "field"),
    [
        ("log_evidence", {"files_read": "many"}, r"log_evidence\.files_read"),
        ("log_evidence", {"coverage": [{"account_id": "1", "region": "r"}]}, r"log_evidence\.coverage\[0\]"),
        ("log_evidence", {"surprise": 1}, r"log_evidence"),
        (
            "integrity",
            {
                "files": [
                    {
                        "kind": "digest",
                        "path": "p",
                        "status": "fine",
                        "failure_kind": None,
                        "detail": "",
                        "account_id": "1",
                        "region": "r",
                        "trail_arn": "",
                    }
                ]
            },
            r"integrity\.files\[0\]\.status",
        ),
        (
            "integrity",
            {
                "digest_gaps": [
                    {
                        "account_id": "1",
                        "region": "r",
                        "trail_arn": "",
                        "start": "yesterday",
                        "end": "2026-11-19T01:00:00Z",
                        "hours": 1,
                    }
                ]
            },
            r"integrity\.digest_gaps\[0\]\.start",
        ),
    ],
)
def test_a_malformed_document_is_an_input_error_naming_file_and_field(
    tmp_path: Path,
    stratus_doc: dict[str, Any],
    integrity_doc: dict[str, Any],
    section: str,
    change: dict[str, Any],
    field: str,
) -> None:
    base = stratus_doc if section == "log_evidence" else integrity_doc
    path = _saved_with(tmp_path, section, {**base, **change})
    with pytest.raises(ValidationError, match=r"bad\.json: .*" + field):
        load_snapshot(path)


def test_a_partial_document_is_an_input_error(tmp_path: Path) -> None:
    path = _saved_with(tmp_path, "integrity", {"digest_gaps": []})
    with pytest.raises(AuditorError, match=r"bad\.json: integrity"):
        load_snapshot(path)


def test_evaluating_a_snapshot_with_a_malformed_document_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stratus_doc: dict[str, Any]
) -> None:
    path = _saved_with(tmp_path, "log_evidence", {**stratus_doc, "events_read": -1})
    assert main(["evaluate", str(path), "--output-dir", str(tmp_path / "out"), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bad.json" in err and "log_evidence.events_read" in err, err

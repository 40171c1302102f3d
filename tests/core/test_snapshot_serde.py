"""Snapshots round-trip through JSON, validate against the shipped schema, and detect tampering."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from auditor.model.errors import AuditorError, ValidationError
from auditor.model.package_data import schema_text
from auditor.model.schemagen import snapshot_schema
from auditor.model.snapshot import CollectionError, Snapshot
from auditor.model.snapshot_io import load_snapshot, save_snapshot
from tests.builders import denied, sound_snapshot, with_bucket, with_trail


def _tricky() -> Snapshot:
    snap = with_trail(sound_snapshot(), status=denied("GetTrailStatus"), insight_selectors=denied("x"))
    return with_bucket(snap, lifecycle=None, policy=denied("GetBucketPolicy", "s3"))


def test_round_trip_keeps_errors_distinct_from_data() -> None:
    snap = _tricky()
    again = Snapshot.from_dict(json.loads(json.dumps(snap.to_dict())))
    assert again == snap
    assert isinstance(again.accounts[0].trails[0].status, CollectionError)
    assert again.buckets[0].lifecycle is None


def test_shipped_schema_is_the_generated_one() -> None:
    assert json.loads(schema_text("snapshot.schema.json")) == snapshot_schema()


def test_schema_accepts_snapshots_and_rejects_unknown_fields() -> None:
    schema = snapshot_schema()
    doc = _tricky().to_dict()
    jsonschema.validate(doc, schema)
    doc["accounts"][0]["trails"][0]["is_loging"] = True
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, schema)


def test_save_and_load_verify_sha256(tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    digest = save_snapshot(_tricky(), path)
    assert load_snapshot(path) == _tricky()
    assert digest == _tricky().sha256()
    doc = json.loads(path.read_text())
    doc["snapshot"]["accounts"][0]["trails"][0]["log_file_validation_enabled"] = False
    path.write_text(json.dumps(doc))
    with pytest.raises(AuditorError, match="SHA-256 mismatch"):
        load_snapshot(path)


def test_load_names_file_and_field_on_schema_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    doc = {"format": "trail-auditor-snapshot", "sha256": "0", "snapshot": sound_snapshot().to_dict()}
    doc["snapshot"]["accounts"][0]["trails"][0]["is_multi_region"] = "yes"
    path.write_text(json.dumps(doc))
    with pytest.raises(ValidationError, match=r"bad\.json: accounts\[0\]\.trails\[0\]\.is_multi_region"):
        load_snapshot(path)


def test_load_rejects_non_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("[1, 2]")
    with pytest.raises(AuditorError, match="not a trail-auditor snapshot"):
        load_snapshot(path)

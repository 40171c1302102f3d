"""Issue 17 item 5: a bad, linked or planted history entry is reported and passed over, never obeyed.

The store is a trust boundary (docs/security.md): these tests hold what the
tool does when someone other than the scheduled scan wrote into it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from moto import mock_aws

from auditor.app.cli import main
from auditor.engine.checkapi import Status
from auditor.gate.history import LocalStore, key_for, new_failures, record
from auditor.model.errors import AuditorError
from auditor.model.snapshot_io import save_snapshot
from tests.builders import sound_snapshot
from tests.gate.builders import finding, results

FIRST = results([finding("a", Status.PASS)], "scan-1", "2026-11-01T10:00:00Z")
BROKEN_KEY = "2026/11/02/20261102T100000Z-scan-2.json"
THIRD = results([finding("a", Status.FAIL)], "scan-3", "2026-11-03T10:00:00Z")


def _plant(root: Path, key: str, text: str) -> Path:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_broken_latest_entry_is_reported_and_the_newest_readable_one_used(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    record(store, FIRST)
    _plant(tmp_path, BROKEN_KEY, "{not json")
    updated, previous, location = record(store, THIRD)
    assert previous is not None and previous.scan.id == "scan-1"
    assert updated.history is not None
    (problem,) = updated.history["problems"]
    assert BROKEN_KEY in problem and "not valid JSON" in problem
    assert Path(location).is_file() and new_failures(updated) == [THIRD.findings[0].id]
    # ... and the next run is not blocked either.
    fourth = results([finding("a", Status.FAIL)], "scan-4", "2026-11-04T10:00:00Z")
    _, previous4, _ = record(store, fourth)
    assert previous4 is not None and previous4.scan.id == "scan-3"


def test_linked_entry_is_not_followed(tmp_path: Path) -> None:
    """A link to a crafted document that lists every failure would silence --notify-sns."""
    store_root = tmp_path / "hist"
    LocalStore(store_root).create(key_for(FIRST), json.dumps(FIRST.to_dict()).encode())
    crafted = results([finding("a", Status.FAIL)], "scan-2", "2026-11-02T10:00:00Z")
    outside = tmp_path / "crafted.json"
    outside.write_text(json.dumps(crafted.to_dict()), encoding="utf-8")
    link = store_root / key_for(crafted)
    link.parent.mkdir(parents=True)
    link.symlink_to(outside)
    updated, previous, _ = record(LocalStore(store_root), THIRD)
    assert previous is not None and previous.scan.id == "scan-1"
    assert new_failures(updated) == [THIRD.findings[0].id]
    assert any("a link, not followed" in p for p in updated.history["problems"])  # type: ignore[index]


def test_linked_folder_is_not_followed_for_reading_or_writing(tmp_path: Path) -> None:
    store_root = tmp_path / "hist"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (store_root / "2026").mkdir(parents=True)
    (store_root / "2026" / "11").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(AuditorError, match="cannot write"):
        LocalStore(store_root).create(key_for(THIRD), b"{}")
    assert list(elsewhere.iterdir()) == []
    _plant(elsewhere, "03/20261103T100000Z-scan-3.json", json.dumps(THIRD.to_dict()))
    store = LocalStore(store_root)
    assert store.keys() == [] and any("2026/11: a link" in p for p in store.skipped())


def test_planted_entry_whose_content_does_not_match_its_key_is_refused(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    record(store, FIRST)
    # A copy of a real document under a later key: it would hide THIRD's failure as "still failing".
    planted = results([finding("a", Status.FAIL)], "scan-9", "2026-10-01T10:00:00Z")
    _plant(tmp_path, "2026/11/02/20261102T100000Z-scan-2.json", json.dumps(planted.to_dict()))
    updated, previous, _ = record(store, THIRD)
    assert previous is not None and previous.scan.id == "scan-1"
    assert any("do not match its key" in p for p in updated.history["problems"])  # type: ignore[index]


def test_planted_copy_must_match_its_key_and_has_one_spelling(tmp_path: Path) -> None:
    """A copy number (``~2``: the second evaluation in a second) loosens nothing of the key check."""
    store = LocalStore(tmp_path)
    record(store, FIRST)
    planted = results([finding("a", Status.FAIL)], "scan-9", "2026-10-01T10:00:00Z")
    _plant(tmp_path, "2026/11/02/20261102T100000Z-scan-2~2.json", json.dumps(planted.to_dict()))
    for odd in ("~1", "~02", "~1000", "~"):  # not a copy number key_for writes: not an entry at all
        _plant(tmp_path, f"2026/11/02/20261102T100000Z-scan-2{odd}.json", json.dumps(planted.to_dict()))
    assert len(store.keys()) == 2
    updated, previous, _ = record(store, THIRD)
    assert previous is not None and previous.scan.id == "scan-1"
    (problem,) = updated.history["problems"]  # type: ignore[index]
    assert "scan-2~2.json" in problem and "do not match its key" in problem


def test_errors_about_an_entry_never_quote_its_content(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    _plant(tmp_path, "2026/11/01/20261101T100000Z-a.json", "SECRET-abc123 not json")
    _plant(tmp_path, "2026/11/01/20261101T110000Z-b.json", json.dumps({"schema_version": "SECRET-abc123"}))
    _plant(tmp_path, "2026/11/01/20261101T120000Z-c.json", json.dumps("SECRET-abc123"))
    updated, previous, _ = record(store, THIRD)
    problems = updated.history["problems"]  # type: ignore[index]
    assert previous is None and len(problems) == 3
    assert not any("SECRET" in p for p in problems), problems


def test_cli_with_a_broken_latest_entry_writes_results_and_history(tmp_path: Path) -> None:
    snap = tmp_path / "snap.json"
    save_snapshot(sound_snapshot(), snap)
    hist, out = tmp_path / "hist", tmp_path / "out"
    args = ["evaluate", str(snap), "--history", str(hist), "--output-dir", str(out), "--format", "json", "--quiet"]
    first = main(args)
    assert first in (0, 1, 3)
    (stored,) = LocalStore(hist).keys()
    (out / "results.json").unlink()
    # The latest entry is now broken, and a second earlier than it was, so that it is earlier than the
    # next run whichever second that falls in (history is keyed by evaluation time + scan id).
    day, name = stored.rsplit("/", 1)
    stamp, rest = name.split("-", 1)
    earlier = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ") - timedelta(seconds=1)
    entry = f"{day}/{earlier:%Y%m%dT%H%M%SZ}-{rest}"
    (hist / stored).rename(hist / entry)
    (hist / entry).write_text("{broken", encoding="utf-8")
    assert main(args) == first
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert any(entry in p for p in doc["history"]["problems"])
    assert len(LocalStore(hist).keys()) == 2


@mock_aws
def test_unlistable_store_still_gets_results_written_first(tmp_path: Path) -> None:
    snap = tmp_path / "snap.json"
    save_snapshot(sound_snapshot(), snap)
    out = tmp_path / "out"
    code = main(
        [
            "evaluate",
            str(snap),
            "--history",
            "s3://no-such-bucket/hist",
            "--output-dir",
            str(out),
            "--format",
            "json",
            "--quiet",
        ]
    )
    assert code == 2
    assert json.loads((out / "results.json").read_text(encoding="utf-8"))["findings"]

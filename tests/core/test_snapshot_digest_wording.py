"""The snapshot digest claims only what an unkeyed hash proves (issue 17, item 12)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.model.errors import AuditorError
from auditor.model.snapshot_io import load_snapshot, save_snapshot
from tests.builders import sound_snapshot


def test_digest_mismatch_is_called_a_corruption_check_not_tamper_proof(tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    save_snapshot(sound_snapshot(), path)
    doc = json.loads(path.read_text())
    doc["sha256"] = "\x1b]0;forged\x07" + "0" * 500
    path.write_text(json.dumps(doc))
    with pytest.raises(AuditorError) as caught:
        load_snapshot(path)
    message = str(caught.value)
    assert "corruption check" in message
    assert "altered after collection" not in message
    assert "\x1b" not in message and len(message) < 600

"""--baseline on evaluate/scan: the baseline's fail_on applies unless --fail-on is given."""

from __future__ import annotations

from pathlib import Path

from auditor.app.cli import main
from auditor.model.snapshot_io import save_snapshot
from tests.builders import sound_snapshot, with_trail


def _snapshot(tmp_path: Path) -> Path:
    path = tmp_path / "snap.json"
    save_snapshot(with_trail(sound_snapshot(), is_multi_region=False), path)  # high-severity FAILs
    return path


def test_baseline_fail_on_is_used_when_main_is_called_in_process(tmp_path: Path) -> None:
    snap = _snapshot(tmp_path)
    lenient = tmp_path / "critical.yaml"
    lenient.write_text("version: 1\nfail_on: critical\nallow_incomplete: true\n")
    common = ["evaluate", str(snap), "--output-dir", str(tmp_path), "--format", "json", "-q"]
    assert main([*common, "--baseline", str(lenient)]) == 0
    assert main([*common, "--baseline", str(lenient), "--fail-on", "high"]) == 1
    assert main([*common, "--allow-incomplete"]) == 1  # no baseline: the default fail_on is high


def test_broken_baseline_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 2\n")
    assert main(["evaluate", str(_snapshot(tmp_path)), "--baseline", str(bad), "-q"]) == 2

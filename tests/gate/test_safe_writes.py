"""Issue 17 item 8: no output write follows a link planted before the run.

Each writer (every report format, results, snapshot, gate -o) goes through
auditor.model.fsio.write_file: a new file in the target folder, then a rename
that replaces a link instead of writing where it points. History entries go
through create_in_tree, which never replaces anything, a link included.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from auditor.app.cli import main
from auditor.engine.checkapi import Status
from auditor.model.fsio import write_file
from auditor.model.snapshot_io import save_snapshot
from auditor.report import ReportOptions, render
from tests.builders import sound_snapshot
from tests.gate.builders import finding, results

VICTIM_TEXT = "do not overwrite me\n"


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    path = tmp_path / "victim.txt"
    path.write_text(VICTIM_TEXT, encoding="utf-8")
    return path


def _assert_untouched(victim: Path, written: Path) -> None:
    assert victim.read_text(encoding="utf-8") == VICTIM_TEXT
    assert stat.S_ISREG(os.lstat(written).st_mode), f"{written} is still a link"


@pytest.mark.parametrize(
    ("fmt", "name"),
    [("json", "results.json"), ("html", "report.html"), ("csv", "findings.csv"), ("sarif", "results.sarif")],
)
def test_report_formats_replace_a_planted_link(tmp_path: Path, victim: Path, fmt: str, name: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / name).symlink_to(victim)
    written = render(results([finding("a", Status.FAIL)]), [fmt], out, ReportOptions())
    assert out / name in written
    _assert_untouched(victim, out / name)


def test_snapshot_ignores_a_planted_tmp_link_and_replaces_a_link(tmp_path: Path, victim: Path) -> None:
    snap = tmp_path / "snap.json"
    (tmp_path / "snap.json.tmp").symlink_to(victim)
    save_snapshot(sound_snapshot(), snap)
    _assert_untouched(victim, snap)
    snap.unlink()
    snap.symlink_to(victim)
    save_snapshot(sound_snapshot(), snap)
    _assert_untouched(victim, snap)
    assert json.loads(snap.read_text(encoding="utf-8"))["format"] == "trail-auditor-snapshot"


def test_gate_output_replaces_a_planted_link(tmp_path: Path, victim: Path) -> None:
    res = tmp_path / "results.json"
    res.write_text(json.dumps(results([finding("a", Status.PASS)]).to_dict()), encoding="utf-8")
    base = tmp_path / "b.yaml"
    base.write_text("version: 1\n", encoding="utf-8")
    out = tmp_path / "gated.json"
    out.symlink_to(victim)
    assert main(["gate", str(res), "--baseline", str(base), "-o", str(out), "--quiet"]) == 0
    _assert_untouched(victim, out)


def test_write_file_leaves_no_temporary_file_and_keeps_the_umask_mode(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    write_file(target, "x")
    write_file(target, b"y")
    assert target.read_text(encoding="utf-8") == "y"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask

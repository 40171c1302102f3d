"""``python -m auditor`` ignores code planted in the current directory (issue 17, item 9)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _plant(cwd: Path, marker: Path) -> None:
    """A dist-info registering a check plug-in, and a module shadowing a dependency."""
    dist = cwd / "evil_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: evil-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[trail_auditor.checks]\nevil = evil_plugin:CHECK\n")
    payload = f"import pathlib\npathlib.Path({str(marker)!r}).write_text('ran')\n"
    (cwd / "evil_plugin.py").write_text(payload + "CHECK = None\n")
    (cwd / "yaml.py").write_text(payload)
    (cwd / "jinja2.py").write_text(payload)


def test_python_m_auditor_does_not_load_plugins_or_modules_from_the_cwd(tmp_path: Path) -> None:
    cwd = tmp_path / "work"
    cwd.mkdir()
    marker = tmp_path / "planted-code-ran"
    _plant(cwd, marker)
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", "checks"], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert not marker.exists()
    assert "evil" not in proc.stdout + proc.stderr
    assert "trail-multi-region" in proc.stdout + proc.stderr

"""moto is the `demo` extra: without it, `trail-auditor demo` says in one line how to get it.

A venv without moto would take minutes to build, so the child interpreter
blocks the import instead (``sys.modules['moto'] = None`` makes every
``import moto`` raise ImportError, as on a lean install) and runs the real CLI.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_WITHOUT_MOTO = """
import sys
sys.modules['moto'] = None
from auditor.app.cli import main
code = main(['demo', '--output-dir', sys.argv[1]])
assert 'moto' not in sys.modules or sys.modules['moto'] is None
sys.exit(code)
"""


def test_demo_without_moto_says_how_to_install_it(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    proc = subprocess.run(
        [sys.executable, "-c", _WITHOUT_MOTO, str(out)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "pip install 'trail-auditor[demo]'" in lines[0]
    assert "Traceback" not in proc.stderr
    assert not out.exists(), "nothing is written before the demo knows it can run"


def test_scanning_code_never_imports_moto() -> None:
    """A production install has no moto: importing the CLI and the scan pipeline must not need it."""
    probe = (
        "import sys; sys.modules['moto'] = None\n"
        "import auditor.app.cli, auditor.app.scanjob, auditor.aws.collect, auditor.aws.lambda_handler\n"
        "import auditor.app.demo\n"
        "import auditor.report, auditor.gate.decision, auditor.gate.history, auditor.gate.notify\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_moto_is_an_extra_not_a_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not [d for d in project["dependencies"] if d.startswith("moto")]
    assert any(d.startswith("moto[server]") for d in project["optional-dependencies"]["demo"])
    assert any(d.startswith("moto[server]") for d in project["optional-dependencies"]["dev"])

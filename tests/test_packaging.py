"""The wheel carries what the source tree maps in: checks, mappings, templates, every module.

checks/, mappings/ and reports/templates/ are top-level folders mapped into the
package by pyproject.toml (``package-dir``/``package-data``), and the package
list is written out there; a folder or module the mapping misses would work
from the source tree and be absent when installed. This builds the real wheel.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("trail_auditor-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


def test_wheel_carries_every_check(wheel_names: set[str]) -> None:
    checks = {p.name for p in (ROOT / "checks").glob("*.py")}
    assert len(checks) > 10
    assert {f"auditor/builtin_checks/{name}" for name in checks} <= wheel_names


def test_wheel_carries_mappings_and_templates(wheel_names: set[str]) -> None:
    mappings = {p.relative_to(ROOT / "mappings").as_posix() for p in (ROOT / "mappings").rglob("*.yaml")}
    templates = {
        p.relative_to(ROOT / "reports/templates").as_posix()
        for p in (ROOT / "reports/templates").rglob("*")
        if p.is_file()
    }
    assert mappings and templates
    assert {f"auditor/data/mappings/{m}" for m in mappings} <= wheel_names
    assert {f"auditor/data/templates/{t}" for t in templates} <= wheel_names


def test_wheel_carries_every_module_of_the_source_tree(wheel_names: set[str]) -> None:
    modules = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "auditor").rglob("*.py")
        if "__pycache__" not in p.parts and p.parent.name != "builtin_checks"
    }
    assert modules - wheel_names == set()
    shipped = {
        n
        for n in wheel_names
        if n.startswith("auditor/") and n.endswith(".py") and not n.startswith("auditor/builtin_checks/")
    }
    assert shipped - modules == set(), "the wheel ships modules the source tree no longer has (stale build/?)"
    assert "auditor/schemas/snapshot.schema.json" in wheel_names

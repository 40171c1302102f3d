"""A --mappings folder is untrusted input: no alias bombs, no deep nesting, no FIFOs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.engine.registry import all_checks
from auditor.mapping.frameworks import load_frameworks
from auditor.model.errors import AuditorError

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(8)
)


def _load(folder: Path) -> None:
    load_frameworks({c.meta.id for c in all_checks()}, [folder], None)


def test_an_alias_bomb_in_a_mapping_file_is_refused_with_its_name(tmp_path: Path) -> None:
    (tmp_path / "bomb.yaml").write_text(BOMB, encoding="utf-8")
    with pytest.raises(AuditorError, match=r"bomb\.yaml.*aliases"):
        _load(tmp_path)


def test_a_deeply_nested_mapping_file_is_refused_not_a_recursion_error(tmp_path: Path) -> None:
    (tmp_path / "deep.yaml").write_text("a: " + "[" * 50_000 + "]" * 50_000 + "\n", encoding="utf-8")
    with pytest.raises(AuditorError, match=r"deep\.yaml.*nested deeper"):
        _load(tmp_path)


def test_a_fifo_named_like_a_mapping_file_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    probe = (
        "import sys\nfrom pathlib import Path\nfrom auditor.mapping.frameworks import load_frameworks\n"
        "from auditor.engine.registry import all_checks\n"
        "from auditor.model.errors import AuditorError\n"
        "try:\n    load_frameworks({c.meta.id for c in all_checks()}, [Path(sys.argv[1])], None)\n"
        "except AuditorError as exc:\n    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert "pipe.yaml" in done.stdout, done.stderr

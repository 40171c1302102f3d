"""Hostile baselines, results, previous results and snapshots: one error line, exit 2, bounded cost.

Issue 11 items 4 and 5: a YAML alias bomb, input nested 100k levels deep, a
FIFO or a device passed as an input file. Each runs the installed console
script under an address-space limit, so a blow-up shows as a failure of the
test rather than a machine out of memory.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import time
import tracemalloc
from pathlib import Path

import pytest

from auditor.engine.checkapi import Status
from auditor.engine.results_io import load_results
from auditor.gate.baseline import load_baseline
from auditor.model.errors import AuditorError
from auditor.model.fsio import InputError, parse_json, read_input
from auditor.model.snapshot_io import load_snapshot
from tests.cli.conftest import cli_path
from tests.gate.builders import finding, results

#: Address space allowed to a CLI run here: far above what a gate needs, far below a bomb's 8 GB.
MEMORY_LIMIT = 1536 * 1024 * 1024
DEPTH = 100_000


def _bomb() -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def _run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    return subprocess.run(
        [cli_path(), *args], capture_output=True, text=True, timeout=timeout, preexec_fn=limit, check=False
    )


@pytest.fixture
def results_file(tmp_path: Path) -> Path:
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results([finding("bucket-versioning", Status.PASS)]).to_dict()), encoding="utf-8")
    return path


@pytest.fixture
def baseline_file(tmp_path: Path) -> Path:
    path = tmp_path / "baseline.yaml"
    path.write_text("version: 1\nfail_on: high\n", encoding="utf-8")
    return path


def _one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_yaml_alias_bomb_baseline_exits_2_in_bounded_memory(tmp_path: Path, results_file: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(_bomb(), encoding="utf-8")
    assert bomb.stat().st_size < 600
    proc = _run("gate", str(results_file), "--baseline", str(bomb))
    _one_line_error(proc, str(bomb), "alias")


def test_yaml_alias_bomb_is_refused_fast_and_small(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(_bomb(), encoding="utf-8")
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(AuditorError, match=r"bomb\.yaml:2: .*aliases"):
        load_baseline(bomb)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 0.5 and peak < 5 * 1024 * 1024, (elapsed, peak)


def test_a_single_alias_is_refused_too(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text("version: 1\nfail_on: &f high\nprofile: *f\n", encoding="utf-8")
    with pytest.raises(AuditorError, match=r"b\.yaml:3: not valid YAML: aliases"):
        load_baseline(path)


@pytest.mark.parametrize("role", ["results", "previous", "baseline"])
def test_input_nested_100k_deep_exits_2_naming_the_file(
    tmp_path: Path, results_file: Path, baseline_file: Path, role: str
) -> None:
    deep = tmp_path / ("deep.yaml" if role == "baseline" else "deep.json")
    deep.write_text("[" * DEPTH + "]" * DEPTH, encoding="utf-8")
    args = {
        "results": ["gate", str(deep), "--baseline", str(baseline_file)],
        "previous": ["gate", str(results_file), "--baseline", str(baseline_file), "--previous", str(deep)],
        "baseline": ["gate", str(results_file), "--baseline", str(deep)],
    }[role]
    _one_line_error(_run(*args), str(deep), "deeper than")


def test_snapshot_nested_100k_deep_exits_2_naming_the_file(tmp_path: Path) -> None:
    deep = tmp_path / "snap.json"
    deep.write_text(
        '{"format": "trail-auditor-snapshot", "snapshot": ' + "[" * DEPTH + "]" * DEPTH + "}", encoding="utf-8"
    )
    _one_line_error(_run("evaluate", str(deep), "--output-dir", str(tmp_path / "out")), str(deep), "deeper than")


def test_block_style_deep_yaml_baseline_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("".join(f"{' ' * i}k:\n" for i in range(1000)), encoding="utf-8")
    assert path.stat().st_size < 1024 * 1024
    with pytest.raises(AuditorError, match="deeper than"):
        load_baseline(path)


@pytest.mark.parametrize("role", ["results", "previous", "baseline", "snapshot"])
def test_fifo_input_exits_2_without_blocking(
    tmp_path: Path, results_file: Path, baseline_file: Path, role: str
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    args = {
        "results": ["gate", str(fifo), "--baseline", str(baseline_file)],
        "previous": ["gate", str(results_file), "--baseline", str(baseline_file), "--previous", str(fifo)],
        "baseline": ["gate", str(results_file), "--baseline", str(fifo)],
        "snapshot": ["evaluate", str(fifo), "--output-dir", str(tmp_path / "out")],
    }[role]
    _one_line_error(_run(*args, timeout=30), str(fifo), "not a regular file")


def test_device_and_link_to_device_are_refused(tmp_path: Path) -> None:
    link = tmp_path / "zero.json"
    link.symlink_to("/dev/zero")
    for path in (Path("/dev/zero"), link):
        with pytest.raises(InputError, match="not a regular file"):
            load_results(path)


def test_oversized_input_is_refused_by_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b" " * 1000 + b"{}")
    with pytest.raises(InputError, match="over the 1000-byte limit"):
        read_input(path, what="results", limit=1000)
    assert read_input(path, what="results", limit=1002).endswith(b"{}")


def test_baseline_over_one_mib_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_bytes(b"version: 1\n" + b"#" * (1024 * 1024))
    with pytest.raises(InputError, match="over the"):
        load_baseline(path)


@pytest.mark.parametrize("text", [b'"\\ud800"', b"NaN", b"1e400", b"\xff", b"[" * 70 + b"]" * 70])
def test_malformed_json_is_an_input_error_naming_the_source(text: bytes) -> None:
    with pytest.raises(InputError, match=r"^src\.json: "):
        parse_json(text, "src.json")


def test_lone_surrogate_in_baseline_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text('version: 1\nprofile: "\\ud800"\n', encoding="utf-8")
    with pytest.raises(AuditorError, match="surrogate"):
        load_baseline(path)


def test_schema_errors_do_not_quote_the_file(tmp_path: Path) -> None:
    """A baseline that is really a key file must not reach the CI log through the error message."""
    path = tmp_path / "b.yaml"
    path.write_text("SECRET-TOKEN-VALUE-abcdefghijklmnopqrstuvwxyz0123456789\n", encoding="utf-8")
    with pytest.raises(AuditorError) as info:
        load_baseline(path)
    assert "SECRET" not in str(info.value) and "is a string, expected object" in str(info.value)
    res = tmp_path / "r.json"
    res.write_text(json.dumps({"schema_version": "SECRET-VALUE"}), encoding="utf-8")
    with pytest.raises(AuditorError) as info:
        load_results(res)
    assert "SECRET" not in str(info.value)


def test_snapshot_that_is_a_fifo_or_deep_is_refused_in_process(tmp_path: Path) -> None:
    deep = tmp_path / "s.json"
    deep.write_text(
        '{"format": "trail-auditor-snapshot", "snapshot": {"a": ' + "[" * 80 + "]" * 80 + "}}", encoding="utf-8"
    )
    with pytest.raises(InputError, match="deeper than 64"):
        load_snapshot(deep)


def test_impossible_date_in_baseline_is_an_error_with_its_line(tmp_path: Path) -> None:
    """Found by the fuzz test: PyYAML's timestamp constructor raised ValueError (a traceback)."""
    path = tmp_path / "b.yaml"
    path.write_text(
        "version: 1\nwaivers:\n  - check: trail-enabled\n    reason: Object Lock\n"
        "    owner: secops@example.com\n    expires: 2027-13-45\n",
        encoding="utf-8",
    )
    with pytest.raises(AuditorError, match=r"b\.yaml:3: waivers\[0\]\.expires: not a calendar date"):
        load_baseline(path)

"""The collection benchmark's replay pass answers exactly what the live pass asked."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

_BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_collect.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_collect", _BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_replay_collects_the_same_snapshot_as_live_without_the_server(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bench = _bench()
    for var in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):  # main() unsets them; restored after
        monkeypatch.delenv(var, raising=False)

    assert bench.main(["--accounts", "2", "--regions", "2", "--latency-ms", "0", "--workers", "4"]) == 0

    out = capsys.readouterr().out
    assert "replay == live     : yes" in out
    assert "replay misses      : 0 " in out
    assert out.count("0 collection errors") == 2

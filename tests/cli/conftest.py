"""A moto_server on 127.0.0.1 for end-to-end runs of the installed CLI."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.report.package import MANIFEST, SIGNATURE
from tests.logs.sql.moto_athena import MOTO_ENV

#: What every signed evidence package of a scan holds, whatever else it carries.
PACKAGE_CORE = frozenset({"results.json", "snapshot.json", MANIFEST, SIGNATURE, "reports/findings.asff.json"})


def package_members(path: Path) -> set[str]:
    """The member names of an evidence package (a zip file)."""
    with zipfile.ZipFile(path) as zf:
        return set(zf.namelist())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli_path() -> str:
    """The installed console script (next to this interpreter)."""
    candidate = Path(sys.executable).parent / "trail-auditor"
    found = str(candidate) if candidate.exists() else shutil.which("trail-auditor")
    assert found, "the trail-auditor console script is not installed"
    return found


@pytest.fixture
def moto_server() -> Iterator[str]:
    """Start moto_server on a free loopback port; yield its URL; stop it."""
    port = _free_port()
    # moto_server taught what moto 5.2 lacks (CloudTrail Lake, CloudTrail's delegated
    # administrator), as the demo's moto is: auditor/aws/demo_moto.py
    cmd = [
        sys.executable,
        "-c",
        "from auditor.aws.demo_moto import install; install(); from moto.server import main; main()",
    ]
    proc = subprocess.Popen(
        [*cmd, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def moto_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """moto's credentials and region in the environment, for code that makes its own AWS session."""
    for k, v in MOTO_ENV.items():
        monkeypatch.setenv(k, v)
    return MOTO_ENV


def run_cli(
    args: list[str], env_extra: dict[str, str] | None = None, cwd: Path | None = None, timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    """Run the installed CLI as a user would."""
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [cli_path(), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout, check=False
    )

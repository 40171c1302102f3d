"""The CLI as a trust boundary: crashes exit 4, --debug keeps credentials secret, no terminal injection."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import run_cli

CANARY_KEY = "AKIACANARYDEBUG00001"
CANARY_SECRET = "canarySecretDebug/0123456789abcdefghijklm"  # 40 characters, like a real one
CANARY_TOKEN = "canarySessionTokenDebug+0123456789"
EXTERNAL_ID = "canary-external-id-4711"


def _crash(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run main() with the `checks` command replaced by one that hits a bug (an unexpected exception)."""
    code = (
        "import sys, auditor.app.cli as c\n"
        "def boom(args):\n    raise KeyError('the-missing-key')\n"
        "c.COMMANDS['checks'] = boom\n"
        f"sys.exit(c.main({argv!r}))\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)


def test_unexpected_exception_exits_4_with_one_line() -> None:
    proc = _crash(["checks"])
    assert proc.returncode == 4, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "internal error" in lines[0] and "KeyError" in lines[0] and "--debug" in lines[0]
    assert "Traceback" not in proc.stderr


def test_unexpected_exception_traceback_only_with_debug() -> None:
    proc = _crash(["checks", "--debug"])
    assert proc.returncode == 4
    assert "Traceback" in proc.stderr and "the-missing-key" in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("trail-auditor: error: internal error")


def test_usage_error_with_debug_still_exits_2(tmp_path: Path) -> None:
    proc = run_cli(["evaluate", str(tmp_path / "nope.json"), "--debug"], cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("trail-auditor: error:")


def test_exit_4_is_documented() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "`4`" in readme.split("Exit codes:", 1)[1].split("\n\n", 1)[0]
    proc = run_cli(["scan", "--help"])
    assert "4 internal error" in " ".join(proc.stdout.split())


@pytest.fixture
def seeded(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    from auditor.aws.demo_seed import seed_organization

    org = seed_organization(("us-east-1",))
    return {"url": moto_server, "workload": org.workload}


@pytest.mark.parametrize("flag", [None, "--debug-aws", "env"])
def test_debug_scan_never_prints_credentials(seeded: dict[str, str], tmp_path: Path, flag: str | None) -> None:
    env = {
        "AWS_ENDPOINT_URL": seeded["url"],
        "AWS_ACCESS_KEY_ID": CANARY_KEY,
        "AWS_SECRET_ACCESS_KEY": CANARY_SECRET,
        "AWS_SESSION_TOKEN": CANARY_TOKEN,
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    args = [
        "scan",
        "--debug",
        "--accounts",
        seeded["workload"],
        "--role-name",
        "OrganizationAccountAccessRole",
        "--external-id",
        EXTERNAL_ID,
        "--regions",
        "us-east-1",
        "--output-dir",
        str(tmp_path),
        "--format",
        "json",
    ]
    if flag == "--debug-aws":
        args.append(flag)
    elif flag == "env":
        env["TRAIL_AUDITOR_DEBUG_AWS"] = "1"
    proc = run_cli(args, env, cwd=tmp_path, timeout=300)
    assert proc.returncode in (0, 1, 3), proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    for secret in (CANARY_KEY, CANARY_SECRET, CANARY_TOKEN, EXTERNAL_ID):
        assert secret not in out
    assert not re.search(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b", out), "an access key id was printed"
    assert not re.search(r"<(SecretAccessKey|SessionToken)>(?!<redacted>)", out)
    assert not re.search(r"Signature=(?!<redacted>)[0-9a-f]{16}", out)
    if flag is not None:  # the SDK's own logging was on: it did log the AssumeRole answer, redacted
        assert "<SecretAccessKey><redacted>" in out and "X-Amz-Security-Token" in out
    else:
        assert "botocore" not in out


def test_hostile_file_names_cannot_drive_the_terminal(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    names = [
        "x.json\ngate PASSED: 0 failing",
        "clear\x1b[2J\x1b]0;pwned\x07.json",
        "clip\x1b]52;c;ZWNobyBwd25lZA==\x07.json",
        "bidi\u202egnp.json",
    ]
    for name in names:
        (logs / name).write_bytes(b"{not json")
    proc = run_cli(
        ["logs", str(logs), "--since", "30d", "--output-dir", str(tmp_path / "out"), "--format", "json"], cwd=tmp_path
    )
    assert proc.returncode in (2, 3), proc.stderr
    assert "\x1b" not in proc.stderr and "\x07" not in proc.stderr and "\u202e" not in proc.stderr
    assert not any(line.startswith("gate PASSED") for line in proc.stderr.splitlines())
    assert "clear" in proc.stderr  # the files are still named, with their controls made visible


def test_hostile_path_in_an_error_message_is_made_safe(tmp_path: Path) -> None:
    proc = run_cli(["evaluate", str(tmp_path / "snap\x1b[2J\nPASSED.json")], cwd=tmp_path)
    assert proc.returncode == 2
    assert "\x1b" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1

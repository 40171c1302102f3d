"""The installed CLI's evidence commands on real files: logs, verify-logs, report --frameworks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from auditor.integrity.fixtures import build_chain, generate_demo_key, write_demo_chain
from tests.cli.conftest import run_cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
STRATUS = FIXTURES / "logs" / "stratus" / "detonation-logs"


def test_logs_command_detects_detonations(tmp_path: Path) -> None:
    proc = run_cli(
        [
            "logs",
            str(STRATUS),
            "--since",
            "2015-01-01",
            "--output-dir",
            str(tmp_path),
            "--format",
            "json,csv",
            "--rules",
            str(FIXTURES / "logs" / "sigma"),
        ],
        cwd=tmp_path,
    )
    assert proc.returncode == 1, proc.stderr  # tampering found: critical
    doc = json.loads((tmp_path / "results.json").read_text())
    failed = {f["check_id"] for f in doc["findings"] if f["status"] == "FAIL"}
    assert {"logs-trail-tampering", "logs-console-login-no-mfa", "logs-privilege-escalation"} <= failed
    assert all(f["check_id"].startswith("logs-") for f in doc["findings"])
    assert (tmp_path / "findings.csv").exists()


def test_logs_command_reports_malformed_files_with_their_path(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "truncated.json.gz").write_bytes(b"\x1f\x8b\x08\x00broken")
    (logs / "latin1.json").write_bytes(b'{"Records": [{"eventName": "\xff\xfe"}]}')
    proc = run_cli(
        ["logs", str(logs), "--since", "30d", "--output-dir", str(tmp_path / "out"), "--format", "json"], cwd=tmp_path
    )
    assert proc.returncode in (1, 3), proc.stderr
    assert "truncated.json.gz" in proc.stderr and "Traceback" not in proc.stderr
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    assert not any(f["status"] == "PASS" for f in doc["findings"])


def test_logs_command_rejects_bad_window(tmp_path: Path) -> None:
    proc = run_cli(["logs", str(STRATUS), "--since", "yesterday-ish"], cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


@dataclass(frozen=True)
class DemoChains:
    """A clean and a tampered digest chain of ``hours`` hourly digests, their public keys and
    the verify-logs window arguments that cover them."""

    keys: Path
    clean: Path
    bad: Path
    window: list[str]


def demo_chains(tmp_path: Path, hours: int) -> DemoChains:
    key, public = generate_demo_key()
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps(public))
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=8)
    clean, bad = tmp_path / "clean", tmp_path / "bad"
    write_demo_chain(clean, build_chain("bkt", None, "111122223333", "us-east-1", start, hours, key))
    write_demo_chain(bad, build_chain("bkt", None, "111122223333", "us-east-1", start, hours, key), tamper=True)
    window = [
        "--start-time",
        (start - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "--end-time",
        (start + timedelta(hours=hours, minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    ]
    return DemoChains(keys, clean, bad, window)


def test_verify_logs_offline_clean_and_tampered(tmp_path: Path) -> None:
    c = demo_chains(tmp_path, 6)
    ok = run_cli(["verify-logs", str(c.clean), "--public-keys", str(c.keys), *c.window, "-o", "-"], cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "digest files valid" in ok.stderr
    assert json.loads(ok.stdout)["digests_total"] >= 5
    tampered = run_cli(["verify-logs", str(c.bad), "--public-keys", str(c.keys), *c.window], cwd=tmp_path)
    assert tampered.returncode == 1
    assert "modified" in tampered.stderr.lower() or "invalid" in tampered.stderr.lower()


def test_verify_logs_quiet_prints_only_the_problems(tmp_path: Path) -> None:
    c = demo_chains(tmp_path, 4)
    ok = run_cli(["verify-logs", str(c.clean), "--public-keys", str(c.keys), *c.window, "-q"], cwd=tmp_path)
    assert ok.returncode == 0 and ok.stderr == "", ok.stderr
    tampered = run_cli(["verify-logs", str(c.bad), "--public-keys", str(c.keys), *c.window, "-q"], cwd=tmp_path)
    assert tampered.returncode == 1
    assert "INVALID" in tampered.stderr and "Results requested" not in tampered.stderr, tampered.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = run_cli(["verify-logs", str(empty), "--public-keys", str(c.keys), *c.window, "-q"], cwd=tmp_path)
    assert nothing.returncode == 1 and "No digest files found" in nothing.stderr, nothing.stderr


def test_verify_logs_needs_keys_offline(tmp_path: Path) -> None:
    proc = run_cli(["verify-logs", str(tmp_path)], cwd=tmp_path)
    assert proc.returncode == 2 and "--public-keys" in proc.stderr


def test_report_narrows_frameworks(tmp_path: Path) -> None:
    run = run_cli(
        ["logs", str(STRATUS), "--since", "2015-01-01", "--output-dir", str(tmp_path), "--format", "json"], cwd=tmp_path
    )
    assert run.returncode == 1, run.stderr
    out = tmp_path / "pci.json"
    proc = run_cli(
        ["report", str(tmp_path / "results.json"), "--format", "json", "-o", str(out), "--frameworks", "pci-dss-4.0.1"],
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    assert [fw["id"] for fw in doc["frameworks"]] == ["pci-dss-4.0.1"]
    assert all(set(f["controls"]) <= {"pci-dss-4.0.1"} for f in doc["findings"])
    bad = run_cli(["report", str(tmp_path / "results.json"), "--frameworks", "iso-27001"], cwd=tmp_path)
    assert bad.returncode == 2 and "not in these results" in bad.stderr

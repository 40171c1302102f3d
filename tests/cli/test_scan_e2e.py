"""The installed CLI end to end against moto_server: scan an organisation, re-evaluate, report."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from auditor.model.validation import validate
from tests.cli.conftest import run_cli

CANARY_KEY = "AKIACANARY0000000001"
CANARY_SECRET = "canary-secret-never-printed-0123456789"


@pytest.fixture
def seeded_org(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    from auditor.aws.demo_seed import seed_organization

    org = seed_organization(("us-east-1", "eu-west-1"))
    return {"url": moto_server, "workload": org.workload, "log_archive": org.log_archive, "management": org.management}


def test_scan_organisation_writes_valid_results_and_exit_code(seeded_org: dict[str, str], tmp_path: Path) -> None:
    env = {
        "AWS_ENDPOINT_URL": seeded_org["url"],
        "AWS_ACCESS_KEY_ID": CANARY_KEY,
        "AWS_SECRET_ACCESS_KEY": CANARY_SECRET,
    }
    proc = run_cli(
        [
            "scan",
            "--organization",
            "--role-name",
            "OrganizationAccountAccessRole",
            "--regions",
            "us-east-1,eu-west-1",
            "--output-dir",
            str(tmp_path),
            "--format",
            "json,html",
            "--snapshot",
            str(tmp_path / "snap.json"),
            "--no-logs",
        ],
        env,
        cwd=tmp_path,
    )
    assert proc.returncode == 1, proc.stderr  # the seeded organisation has high-severity failures
    doc = json.loads((tmp_path / "results.json").read_text())
    validate(doc, "results.schema.json", "results.json")
    accounts = {f["account_id"] for f in doc["findings"]}
    assert {seeded_org["management"], seeded_org["workload"], seeded_org["log_archive"]} <= accounts
    statuses = {(f["check_id"], f["account_id"]): f["status"] for f in doc["findings"] if f["region"] == "global"}
    assert statuses[("trail-enabled", seeded_org["management"])] == "PASS"
    assert (tmp_path / "report.html").stat().st_size > 1000
    for produced in (proc.stdout, proc.stderr, *(p.read_text() for p in tmp_path.iterdir() if p.is_file())):
        assert CANARY_KEY not in produced and CANARY_SECRET not in produced  # credentials never stored

    again = run_cli(
        ["evaluate", str(tmp_path / "snap.json"), "--output-dir", str(tmp_path / "re"), "--format", "json"],
        {"AWS_ENDPOINT_URL": "http://127.0.0.1:9"},
        cwd=tmp_path,
    )
    assert again.returncode == 1, again.stderr
    redo = json.loads((tmp_path / "re" / "results.json").read_text())
    key = lambda d: sorted((f["id"], f["status"]) for f in d["findings"])  # noqa: E731
    assert key(redo) == key(doc)
    assert redo["scan"]["snapshot_sha256"] == doc["scan"]["snapshot_sha256"]


def test_json_to_stdout_keeps_stdout_clean(seeded_org: dict[str, str], tmp_path: Path) -> None:
    proc = run_cli(
        [
            "scan",
            "--regions",
            "us-east-1",
            "--format",
            "json",
            "-o",
            "-",
            "--no-logs",
            "--allow-incomplete",
            "--fail-on",
            "critical",
        ],
        {"AWS_ENDPOINT_URL": seeded_org["url"]},
        cwd=tmp_path,
    )
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["tool"]["name"] == "trail-auditor"


def test_usage_error_is_one_line_exit_2(tmp_path: Path) -> None:
    proc = run_cli(["scan", "--format", "docx"], cwd=tmp_path)
    assert proc.returncode == 2
    assert "unknown format" in proc.stderr and "Traceback" not in proc.stderr
    missing = run_cli(["evaluate", str(tmp_path / "nope.json")], cwd=tmp_path)
    assert missing.returncode == 2 and "no such snapshot file" in missing.stderr


def test_checks_and_frameworks_list(tmp_path: Path) -> None:
    proc = run_cli(["checks", "--json"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    ids = {c["id"] for c in json.loads(proc.stdout)}
    assert {
        "trail-enabled",
        "bucket-not-public",
        "alarm-root-usage",
        "logs-trail-tampering",
        "logs-digest-integrity",
    } <= ids
    fw = run_cli(["frameworks", "pci-dss-4.0.1"], cwd=tmp_path)
    assert fw.returncode == 0, fw.stderr
    assert "10.5.1" in fw.stdout  # listings go to stdout, for grep


def test_unreachable_endpoint_is_error_not_pass(tmp_path: Path) -> None:
    env = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1"}
    proc = run_cli(
        ["scan", "--regions", "us-east-1", "--output-dir", str(tmp_path), "--format", "json", "--no-logs"],
        env,
        cwd=tmp_path,
        timeout=300,
    )
    assert proc.returncode in (2, 3), proc.stderr
    if proc.returncode == 3:
        doc = json.loads((tmp_path / "results.json").read_text())
        assert not any(f["status"] == "PASS" for f in doc["findings"])
    assert os.environ.get("AWS_SECRET_ACCESS_KEY", "x") not in proc.stderr

"""The installed CLI: --format asff/oscal, --evidence-package with --sign-key, verify-package, --securityhub-import."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import boto3
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.cli.conftest import PACKAGE_CORE, package_members, run_cli
from tests.report.asff_model import problems

CLOSED = "http://127.0.0.1:9"  # nothing listens on the discard port: any AWS call fails
FAKE_CREDS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def _keys(folder: Path) -> tuple[Path, Path]:
    key = Ed25519PrivateKey.generate()
    private, public = folder / "sign.pem", folder / "sign.pub.pem"
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    public.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return private, public


def _tamper(src: Path, dst: Path, name: str, data: bytes) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, data if info.filename == name else zin.read(info))
    return dst


def test_scan_writes_asff_oscal_and_a_signed_package_and_imports_into_security_hub(
    moto_server: str, tmp_path: Path
) -> None:
    private, public = _keys(tmp_path)
    out, pkg = tmp_path / "out", tmp_path / "evidence.zip"
    env = {**FAKE_CREDS, "AWS_ENDPOINT_URL": moto_server}
    proc = run_cli(
        [
            "scan",
            "--regions",
            "us-east-1",
            "--output-dir",
            str(out),
            "--format",
            "json,asff,oscal",
            "--snapshot",
            str(tmp_path / "snap.json"),
            "--evidence-package",
            str(pkg),
            "--sign-key",
            str(private),
            "--securityhub-import",
        ],
        env,
        cwd=tmp_path,
    )
    assert proc.returncode in (1, 3), proc.stderr
    asff = json.loads((out / "findings.asff.json").read_text())
    assert asff and problems(asff) == []
    assert "assessment-results" in json.loads((out / "assessment-results.oscal.json").read_text())
    assert f"imported {len(asff)} of {len(asff)} findings into Security Hub" in proc.stderr
    hub = boto3.client(
        "securityhub",
        region_name="us-east-1",
        endpoint_url=moto_server,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    stored = [f for page in hub.get_paginator("get_findings").paginate() for f in page["Findings"]]
    assert sorted(f["Id"] for f in stored) == sorted(a["Id"] for a in asff)
    # a second scan imports onto the same findings
    again = run_cli(
        [
            "scan",
            "--regions",
            "us-east-1",
            "--output-dir",
            str(tmp_path / "again"),
            "--format",
            "json",
            "--securityhub-import",
        ],
        env,
        cwd=tmp_path,
    )
    assert again.returncode in (1, 3), again.stderr
    assert len([f for page in hub.get_paginator("get_findings").paginate() for f in page["Findings"]]) == len(asff)

    assert PACKAGE_CORE | {"reports/assessment-results.oscal.json"} <= package_members(pkg)
    ok = run_cli(["verify-package", str(pkg), "--public-key", str(public)], cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "signature valid" in ok.stderr
    bad = run_cli(
        ["verify-package", str(_tamper(pkg, tmp_path / "t.zip", "results.json", b"{}")), "--public-key", str(public)],
        cwd=tmp_path,
    )
    assert bad.returncode == 1 and "results.json: changed" in bad.stderr
    (tmp_path / "other").mkdir()
    _, other = _keys(tmp_path / "other")
    wrong = run_cli(["verify-package", str(pkg), "--public-key", str(other)], cwd=tmp_path)
    assert wrong.returncode == 1 and "manifest.json.sig: invalid" in wrong.stderr
    (tmp_path / "junk.zip").write_bytes(b"junk")
    junk = run_cli(["verify-package", str(tmp_path / "junk.zip")], cwd=tmp_path)
    assert junk.returncode == 2 and "not a zip file" in junk.stderr

    # evaluate and logs take the same options; a package without a key is unsigned and says so
    ev = run_cli(
        [
            "evaluate",
            str(tmp_path / "snap.json"),
            "--output-dir",
            str(tmp_path / "ev"),
            "--format",
            "json",
            "--evidence-package",
            str(tmp_path / "ev.zip"),
        ],
        cwd=tmp_path,
    )
    assert ev.returncode in (1, 3), ev.stderr
    unsigned = run_cli(["verify-package", str(tmp_path / "ev.zip")], cwd=tmp_path)
    assert unsigned.returncode == 0 and "signature unsigned" in unsigned.stderr and "not signed" in unsigned.stderr


def test_a_failed_import_keeps_the_results_and_exits_2(tmp_path: Path) -> None:
    from tests.report.sample import sample_results

    results = tmp_path / "results.json"
    results.write_text(json.dumps(sample_results().to_dict()))
    out = tmp_path / "out"
    proc = run_cli(
        ["report", str(results), "--format", "asff", "--output-dir", str(out), "--securityhub-import"],
        {**FAKE_CREDS, "AWS_ENDPOINT_URL": CLOSED, "AWS_MAX_ATTEMPTS": "1"},
        cwd=tmp_path,
    )
    assert proc.returncode == 2, proc.stderr
    assert (out / "findings.asff.json").is_file()
    assert "--securityhub-import" in proc.stderr and "the results were written" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_logs_writes_a_package_with_the_log_evidence(tmp_path: Path) -> None:
    logs = Path(__file__).resolve().parents[1] / "fixtures" / "logs" / "stratus" / "detonation-logs"
    pkg = tmp_path / "logs.zip"
    proc = run_cli(
        [
            "logs",
            str(logs),
            "--since",
            "2015-01-01",
            "--output-dir",
            str(tmp_path / "out"),
            "--format",
            "json",
            "--evidence-package",
            str(pkg),
        ],
        cwd=tmp_path,
    )
    assert proc.returncode in (0, 1, 3), proc.stderr
    assert {"results.json", "snapshot.json", "log-evidence.json"} <= package_members(pkg)
    assert run_cli(["verify-package", str(pkg)], cwd=tmp_path).returncode == 0


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--sign-key", "KEY"], "give --evidence-package"),
        (["--evidence-package", "p.zip", "--sign-key", "KEY"], "not an unencrypted PEM private key"),
    ],
)
def test_a_bad_signing_setup_fails_before_any_aws_call(tmp_path: Path, extra: list[str], needle: str) -> None:
    key = tmp_path / "k.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    args = [str(key) if a == "KEY" else a for a in extra]
    proc = run_cli(
        ["scan", "--regions", "us-east-1", "--output-dir", str(tmp_path / "o"), *args],
        {**FAKE_CREDS, "AWS_ENDPOINT_URL": CLOSED},
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "not a key" not in proc.stderr


def test_a_non_ed25519_key_is_refused(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    key = tmp_path / "ec.pem"
    key.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    proc = run_cli(
        [
            "evaluate",
            str(tmp_path / "missing.json"),
            "--evidence-package",
            str(tmp_path / "p.zip"),
            "--sign-key",
            str(key),
        ],
        cwd=tmp_path,
    )
    assert proc.returncode == 2 and "not an Ed25519 key" in proc.stderr


def test_verify_package_lists_a_traversal_member_and_writes_nothing(tmp_path: Path) -> None:
    from auditor.report.package import build_package

    work = tmp_path / "work"
    work.mkdir()
    good = build_package(
        tmp_path / "good.zip", {"results.json": b"{}"}, tool_version="1", created_at="2026-01-01T00:00:00Z"
    )
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(evil, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info))
        zout.writestr("../escaped.txt", b"owned")
        zout.writestr("\x1b[2Jclear", b"x")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    proc = run_cli(["verify-package", str(evil)], cwd=work)
    assert proc.returncode == 1
    assert "../escaped.txt: path climbs out" in proc.stderr and "\x1b" not in proc.stderr
    assert sorted(p.name for p in tmp_path.rglob("*")) == before

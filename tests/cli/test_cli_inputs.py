"""The CLI fails early and honestly: options checked before collecting, one-line errors, no lost work.

Each run is the installed console script in a subprocess, against moto_server
where AWS is needed, or against a closed port where the point is that no AWS
call is made at all.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import cli_path, run_cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
STRATUS = FIXTURES / "logs" / "stratus" / "detonation-logs"
CLOSED = "http://127.0.0.1:9"  # nothing listens on the discard port here: any AWS call would fail
FAKE_CREDS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def one_line_error(proc: object) -> str:
    stderr: str = proc.stderr  # type: ignore[attr-defined]
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("trail-auditor: error: ") and "Traceback" not in stderr
    return lines[0]


def scan(args: list[str], url: str = CLOSED, **kw: object) -> object:
    env = {**FAKE_CREDS, "AWS_ENDPOINT_URL": url}
    return run_cli(["scan", *args], env, **kw)  # type: ignore[arg-type]


# ------------------------------------------------------------------ refused before any AWS call


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--regions", "useast1"], "did you mean us-east-1"),
        (["--regions", "us-east-1,eu-west-9"], "eu-west-9"),
        (["--accounts", "1234", "--role-name", "R"], "12-digit"),
        (["--frameworks", "pci"], "unknown framework 'pci'"),
        (["--retention-profile", "pcii"], "unknown retention profile 'pcii'"),
        (["--logs-since", "30"], "--logs-since"),
        (["--format", "pdf", "-o", "-"], "pdf cannot go to stdout"),
        (["--format", "json,html", "-o", "-"], "exactly one --format"),
        (["--connect-timeout", "0"], "--connect-timeout"),
    ],
)
def test_bad_option_is_refused_before_any_aws_call(tmp_path: Path, args: list[str], needle: str) -> None:
    started = time.monotonic()
    proc = scan([*args, "--output-dir", str(tmp_path)], cwd=tmp_path)
    assert proc.returncode == 2  # type: ignore[attr-defined]
    line = one_line_error(proc)
    assert needle in line and "127.0.0.1:9" not in line
    assert time.monotonic() - started < 20
    assert "trail-auditor: error: trail-auditor" not in line  # the program is named once


def test_unwritable_output_locations_are_refused_before_collecting(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    for args, what in (
        (["--output-dir", str(blocker / "out")], "--output-dir"),
        (["--snapshot", str(blocker / "snap.json")], "--snapshot"),
        (["--history", str(blocker / "hist")], "--history"),
        (["-o", str(blocker / "r.json")], "-o/--output"),
    ):
        proc = scan(args, cwd=tmp_path)
        assert proc.returncode == 2, args  # type: ignore[attr-defined]
        line = one_line_error(proc)
        assert what in line and "cannot write" in line


def test_missing_profile_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("[profile audit]\nregion = us-east-1\n")
    proc = run_cli(
        ["scan", "--profile", "nosuchprofile", "--output-dir", str(tmp_path)],
        {"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")},
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    line = one_line_error(proc)
    assert "nosuchprofile" in line and "audit" in line  # names the profiles that do exist


def test_no_credentials_is_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        {
            "AWS_CONFIG_FILE": str(tmp_path / "none"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ENDPOINT_URL": CLOSED,
        }
    )
    proc = subprocess.run(
        [cli_path(), "scan", "--output-dir", str(tmp_path)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "no AWS credentials" in one_line_error(proc)


def test_bad_endpoint_url_is_one_line(tmp_path: Path) -> None:
    proc = run_cli(["scan", "--endpoint-url", "not a url", "--output-dir", str(tmp_path)], FAKE_CREDS, cwd=tmp_path)
    assert proc.returncode == 2
    assert "not a url" in one_line_error(proc)


# ------------------------------------------------------------------ unreachable endpoints, bounded


def test_refused_connection_names_the_endpoint_quickly(tmp_path: Path) -> None:
    started = time.monotonic()
    proc = scan(["--output-dir", str(tmp_path), "--connect-timeout", "2"], cwd=tmp_path, timeout=60)
    elapsed = time.monotonic() - started
    assert proc.returncode == 2  # type: ignore[attr-defined]
    line = one_line_error(proc)
    assert "could not reach" in line and "127.0.0.1:9" in line and "credential" not in line
    assert "Collecting: done" not in proc.stderr  # type: ignore[attr-defined]
    assert elapsed < 30


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP server on 127.0.0.1 that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        server.close()


def test_endpoint_that_never_answers_times_out_with_its_name(tmp_path: Path, silent_server: str) -> None:
    started = time.monotonic()
    proc = scan(["--output-dir", str(tmp_path), "--read-timeout", "2"], url=silent_server, cwd=tmp_path, timeout=60)
    elapsed = time.monotonic() - started
    assert proc.returncode == 2  # type: ignore[attr-defined]
    line = one_line_error(proc)
    assert silent_server.removeprefix("http://") in line and "did not answer within 2s" in line
    assert elapsed < 30


@pytest.fixture
def error_page_server() -> Iterator[str]:
    """An HTTP server on 127.0.0.1 that answers everything with a long HTML 500 page."""
    import http.server

    page = (
        b"<!doctype html><html><head><title>500 Internal Server Error</title></head><body>"
        b"<h1>Internal Server Error</h1>" + b"<p>filler</p>" * 500 + b"</body></html>"
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(500)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        do_GET = do_POST

        def log_message(self, *args: object) -> None:
            """Quiet."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_server_error_page_is_a_short_tag_free_line(tmp_path: Path, error_page_server: str) -> None:
    proc = scan(["--output-dir", str(tmp_path), "--max-attempts", "1"], url=error_page_server, cwd=tmp_path, timeout=60)
    assert proc.returncode == 2  # type: ignore[attr-defined]
    line = one_line_error(proc)
    assert "500 Internal Server Error" in line and "<" not in line.replace("<redacted>", "")
    assert len(line) < 600


# ------------------------------------------------------------------ against moto_server


def test_unenabled_region_and_organization_outside_one(moto_server: str, tmp_path: Path) -> None:
    other_partition = scan(["--regions", "cn-north-1", "--output-dir", str(tmp_path)], url=moto_server, cwd=tmp_path)
    assert other_partition.returncode == 2  # type: ignore[attr-defined]
    assert "cn-north-1 not enabled" in one_line_error(other_partition)
    org = scan(
        ["--organization", "--role-name", "R", "--regions", "us-east-1", "--output-dir", str(tmp_path)],
        url=moto_server,
        cwd=tmp_path,
    )
    assert org.returncode == 2  # type: ignore[attr-defined]
    assert "not in an AWS organisation" in one_line_error(org)


def test_stdout_json_without_format_and_evaluate_keeps_the_scan(moto_server: str, tmp_path: Path) -> None:
    proc = scan(
        [
            "--regions",
            "us-east-1",
            "-o",
            "-",
            "--snapshot",
            str(tmp_path / "new" / "snap.json"),
            "--logs-since",
            "1d",
            "--no-logs",
        ],
        url=moto_server,
        cwd=tmp_path,
    )
    assert proc.returncode in (1, 3), proc.stderr  # type: ignore[attr-defined]
    doc = json.loads(proc.stdout)  # type: ignore[attr-defined]
    assert doc["scan"]["log_window"] is None  # --no-logs wins over --logs-since
    assert (tmp_path / "new" / "snap.json").is_file()  # the snapshot's folder was created
    time.sleep(1.1)
    again = run_cli(["evaluate", str(tmp_path / "new" / "snap.json"), "-o", "-"], cwd=tmp_path)
    assert again.returncode in (1, 3), again.stderr
    redo = json.loads(again.stdout)
    assert redo["scan"]["id"] == doc["scan"]["id"]
    assert redo["scan"]["started_at"] == doc["scan"]["started_at"]
    assert redo["scan"]["evaluated_at"] > doc["scan"]["evaluated_at"]


def test_failed_notification_keeps_the_results(moto_server: str, tmp_path: Path) -> None:
    proc = scan(
        [
            "--regions",
            "us-east-1",
            "--output-dir",
            str(tmp_path / "out"),
            "--format",
            "json",
            "--notify-sns",
            "arn:aws:sns:us-east-1:123456789012:no-such-topic",
        ],
        url=moto_server,
        cwd=tmp_path,
    )
    assert proc.returncode in (1, 2, 3), proc.stderr  # type: ignore[attr-defined]
    assert (tmp_path / "out" / "results.json").is_file()
    assert "could not publish" in proc.stderr and "Traceback" not in proc.stderr  # type: ignore[attr-defined]


# ------------------------------------------------------------------ what it prints


def test_quiet_still_prints_missing_evidence(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = run_cli(["logs", str(empty), "-q", "--output-dir", str(tmp_path / "out")], cwd=tmp_path)
    assert proc.returncode == 3
    assert proc.stderr.strip().splitlines() == [
        f"no CloudTrail files under {empty} (looked for .json and .json.gz); every log check is ERROR"
    ]
    quiet_errors = run_cli(
        ["logs", str(STRATUS), "--since", "2015-01-01", "-q", "--output-dir", str(tmp_path / "q"), "--format", "json"],
        cwd=tmp_path,
    )
    doc = json.loads((tmp_path / "q" / "results.json").read_text())
    if any(f["status"] == "ERROR" for f in doc["findings"]):
        assert "could not be assessed (ERROR)" in quiet_errors.stderr
    assert "wrote" not in quiet_errors.stderr


def test_summary_sorted_by_severity_and_plurals(tmp_path: Path) -> None:
    proc = run_cli(
        ["logs", str(STRATUS), "--since", "2015-01-01", "--output-dir", str(tmp_path), "--format", "json"], cwd=tmp_path
    )
    assert proc.returncode == 1, proc.stderr
    ranks = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}
    rows = [line.split() for line in proc.stderr.splitlines()]
    severities = [ranks[r[2]] for r in rows if len(r) > 3 and r[0].startswith("logs-") and r[2] in ranks]
    assert severities and severities == sorted(severities, reverse=True)
    assert "1 files" not in proc.stderr and "1 events" not in proc.stderr


def logs_to_json(tmp_path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """``logs`` over the Stratus detonations with ``options``, results to tmp_path/r.json; it finds
    critical activity, so the exit code is 1."""
    proc = run_cli(
        ["logs", str(STRATUS), "--since", "2015-01-01", *options, "--format", "json", "-o", str(tmp_path / "r.json")],
        cwd=tmp_path,
    )
    assert proc.returncode == 1, proc.stderr
    return proc


def test_custom_retention_profile_from_a_mappings_folder(tmp_path: Path) -> None:
    (tmp_path / "mine" / "profiles").mkdir(parents=True)
    (tmp_path / "mine" / "profiles" / "sox.yaml").write_text(
        "version: 1\nprofiles:\n  sox:\n    retention_days: 2555\n    hot_retention_days: 90\n"
    )
    logs_to_json(tmp_path, "--mappings", str(tmp_path / "mine"), "--retention-profile", "sox")
    assert json.loads((tmp_path / "r.json").read_text())["scan"]["profile"] == "sox"


def test_baseline_on_a_results_command_prints_expired_waivers(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.yaml"
    baseline.write_text(
        "version: 1\nwaivers:\n  - check: logs-trail-tampering\n    resource: '*'\n"
        "    reason: old\n    owner: secops@example.com\n    expires: 2020-01-01\n"
    )
    proc = logs_to_json(tmp_path, "--baseline", str(baseline))
    assert "expired waiver (no longer applies): logs-trail-tampering" in proc.stderr


def test_listings_go_to_stdout_with_ids_whole(tmp_path: Path) -> None:
    checks = run_cli(["checks"], {"COLUMNS": "60"}, cwd=tmp_path)
    ids = [c["id"] for c in json.loads(run_cli(["checks", "--json"]).stdout)]
    first_words = {line.split()[0] for line in checks.stdout.splitlines() if line.strip()}
    assert set(ids) <= first_words, set(ids) - first_words
    frameworks = run_cli(["frameworks"], {"COLUMNS": "60"}, cwd=tmp_path)
    assert "nist-800-53-r5" in {line.split()[0] for line in frameworks.stdout.splitlines() if line.strip()}


def test_gate_table_keeps_account_ids_whole(tmp_path: Path) -> None:
    logs_to_json(tmp_path)
    (tmp_path / "b.yaml").write_text("version: 1\nfail_on: low\n")
    proc = run_cli(
        ["gate", str(tmp_path / "r.json"), "--baseline", str(tmp_path / "b.yaml")], {"COLUMNS": "60"}, cwd=tmp_path
    )
    assert proc.returncode == 1
    doc = json.loads((tmp_path / "r.json").read_text())
    for f in doc["findings"][:30]:
        if f["status"] == "FAIL" and f["account_id"]:
            assert f["account_id"] in proc.stderr

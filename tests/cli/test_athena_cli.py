"""The SQL engines on the command line: logs --engine, --explain, athena-ddl, query, scan --engine athena."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from auditor.aws.athena import remote_window
from auditor.logs.sql import duckdb_engine, queries, remote
from tests.cli.conftest import run_cli
from tests.logs.factory import FIXTURES
from tests.logs.sql.moto_athena import (
    ACCOUNT,
    MOTO_ENV,
    REGION,
    WINDOW,
    answer,
    corpus,
    duckdb_table,
    seed_bucket_and_table,
)

STRATUS = FIXTURES / "stratus" / "detonation-logs"
SINCE, UNTIL = "2026-11-03T00:00:00Z", "2026-11-06T00:00:00Z"
#: Any AWS call would go here and fail: the usage errors must come before one.
NO_AWS = {
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    "AWS_ACCESS_KEY_ID": "x",
    "AWS_SECRET_ACCESS_KEY": "y",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _usage(args: list[str], needle: str) -> None:
    proc = run_cli(args, NO_AWS, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], proc.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["logs", "--engine", "athena"], "needs --athena-table"),
        (["logs", "./x", "--athena-table", "trail.t"], "need --engine athena"),
        (["logs", "./x", "--engine", "athena", "--athena-table", "trail.t"], "reads the table, not PATH"),
        (["logs", "--engine", "athena", "--athena-table", "t; DROP"], "expected DB.TABLE"),
        (["logs", "--engine", "athena", "--athena-table", "trail.t", "--max-scan-gb", "0"], "positive number"),
        (["logs", "--engine", "athena", "--athena-table", "trail.t", "--athena-output", "http://x"], "s3://BUCKET"),
        (["logs", "s3://bucket/AWSLogs/", "--engine", "duckdb"], "reads a local folder"),
        (["logs"], "give the PATH"),
        (["scan", "--engine", "athena", "--athena-table", "trail.t"], "give --logs-since"),
        (["athena-ddl", "--bucket", "Not_A_Bucket"], "is not an S3 bucket name"),
        (["athena-ddl", "--bucket", "b-1", "--org-id", "123"], "not an organization id"),
        (["query", "DROP TABLE cloudtrail", "--logs", ".", "-o", "x.json"], "only a SELECT"),
        (
            ["query", "SELECT 1 FROM cloudtrail; SELECT 2 FROM cloudtrail", "--logs", ".", "-o", "x.json"],
            "exactly one statement",
        ),
        (["query", "SELECT * FROM other", "--logs", ".", "-o", "x.json"], "table named cloudtrail"),
        (["query", "SELECT * FROM cloudtrail", "--logs", ".", "-o", "x.txt"], "a .csv or .json"),
        (["query", "SELECT * FROM cloudtrail", "-o", "x.json"], "needs --logs PATH"),
        (["query", "-o", "x.json", "--logs", "."], "either SQL or --sigma"),
        (["query", "SELECT * FROM cloudtrail", "--engine", "athena", "-o", "x.json"], "needs --athena-table"),
    ],
)
def test_options_are_checked_before_any_aws_call(args: list[str], needle: str) -> None:
    _usage(args, needle)


def test_athena_ddl_prints_the_table_and_nothing_else() -> None:
    proc = run_cli(["athena-ddl", "--bucket", "org-logs", "--org-id", "o-a1b2c3d4e5", "--regions", "us-east-1"], NO_AWS)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("CREATE EXTERNAL TABLE `default`.`cloudtrail_logs`")
    assert (
        "'storage.location.template'='s3://org-logs/AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/${region}/${day}'"
        in proc.stdout
    )
    assert "'projection.region.values'='us-east-1'" in proc.stdout and proc.stdout.rstrip().endswith(";")


def test_explain_prints_one_statement_per_query_with_partition_predicates_and_runs_nothing() -> None:
    proc = run_cli(
        [
            "logs",
            "--engine",
            "athena",
            "--athena-table",
            "trail.cloudtrail_logs",
            "--explain",
            "--since",
            SINCE,
            "--until",
            UNTIL,
        ],
        NO_AWS,
    )
    assert proc.returncode == 0, proc.stderr
    statements = [s for s in proc.stdout.split(";\n") if "SELECT" in s]
    scope = queries.Scope(*remote_window(WINDOW))
    assert len(statements) == remote.statement_count(scope, "trail.cloudtrail_logs") == 2
    for s in statements:
        assert "day >= '2026/11/02'" in s and "day <= '2026/11/07'" in s and "trail.cloudtrail_logs" in s
    assert proc.stdout.rstrip().endswith(";")


def test_explain_loads_the_rules_sigma_rules_and_correlations_included(tmp_path: Path) -> None:
    from auditor.app.demo import demo_rules_dir
    from auditor.logs.sigma import load_ruleset
    from auditor.logs.sql.explain import explain

    args = ["logs", "--engine", "athena", "--athena-table", "trail.cloudtrail_logs", "--explain"]
    proc = run_cli([*args, "--rules", str(demo_rules_dir()), "--since", SINCE, "--until", UNTIL], NO_AWS)
    assert proc.returncode == 0, proc.stderr
    scope = queries.Scope(*remote_window(WINDOW))
    assert proc.stdout == explain("trail.cloudtrail_logs", scope, load_ruleset(demo_rules_dir()))
    assert "sigma correlation c749db28-d954-4206-af05-a29fed8b68bf: base rule " in proc.stdout


def _findings(proc: Any) -> list[tuple[str, str, str]]:
    doc = json.loads(proc.stdout)
    return sorted((f["check_id"], f["status"], f.get("resource_id") or "") for f in doc["findings"])


def test_logs_engine_duckdb_gives_the_stream_s_findings_and_exit_code(tmp_path: Path) -> None:
    base = ["logs", str(STRATUS), "--since", "2000-01-01", "--until", "2100-01-01", "-o", "-", "--format", "json"]
    stream = run_cli(base, NO_AWS)
    duck = run_cli([*base, "--engine", "duckdb"], NO_AWS)
    assert duck.returncode == stream.returncode == 1, duck.stderr
    assert _findings(duck) == _findings(stream)
    assert json.loads(duck.stdout)["findings"], "not vacuous"


def test_query_recipes_on_duckdb_write_csv_and_json(tmp_path: Path) -> None:
    out = tmp_path / "calls.csv"
    sql = (
        "SELECT eventtime, eventname, awsregion, useridentity.arn AS arn FROM cloudtrail "
        "WHERE eventname IN ('StopLogging', 'DeleteTrail') ORDER BY eventtime"
    )
    proc = run_cli(["query", sql, "--logs", str(STRATUS), "--since", "2000-01-01", "-o", str(out)], NO_AWS)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(out.open()))
    assert {r["eventname"] for r in rows} == {"StopLogging", "DeleteTrail"}
    assert all(r["arn"].startswith("arn:aws:") for r in rows)
    sigma = FIXTURES / "sigma" / "rules" / "cloud" / "aws" / "cloudtrail" / "aws_cloudtrail_disable_logging.yml"
    js = tmp_path / "sigma.json"
    proc = run_cli(
        ["query", "--sigma", str(sigma), "--logs", str(STRATUS), "--since", "2000-01-01", "-o", str(js)], NO_AWS
    )
    assert proc.returncode == 0, proc.stderr
    matched = json.loads(js.read_text())
    assert matched and {m["event"]["eventName"] for m in matched} <= {"StopLogging", "DeleteTrail", "UpdateTrail"}


# --------------------------------------------------------------------------- Athena end to end (moto_server)


def _statements(table: str, scope: queries.Scope) -> list[str]:
    """What the engine runs, in its order: the counts pass, then the samples pass (every rule)."""
    rules, _, _ = duckdb_engine.targets()
    return [remote.athena_text(p.stmt) for p in duckdb_engine.plan(table, scope, rules)]


def test_logs_engine_athena_end_to_end_gives_the_duckdb_engine_s_findings(tmp_path: Path, moto_server: str) -> None:
    root = tmp_path / "bucket"
    corpus(root)
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    seed_bucket_and_table(session, root, moto_server)
    since, until = remote_window(WINDOW)
    loaded = duckdb_table(root, since, until)
    results = []
    for sql in _statements("trail.cloudtrail_logs", queries.Scope(since, until, (ACCOUNT,), (REGION,))):
        rows, info = answer(loaded, sql, root)
        results.append({"rows": rows, "column_info": info})
    loaded.con.close()
    resp = requests.post(
        f"{moto_server}/moto-api/static/athena/query-results", json={"region": REGION, "results": results}, timeout=30
    )
    assert resp.status_code == 201
    window = ["--since", SINCE, "--until", UNTIL, "-o", "-", "--format", "json"]
    athena = run_cli(
        [
            "logs",
            "--engine",
            "athena",
            "--athena-table",
            "trail.cloudtrail_logs",
            "--athena-output",
            "s3://results/q/",
            "--endpoint-url",
            moto_server,
            *window,
        ],
        MOTO_ENV,
    )
    duck = run_cli(["logs", str(root), "--engine", "duckdb", *window], MOTO_ENV)
    assert athena.returncode == duck.returncode, athena.stderr
    assert _findings(athena) == _findings(duck)
    assert "athena: " in athena.stderr and "GB scanned" in athena.stderr
    evidence = json.loads(athena.stdout)
    assert any(f["status"] == "FAIL" for f in evidence["findings"]), "not vacuous"


def test_scan_engine_athena_computes_the_log_evidence_on_athena(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moto_env: dict[str, str]
) -> None:
    """`scan --logs-since --engine athena`: the scanned account's logs judged from Athena's answers.

    moto's Athena is taught to answer each query as DuckDB does over the same files (its
    StartQueryExecution registers that answer first): the CLI makes its own AWS session.
    """
    from moto import mock_aws
    from moto.athena.models import AthenaBackend, QueryResults

    from auditor.app.cli import main
    from tests.collect.conftest import CALLER, new_session, seed_configured_account

    root = tmp_path / "bucket"
    corpus(root, CALLER)
    loaded = duckdb_table(root, "2026-11-03T00:00:00Z", "2100-01-01T00:00:00Z")
    original = AthenaBackend.start_query_execution
    started: list[str] = []

    def answering(self: Any, query: str, *args: Any, **kwargs: Any) -> str:
        started.append(query)
        rows, info = answer(loaded, query, root)
        self.query_results_queue.append(QueryResults(rows, info))
        return str(original(self, query, *args, **kwargs))

    monkeypatch.setattr(AthenaBackend, "start_query_execution", answering)
    with mock_aws():
        session = new_session()
        seed_configured_account(session)
        seed_bucket_and_table(session, root)
        out = tmp_path / "results.json"
        code = main(
            [
                "scan",
                "--regions",
                REGION,
                "--logs-since",
                "2026-11-03",
                "--engine",
                "athena",
                "--athena-table",
                "trail.cloudtrail_logs",
                "--snapshot",
                str(tmp_path / "snap.json"),
                "-o",
                str(out),
                "--format",
                "json",
                "-q",
            ]
        )
    loaded.con.close()
    assert code in (1, 3)
    doc = json.loads(out.read_text())
    assert doc["scan"]["log_window"]["engine"] == "athena"
    assert doc["scan"]["log_window"]["athena"]["failed_queries"] == 0
    assert started and all(f"account IN ('{CALLER}')" in q for q in started)
    status = {(f["check_id"], f["status"]) for f in doc["findings"] if f["account_id"] == CALLER}
    assert ("logs-root-activity", "FAIL") in status and ("logs-trail-tampering", "FAIL") in status


def test_a_failed_folded_statement_is_one_line_naming_what_it_served(capsys: pytest.CaptureFixture[str]) -> None:
    from auditor.app.cli.logs import print_athena
    from auditor.app.console import stderr_console

    served = [f"rule r{i} (logs-root-activity)" for i in range(30)]
    evidence = {
        "athena": {"queries": [{}]},
        "failed_queries": [{"serves": s, "query_id": "q-1", "reason": "FAILED: HIVE_BAD_DATA"} for s in served],
    }
    print_athena(stderr_console(), evidence)
    lines = [line for line in capsys.readouterr().err.splitlines() if "query failed" in line]
    assert lines == [
        "  query failed: q-1: FAILED: HIVE_BAD_DATA (serves rule r0 (logs-root-activity), "
        "rule r1 (logs-root-activity), rule r2 (logs-root-activity) and 27 more)"
    ]

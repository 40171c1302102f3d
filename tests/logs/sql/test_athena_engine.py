"""The Athena engine against moto's Athena, Glue and S3.

moto records queries without running them; GetQueryResults returns results a
test registered. Here every StartQueryExecution is answered with what DuckDB
returns for the very text Athena received (Trino, transpiled by sqlglot) over
the same files, encoded as Athena encodes results (text values, a header row,
JSON for the struct columns). Failed, slow and expensive queries are injected
on the wire (botocore ``after-call`` hooks on GetQueryExecution), as AWS would
report them; moto's own state machine gives the QUEUED -> RUNNING -> SUCCEEDED
progression and records StopQueryExecution.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from moto.moto_api import state_manager

from auditor.aws.athena import AthenaRunner, remote_window, run_query
from auditor.engine.checkapi import Status
from auditor.logs.rules import RULES
from auditor.logs.sql import adhoc, duckdb_engine, queries, remote, schema
from tests.logs.sql.conftest import Athena
from tests.logs.sql.moto_athena import (
    ACCOUNT,
    BUCKET,
    REGION,
    TABLE,
    WINDOW,
    failing_on,
    in_s3,
    is_samples_pass,
    table_input,
)
from tests.logs.test_checks import LOG_CHECKS, logs_only, run
from tests.policydocs import actions_of

# --------------------------------------------------------------------------- same findings


def test_the_athena_engine_gives_the_duckdb_engine_s_evidence_and_findings(athena: Athena) -> None:
    since, until = remote_window(WINDOW)
    duck = in_s3(duckdb_engine.read_local(athena.root, since, until, rules_dir=athena.rules), athena.root)
    doc = athena.read()
    assert doc["failed_queries"] == []
    assert doc["engine"] == "athena" and duck["engine"] == "duckdb"
    for key in (
        "rules",
        "coverage",
        "console_login_failures",
        "access_denied",
        "rate_anomalies",
        "files_read",
        "events_read",
        "file_problems",
    ):
        assert doc[key] == duck[key], key
    assert doc["sigma"]["matches"] == duck["sigma"]["matches"]
    # not vacuous: the corpus makes rules, Sigma rules, denied calls and failed logins match
    assert {r["check_id"] for r in doc["rules"]} >= {"logs-root-activity", "logs-trail-tampering"}
    assert doc["sigma"]["matches"] and doc["access_denied"] and doc["console_login_failures"]
    for module in LOG_CHECKS:
        assert run(module, logs_only(doc)) == run(module, logs_only(duck)), module
    # what Athena ran: Trino text, each restricted to the window's days and the listed scope
    assert athena.started and all(
        "day >= '2026/11/02'" in s and f"account IN ('{ACCOUNT}')" in s for s in athena.started
    )
    assert len(athena.started) == doc["athena"]["statements"]
    stats = doc["athena"]
    assert stats["objects_in_window"] == 72 and stats["bytes_in_window"] > 0
    assert stats["estimated_scan_bytes"] == stats["bytes_in_window"] * stats["statements"]
    assert all(q["state"] == "SUCCEEDED" for q in stats["queries"])


def test_statistics_and_the_estimated_cost_are_recorded(athena: Athena, tmp_path: Path) -> None:
    failing_on(athena.session, lambda q: True, "SUCCEEDED", scanned=2 * 10**9)
    doc = athena.read()
    stats = doc["athena"]
    assert stats["data_scanned_bytes"] == 2 * 10**9 * stats["statements"]
    assert stats["estimated_cost_usd"] == pytest.approx(stats["data_scanned_bytes"] / 1e12 * 5)
    assert doc["failed_queries"] == []
    # into the results and the report
    from auditor.app.pipeline import EvaluationOptions, build_results
    from auditor.report import render_to

    results = build_results(logs_only(doc), EvaluationOptions(sections=("logs",)))
    window = results.to_dict()["scan"]["log_window"]
    assert window["engine"] == "athena"
    assert window["athena"]["estimated_cost_usd"] == stats["estimated_cost_usd"]
    assert window["athena"]["data_scanned_bytes"] == stats["data_scanned_bytes"]
    html = tmp_path / "report.html"
    render_to(results, "html", html)
    gb = stats["data_scanned_bytes"] / 1e9
    assert f"(Athena: {gb:.3f} GB scanned, about ${stats['estimated_cost_usd']:.4f})" in html.read_text()


# --------------------------------------------------------------------------- fail closed


def test_a_run_is_two_scans_whatever_the_rules(athena: Athena) -> None:
    """The counts pass (GROUPING SETS) and one samples pass for every rule, Sigma rules included:
    the window is scanned twice, not once per rule and aggregation."""
    doc = athena.read()
    assert doc["sigma"]["rules"], "not vacuous: Sigma rules ran"
    assert doc["athena"]["statements"] == len(athena.started) == 2
    assert sum(is_samples_pass(q) for q in athena.started) == 1
    assert sum("GROUPING SETS" in q for q in athena.started) == 1
    stats = doc["athena"]
    assert stats["estimated_scan_bytes"] == 2 * stats["bytes_in_window"]
    scope = queries.Scope(*remote_window(WINDOW), (ACCOUNT,), (REGION,))
    assert remote.statement_count(scope, TABLE) == 2


#: Checks judged from the counts pass alone (coverage, hourly rates): a failed samples pass feeds none of them.
COUNTS_ONLY = ("logs_delivery_continuity", "logs_api_call_rate_anomaly", "logs_api_error_rate_anomaly")


def test_a_failed_samples_pass_makes_every_rule_it_feeds_error_with_query_id_and_reason(athena: Athena) -> None:
    whole = athena.read()
    failing_on(athena.session, is_samples_pass, "FAILED", "HIVE_BAD_DATA: malformed record")
    doc = athena.read()
    failed = doc["failed_queries"]
    serves = {f["serves"] for f in failed}
    assert {f"rule {r.id} ({r.check_id})" for r in RULES} <= serves
    assert any(s.startswith("sigma ") for s in serves) and not any(s.startswith("aggregations (") for s in serves)
    assert len({f["query_id"] for f in failed}) == 1 and failed[0]["query_id"]
    assert all(f["reason"].startswith("FAILED: HIVE_BAD_DATA: malformed record") for f in failed)
    for module in ("logs_root_activity", "logs_trail_tampering"):
        results = run(module, logs_only(doc))
        assert results and all(r.status is Status.ERROR for r in results), module
        assert failed[0]["query_id"] in json.dumps([r.evidence for r in results], default=str)
    for module in LOG_CHECKS:  # fail closed: whatever read the samples pass never passes
        if module not in COUNTS_ONLY:
            assert not any(r.status is Status.PASS for r in run(module, logs_only(doc))), module
    # the checks it did not feed judge what they were fed, as without the failure
    for module in COUNTS_ONLY:
        results = run(module, logs_only(doc))
        assert results and results == run(module, logs_only(whole)), module
    assert any(r.status is Status.PASS for m in COUNTS_ONLY for r in run(m, logs_only(doc))), "not vacuous"


def test_a_failed_counts_pass_errors_with_its_query_id(athena: Athena) -> None:
    failing_on(athena.session, lambda q: "GROUPING SETS" in q, "FAILED", "HIVE_CURSOR_ERROR: gone")
    doc = athena.read()
    (failed,) = doc["failed_queries"]
    assert failed["serves"].startswith("aggregations (") and failed["query_id"]
    for module in LOG_CHECKS:  # its coverage feeds every check
        results = run(module, logs_only(doc))
        assert all(r.status in (Status.ERROR, Status.FAIL, Status.NOT_APPLICABLE) for r in results), module
        assert not any(r.status is Status.PASS for r in results), module
    assert all(r.status is Status.ERROR for r in run("logs_delivery_continuity", logs_only(doc)))


def test_an_estimate_over_the_budget_runs_nothing_and_every_check_errors(athena: Athena) -> None:
    doc = athena.read(max_scan_gb=1e-6)  # 1000 bytes: the corpus is larger
    assert athena.started == [] and doc["athena"]["queries"] == []
    assert "exceeds --max-scan-gb" in doc["athena"]["refused"]
    assert doc["failed_queries"] and all("exceeds --max-scan-gb" in f["reason"] for f in doc["failed_queries"])
    for module in ("logs_root_activity", "logs_delivery_continuity", "logs_unauthorized_api_calls"):
        results = run(module, logs_only(doc))
        assert results and all(r.status is Status.ERROR for r in results), module


def test_a_running_query_past_the_budget_is_stopped_and_errors(athena: Athena) -> None:
    state_manager.set_transition("athena::execution", {"progression": "manual", "times": 50})
    failing_on(athena.session, lambda q: True, "RUNNING", scanned=10**12)
    doc = athena.read(max_scan_gb=100)  # the estimate passes; the first query's statistics do not
    first = doc["athena"]["queries"][0]
    assert first["state"] == "CANCELLED" and "passed the budget of 100 GB" in first["reason"]
    assert athena.backend.executions[first["query_id"]].status == "CANCELLED"  # StopQueryExecution reached AWS
    assert len(doc["athena"]["queries"]) == 1, "nothing more runs once the budget is spent"
    assert all(
        f["reason"].startswith(("stopped: the scan passed", "not run: the budget")) for f in doc["failed_queries"]
    )
    assert all(r.status is Status.ERROR for r in run("logs_trail_tampering", logs_only(doc)))


def test_a_table_missing_a_column_runs_nothing(athena: Athena) -> None:
    cols = [{"Name": c.name, "Type": c.athena.lower()} for c in schema.columns() if c.name != "tlsdetails"]
    athena.session.client("glue").update_table(DatabaseName="trail", TableInput=table_input(cols))
    doc = athena.read()
    assert athena.started == []
    assert "lacks the column(s) tlsdetails" in doc["athena"]["refused"]
    assert all(r.status is Status.ERROR for r in run("logs_root_activity", logs_only(doc)))


# --------------------------------------------------------------------------- the API flow


def _runner(athena: Athena, **kw: Any) -> AthenaRunner:
    return AthenaRunner(athena.session.client("athena"), "trail", "primary", f"s3://{BUCKET}-results/q/", **kw)


def test_polling_backs_off_until_the_query_succeeds(athena: Athena) -> None:
    state_manager.set_transition("athena::execution", {"progression": "manual", "times": 3})
    delays: list[float] = []
    runner = _runner(athena, poll_first=0.01, poll_max=0.03, sleep=delays.append)
    rows = runner.rows(f"SELECT count(*) AS n FROM {TABLE} WHERE day = '2026/11/04'")  # noqa: S608
    assert len(rows) == 1 and rows[0]["n"] > 0
    assert delays[:3] == [0.01, 0.02, 0.03] and len(delays) >= 3
    assert runner.queries[0].state == "SUCCEEDED"


def test_a_query_past_the_time_limit_is_stopped(athena: Athena) -> None:
    state_manager.set_transition("athena::execution", {"progression": "manual", "times": 10_000})
    runner = _runner(athena, timeout=0.02, poll_first=0.005, poll_max=0.005)
    with pytest.raises(remote.QueryFailed, match=r"timed out after 0\.02 s") as err:
        runner.rows(f"SELECT 1 AS x FROM {TABLE}")  # noqa: S608
    assert err.value.query_id and athena.backend.executions[err.value.query_id].status == "CANCELLED"


def test_cancelled_by_someone_else_is_an_error_with_the_reason(athena: Athena) -> None:
    failing_on(athena.session, lambda q: True, "CANCELLED", "Query cancelled by user")
    with pytest.raises(remote.QueryFailed, match="CANCELLED: Query cancelled by user"):
        _runner(athena).rows(f"SELECT 1 AS x FROM {TABLE}")  # noqa: S608


def test_a_refused_start_is_an_error_without_query_id(athena: Athena) -> None:
    runner = AthenaRunner(athena.session.client("athena"), "trail", "no-such-workgroup")
    with pytest.raises(remote.QueryFailed, match="StartQueryExecution refused") as err:
        runner.rows("SELECT 1")
    assert err.value.query_id is None


def test_results_are_paginated_typed_and_the_header_row_dropped(athena: Athena) -> None:
    """Athena pages results (1,000 rows at most per page); moto returns one page, so pages are cut on the wire."""
    pages: list[str | None] = []

    def remember(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["next"] = params.get("NextToken")

    def cut(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        start = int(context.get("next") or 0)
        rows = parsed["ResultSet"]["Rows"]
        parsed["ResultSet"]["Rows"] = rows[start : start + 2]
        pages.append(context.get("next"))
        if start + 2 < len(rows):
            parsed["NextToken"] = str(start + 2)

    athena.session.events.register("provide-client-params.athena.GetQueryResults", remember)
    athena.session.events.register("after-call.athena.GetQueryResults", cut)
    sql = (
        "SELECT * FROM (VALUES (1, true, 'a', NULL), (2, false, 'b', 'x'), (3, NULL, NULL, 'y'), "
        "(4, true, 'true', 'z')) AS v(n, flag, s, t) ORDER BY n"
    )
    rows = _runner(athena).rows(sql)
    assert rows == [
        {"n": 1, "flag": True, "s": "a", "t": None},
        {"n": 2, "flag": False, "s": "b", "t": "x"},
        {"n": 3, "flag": None, "s": None, "t": "y"},
        {"n": 4, "flag": True, "s": "true", "t": "z"},
    ]
    assert pages == [None, "2", "4"]  # header + 4 rows, two per page


def test_a_user_query_runs_windowed_and_reports_its_cost(athena: Athena) -> None:
    sql = "SELECT eventname, count(*) AS n FROM cloudtrail WHERE errorcode = 'AccessDenied' GROUP BY 1"
    rows, stats = run_query(
        athena.options(),
        lambda scope, table: adhoc.windowed(sql, table, scope).sql("trino"),
        WINDOW,
        session=athena.session,
        runner_options={"poll_first": 0.001},
    )
    assert rows == [{"eventname": "GetSecretValue", "n": 45}]
    assert "day >= '2026/11/02'" in stats["sql"] and TABLE in stats["sql"]
    assert stats["state"] == "SUCCEEDED" and stats["estimated_cost_usd"] == 0


# --------------------------------------------------------------------------- permissions

POLICY = Path(__file__).resolve().parents[3] / "policy" / "iam-policy-athena.json"


def test_the_athena_policy_is_exactly_the_calls_the_athena_path_makes(athena: Athena) -> None:
    """Our calls (recorded on the wire, a stopped query included) plus what Athena does with the
    caller's permissions (SERVICE_SIDE_ACTIONS): no more, no fewer."""
    from auditor.aws.athena import SERVICE_SIDE_ACTIONS
    from tests.collect.aws_wire import iam_action

    called: set[tuple[str, str]] = set()

    def record(model: Any, **_: Any) -> None:
        called.add((model.service_model.service_name, model.name))

    athena.session.events.register("before-call", record)
    athena.read()
    sql = "SELECT eventname FROM cloudtrail WHERE eventname = 'CreateBucket'"
    run_query(
        athena.options(),
        lambda scope, table: adhoc.windowed(sql, table, scope).sql("trino"),
        WINDOW,
        session=athena.session,
        runner_options={"poll_first": 0.001},
    )
    state_manager.set_transition("athena::execution", {"progression": "manual", "times": 50})
    failing_on(athena.session, lambda q: True, "RUNNING", scanned=10**12)
    athena.read(max_scan_gb=100)
    ours = {iam_action(s, o) for s, o in called}
    assert ours == {
        "athena:StartQueryExecution",
        "athena:GetQueryExecution",
        "athena:GetQueryResults",
        "athena:StopQueryExecution",
        "glue:GetTable",
        "s3:ListBucket",
    }
    assert actions_of(json.loads(POLICY.read_text())) == ours | SERVICE_SIDE_ACTIONS
    read_only = json.loads((POLICY.parent / "iam-policy.json").read_text())
    assert not any("athena:" in json.dumps(s["Action"]) for s in read_only["Statement"]), (
        "the read-only policy stays free of Athena (a separate, opt-in policy)"
    )


def test_a_query_that_finished_past_the_budget_is_used_and_nothing_more_runs(athena: Athena) -> None:
    failing_on(athena.session, lambda q: True, "SUCCEEDED", scanned=10**12)
    doc = athena.read(max_scan_gb=100)
    (only,) = doc["athena"]["queries"]
    assert only["state"] == "SUCCEEDED" and only["reason"] is None
    assert doc["failed_queries"] and all(
        f["reason"] == "not run: the budget of 100 GB is spent" for f in doc["failed_queries"]
    )
    assert all(r.status is Status.ERROR for r in run("logs_root_activity", logs_only(doc)))

"""Sigma correlation rules on the SQL engines: the stream's evidence and findings, and fail closed on Athena.

The rules are the demo's (``auditor/app/demo/sigma``: an event_count burst of
denied Secrets Manager requests, and a value_sum correlation every engine
reports as unsupported) and the event_count, value_count, temporal and
temporal_ordered rules of ``tests/logs/test_sigma_correlation.py``. Their base
rules' candidate rows are samplers of the samples pass; a pass that fails
leaves the correlation unjudged, and its check ERRORs with the query id.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from auditor.app.demo import demo_rules_dir
from auditor.engine.checkapi import Status
from auditor.logs import read_local as stream_read
from auditor.logs.sql.duckdb_engine import read_local as duck_read
from tests.logs.factory import WIDE, event, write_records
from tests.logs.sql.conftest import Athena
from tests.logs.sql.moto_athena import WINDOW, failing_on, in_s3, is_samples_pass
from tests.logs.test_checks import LOG_CHECKS, logs_only, run
from tests.logs.test_sigma_correlation import BASE, BURST, IDS, SPRAY, THEN_OK

SINCE, UNTIL = "2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z"
T = datetime(2026, 1, 5, 10, tzinfo=UTC)
#: The demo's event_count correlation: ten denied Secrets Manager requests by one principal in ten minutes.
DEMO_BURST = "c749db28-d954-4206-af05-a29fed8b68bf"
ACCOUNTS = ("111111111111", "222222222222")


def _denied(when: datetime, user: str, account: str, region: str = "us-east-1") -> dict[str, Any]:
    return event(
        "GetSecretValue",
        when,
        source="secretsmanager.amazonaws.com",
        user=user,
        account=account,
        region=region,
        errorCode="AccessDeniedException",
        errorMessage="not authorized",
        read_only=True,
    )


def _login(when: datetime, ok: bool, ip: str, user: str, account: str) -> dict[str, Any]:
    return event(
        "ConsoleLogin",
        when,
        source="signin.amazonaws.com",
        user=user,
        account=account,
        sourceIPAddress=ip,
        responseElements={"ConsoleLogin": "Success" if ok else "Failure"},
    )


def _events(account: str) -> list[dict[str, Any]]:
    """Bursts that fire and near misses that do not, for every correlation type, amid other calls."""
    evs = [_denied(T + timedelta(seconds=30 * i), "intruder", account) for i in range(12)]  # fires
    evs += [_denied(T + timedelta(minutes=4 * i), "slow", account) for i in range(10)]  # 36 minutes: does not
    evs += [_denied(T + timedelta(seconds=i), "few", account, "eu-west-1") for i in range(9)]  # nine: does not
    evs += [_login(T + timedelta(minutes=i), False, "203.0.113.9", f"u{i}", account) for i in range(6)]
    evs += [_login(T + timedelta(minutes=7), True, "203.0.113.9", "u0", account)]
    evs += [
        _login(T, True, "192.0.2.77", "v", account),
        _login(T + timedelta(minutes=1), False, "192.0.2.77", "v", account),
    ]
    evs += [event("RunInstances", T + timedelta(minutes=m), account=account) for m in range(0, 60, 5)]
    for i, e in enumerate(evs):
        e["eventID"] = f"{account}-{i:03d}"
    return evs


def _write_corpus(root: Path) -> None:
    """Each account's events over files per region and delivery, a burst split across files."""
    for account in ACCOUNTS:
        evs = _events(account)
        for region in ("us-east-1", "eu-west-1"):
            mine = sorted((e for e in evs if e["awsRegion"] == region), key=lambda e: e["eventTime"])
            for n, part in enumerate((mine[::2], mine[1::2])):
                name = f"{account}_CloudTrail_{region}_20260105T10{n:02d}Z_{n}.json.gz"
                write_records(root / account / region / name, part)


def _rules(root: Path) -> Path:
    """The demo's rules and the correlation rules of the stream's tests, in one folder."""
    shutil.copytree(demo_rules_dir(), root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (root / "logins.yml").write_text(BASE)
    for name, doc in (("burst", BURST), ("spray", SPRAY), ("then", THEN_OK.replace("{kind}", "temporal_ordered"))):
        (root / f"corr_{name}.yml").write_text(doc)
    (root / "corr_temporal.yml").write_text(
        THEN_OK.replace("{kind}", "temporal").replace("00000000000c", "00000000000d")
    )
    return root


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("correlations")
    _write_corpus(tmp / "logs")
    rules = _rules(tmp / "rules")
    return (
        stream_read(tmp / "logs", WIDE, rules_dir=rules, workers=1),
        duck_read(tmp / "logs", SINCE, UNTIL, rules_dir=rules),
    )


def test_the_correlations_fire_and_miss_as_the_corpus_says(both: tuple[dict[str, Any], dict[str, Any]]) -> None:
    """Not vacuous: every supported type fires, the demo's burst once per account and only for the intruder."""
    stream, _ = both
    fired = {m["rule_id"] for m in stream["sigma"]["matches"] if "correlation" in m}
    assert fired == {DEMO_BURST, IDS["burst"], IDS["spray"], IDS["then"], "44444444-0000-0000-0000-00000000000d"}
    bursts = [m for m in stream["sigma"]["matches"] if m["rule_id"] == DEMO_BURST]
    assert sorted(m["account_id"] for m in bursts) == list(ACCOUNTS)
    groups = [g["group"] for m in bursts for g in m["correlation"]["groups"]]
    assert groups == [{"userIdentity.arn": f"arn:aws:iam::{a}:user/intruder"} for a in ACCOUNTS]
    assert [u["reason"] for u in stream["sigma"]["unsupported"]] == [
        "correlation type value_sum is not supported (only event_count, value_count, temporal, temporal_ordered)"
    ]


def test_the_whole_evidence_document_is_the_stream_s(both: tuple[dict[str, Any], dict[str, Any]]) -> None:
    """Sigma part included: the rules, the correlations judged, the unsupported one and every match."""
    stream, duck = both
    assert duck["incomplete_rules"] == [] and duck["not_computed"] == []
    for key, value in stream.items():
        assert duck[key] == value, key


@pytest.mark.parametrize("module", LOG_CHECKS)
def test_every_logs_check_gives_the_same_findings(both: tuple[dict[str, Any], dict[str, Any]], module: str) -> None:
    stream, duck = both
    assert run(module, logs_only(duck)) == run(module, logs_only(stream))


# --------------------------------------------------------------------------- Athena

#: A correlation that does not fire on the Athena corpus (three denied calls every five hours), over a
#: base rule not reported on its own: with every query answered, logs-sigma-matches PASSes.
QUIET = """title: denied secrets
id: 66666666-0000-0000-0000-000000000001
name: denied_secrets
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventSource: secretsmanager.amazonaws.com
    errorCode: AccessDenied
  condition: sel
level: low
---
title: a burst of denied secrets
id: 66666666-0000-0000-0000-00000000000a
correlation:
  type: event_count
  rules: [denied_secrets]
  group-by: [userIdentity.arn]
  timespan: 10m
  condition: {gte: 10}
level: high
"""


def _only_rules(athena: Athena, rules: str) -> str:
    """The fixture's rules folder holding only ``rules`` ("demo" or "quiet"); the correlation's id."""
    shutil.rmtree(athena.rules)
    if rules == "demo":
        shutil.copytree(demo_rules_dir(), athena.rules, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
        return DEMO_BURST
    athena.rules.mkdir()
    (athena.rules / "quiet.yml").write_text(QUIET)
    return "66666666-0000-0000-0000-00000000000a"


def _sigma_results(doc: dict[str, Any]) -> list[Any]:
    return run("logs_sigma_matches", logs_only(doc))


@pytest.mark.parametrize("rules", ["demo", "quiet"])
def test_on_athena_the_correlations_are_the_duckdb_engine_s(athena: Athena, rules: str) -> None:
    from auditor.aws.athena import remote_window

    cid = _only_rules(athena, rules)
    doc = athena.read()
    duck = in_s3(duck_read(athena.root, *remote_window(WINDOW), rules_dir=athena.rules), athena.root)
    assert doc["failed_queries"] == [] and len(athena.started) == 2, "the candidates ride in the samples pass"
    assert doc["sigma"] == duck["sigma"]
    assert cid in {c["id"] for c in doc["sigma"]["correlations"]}, "judged"
    assert _sigma_results(doc) == _sigma_results(duck)


@pytest.mark.parametrize("rules", ["demo", "quiet"])
def test_a_failed_correlation_query_is_an_error_with_its_query_id_never_a_pass(athena: Athena, rules: str) -> None:
    cid = _only_rules(athena, rules)
    whole = athena.read()
    if rules == "quiet":  # not vacuous: answered, the correlation and its hidden base rule give a PASS
        assert {r.status for r in _sigma_results(whole)} == {Status.PASS}
    failing_on(athena.session, is_samples_pass, "FAILED", "HIVE_BAD_DATA: malformed record")
    doc = athena.read()
    [failed] = [f for f in doc["failed_queries"] if f["serves"].startswith(f"sigma correlation {cid}: ")]
    assert failed["query_id"] and failed["reason"].startswith("FAILED: HIVE_BAD_DATA: malformed record")
    assert cid not in {c["id"] for c in doc["sigma"].get("correlations", [])}, "not judged on a partial result"
    results = _sigma_results(doc)
    assert results and {r.status for r in results} == {Status.ERROR}
    assert failed["query_id"] in json.dumps([r.evidence for r in results], default=str)

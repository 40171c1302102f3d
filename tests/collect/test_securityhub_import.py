"""--securityhub-import against moto's Security Hub: batches of 100, idempotent by id, its own policy."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest

from auditor.aws.securityhub import BATCH_SIZE, batches, for_account, import_findings
from auditor.engine.checkapi import Status
from auditor.engine.results import Results
from auditor.report.asff import asff_findings
from tests.collect.aws_wire import iam_action
from tests.collect.conftest import CALLER, REGION, client
from tests.report.asff_model import problems
from tests.report.sample import scaled_results

POLICY = Path(__file__).resolve().parents[2] / "policy" / "iam-policy-securityhub.json"
READ_ONLY = POLICY.with_name("iam-policy.json")


def _mine(n: int) -> Results:
    results = scaled_results(n)
    return replace(results, findings=tuple(replace(f, account_id=CALLER) for f in results.findings))


def _all_findings(hub: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in hub.get_paginator("get_findings").paginate():
        found.extend(page["Findings"])
    return found


def _actions(path: Path) -> set[str]:
    out: set[str] = set()
    for statement in json.loads(path.read_text())["Statement"]:
        listed = statement["Action"]
        out.update([listed] if isinstance(listed, str) else listed)
    return out


def test_batches_hold_at_most_100_findings_and_a_bounded_size() -> None:
    items = [{"Id": str(i), "pad": "x" * 100} for i in range(250)]
    assert [len(b) for b in batches(items)] == [100, 100, 50]
    assert [len(b) for b in batches(items, max_bytes=1000)] == [8] * 31 + [2]
    assert list(batches([])) == []


def test_import_sends_batches_of_100_and_reimport_is_idempotent(session: boto3.Session) -> None:
    results = _mine(250)
    findings = asff_findings(results)
    assert len(findings) == 250 and problems(findings) == []
    hub, sts = client(session, "securityhub"), client(session, "sts")
    report = import_findings(findings, securityhub=hub, sts=sts, region=REGION)
    assert report.ok and (report.sent, report.imported, report.batches) == (250, 250, 3)
    stored = _all_findings(hub)
    assert len(stored) == 250
    assert {f["ProductArn"] for f in stored} == {f"arn:aws:securityhub:{REGION}:{CALLER}:product/{CALLER}/default"}
    # the next scan: one failure fixed; importing again updates that finding instead of adding one
    first = results.findings[0]
    fixed = replace(results, findings=(replace(first, status=Status.PASS), *results.findings[1:]))
    again = import_findings(asff_findings(fixed), securityhub=hub, sts=sts, region=REGION)
    assert again.ok and again.imported == 250
    stored = _all_findings(hub)
    assert len(stored) == 250
    mine = next(f for f in stored if f["Id"].endswith(first.id))
    assert mine["Compliance"]["Status"] == "PASSED"


def test_findings_of_other_accounts_are_not_sent_and_are_counted(session: boto3.Session) -> None:
    results = scaled_results(40)  # accounts 1000000000xx, not moto's caller
    hub, sts = client(session, "securityhub"), client(session, "sts")
    report = import_findings(asff_findings(results), securityhub=hub, sts=sts, region=REGION)
    assert report.ok and report.sent == 0 and report.skipped_other_accounts == 40
    assert report.accounts_skipped and CALLER not in report.accounts_skipped
    assert _all_findings(hub) == []


def test_a_finding_without_an_account_is_imported_as_the_callers() -> None:
    findings = asff_findings(
        replace(
            _mine(1), findings=(replace(_mine(1).findings[0], account_id=""),), scan=replace(_mine(1).scan, accounts=())
        )
    )
    assert findings[0]["AwsAccountId"] == "000000000000"
    mine, others = for_account(findings, CALLER, "eu-west-1")
    assert others == [] and mine[0]["AwsAccountId"] == CALLER
    assert mine[0]["ProductArn"] == f"arn:aws:securityhub:eu-west-1:{CALLER}:product/{CALLER}/default"


def test_a_refused_finding_is_reported_not_lost(session: boto3.Session) -> None:
    findings = asff_findings(_mine(3))
    findings[1] = {**findings[1], "Resources": []}  # moto refuses a finding without resources
    hub, sts = client(session, "securityhub"), client(session, "sts")
    report = import_findings(findings, securityhub=hub, sts=sts, region=REGION)
    assert not report.ok and report.imported == 2
    assert [f[0] for f in report.failed] == [findings[1]["Id"]]


def test_the_import_needs_exactly_the_securityhub_policy(session: boto3.Session) -> None:
    called: set[tuple[str, str]] = set()

    def record(model: Any, **_: Any) -> None:
        called.add((model.service_model.service_name, model.name))

    session.events.register("before-call", record)
    report = import_findings(
        asff_findings(_mine(5)), securityhub=client(session, "securityhub"), sts=client(session, "sts"), region=REGION
    )
    assert report.ok
    # sts:GetCallerIdentity needs no permission (AWS allows it to every principal)
    needed = {iam_action(s, o) for s, o in called} - {"sts:GetCallerIdentity"}
    assert needed == _actions(POLICY) == {"securityhub:BatchImportFindings"}
    assert not _actions(POLICY) & _actions(READ_ONLY), "the read-only scan policy stays read-only"


@pytest.mark.parametrize("n", [BATCH_SIZE, BATCH_SIZE + 1])
def test_batch_boundaries(session: boto3.Session, n: int) -> None:
    report = import_findings(
        asff_findings(_mine(n)), securityhub=client(session, "securityhub"), sts=client(session, "sts"), region=REGION
    )
    assert report.batches == (1 if n == BATCH_SIZE else 2) and report.imported == n

"""The CLI's scan and the Lambda handler run one scan job, so they judge the same accounts alike."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest

from auditor.app.cli import main
from auditor.app.pipeline import EvaluationOptions
from auditor.app.scanjob import ScanJob, run_scan_job
from auditor.aws.collect import CollectOptions
from auditor.aws.lambda_handler import handler
from auditor.model.snapshot_io import load_snapshot
from tests.collect.conftest import CALLER, REGION, assume, client, seed_configured_account, session

__all__ = ["session"]  # the moto-backed session fixture of the collection tests


def _organization(session: boto3.Session) -> str:
    org = client(session, "organizations")
    org.create_organization(FeatureSet="ALL")
    member = str(org.create_account(Email="m@example.com", AccountName="member")["CreateAccountStatus"]["AccountId"])
    seed_configured_account(session, member, assume(session, member), prefix="member")
    seed_configured_account(session)
    return member


_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?")


def _outcomes(doc: dict[str, Any]) -> set[tuple[str, str, str, str, str, str]]:
    """Each finding's identity, status and message (moto stamps deliveries with the time of the run)."""
    return {
        (f["check_id"], f["account_id"], f["region"], f["resource_id"], f["status"], _TIME.sub("<time>", f["message"]))
        for f in doc["findings"]
    }


def test_cli_scan_and_lambda_handler_reach_the_same_findings(
    session: boto3.Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    member = _organization(session)
    for name, value in {
        "TRAIL_AUDITOR_OUTPUT_BUCKET": "audit-results",
        "TRAIL_AUDITOR_ORGANIZATION": "true",
        "TRAIL_AUDITOR_ROLE_NAME": "Audit",
    }.items():
        monkeypatch.setenv(name, value)  # the function's configuration, not the event
    client(session, "s3").create_bucket(Bucket="audit-results")  # exists for both runs alike

    code = main(
        [
            "scan",
            "--organization",
            "--role-name",
            "Audit",
            "--regions",
            REGION,
            "--format",
            "json",
            "--output-dir",
            str(tmp_path),
            "--frameworks",
            "pci-dss-4.0.1",
            "-q",
        ]
    )
    summary = handler({"regions": [REGION], "formats": ["json"], "frameworks": ["pci-dss-4.0.1"]}, None)

    assert code in (0, 1, 3)
    (cli_file,) = tmp_path.glob("*.json")
    from_cli = json.loads(cli_file.read_text(encoding="utf-8"))
    key = summary["results"].split("/", 3)[3]
    from_lambda = json.loads(client(session, "s3").get_object(Bucket="audit-results", Key=key)["Body"].read())
    assert {f["account_id"] for f in from_cli["findings"]} >= {CALLER, member}
    assert _outcomes(from_cli) == _outcomes(from_lambda)
    assert from_cli["summary"] == from_lambda["summary"]


def test_a_scan_job_evaluates_the_snapshot_it_saved(session: boto3.Session, tmp_path: Path) -> None:
    member = _organization(session)
    job = ScanJob(
        collect=CollectOptions(regions=(REGION,), organization=True, role_name="Audit"),
        evaluation=EvaluationOptions(),
        snapshot_path=tmp_path / "snapshot.json",
    )

    outcome = run_scan_job(job, session=session)

    saved = load_snapshot(tmp_path / "snapshot.json")
    assert outcome.snapshot_sha256 == saved.sha256() == outcome.results.scan.snapshot_sha256
    assert {a.account_id for a in saved.accounts} == {CALLER, member}
    assert outcome.snapshot.log_evidence is None  # no logs_since: logs are not read


def test_a_scan_job_with_a_log_window_reads_the_trails_logs(session: boto3.Session) -> None:
    _organization(session)
    job = ScanJob(
        collect=CollectOptions(regions=(REGION,), organization=True, role_name="Audit"),
        evaluation=EvaluationOptions(),
        logs_since="1d",
    )

    outcome = run_scan_job(job, session=session)

    evidence = outcome.snapshot.log_evidence.to_dict() if outcome.snapshot.log_evidence is not None else None
    assert evidence is not None
    assert len(evidence["sources"]) == 2  # the management account's and the member's trail buckets
    assert not [p for p in evidence["file_problems"] if "cannot open a session" in p["reason"]]
    assert outcome.results.findings

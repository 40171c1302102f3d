"""Scan history in a folder and in moto S3; SNS notification; the Lambda handler under moto."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
from moto import mock_aws

from auditor.engine.checkapi import Status
from auditor.gate.history import LocalStore, S3Store, key_for, record
from auditor.gate.notify import notify_new_failures, summary_text
from tests.gate.builders import finding, results


def test_local_history_compares_with_latest_previous(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "hist")
    first = results([finding("a", Status.PASS)], "scan-1", "2026-11-01T10:00:00Z")
    second = results([finding("a", Status.FAIL)], "scan-2", "2026-11-02T10:00:00Z")
    _, prev1, _ = record(store, first)
    assert prev1 is None
    updated, prev2, location = record(store, second)
    assert prev2 is not None and prev2.scan.id == "scan-1"
    assert updated.history is not None
    assert updated.history["drift"]["regressions"] == [second.findings[0].id]
    assert [t["scan_id"] for t in updated.history["trend"]] == ["scan-1", "scan-2"]
    assert Path(location).exists() and key_for(second) in list(store.keys())
    stored = json.loads(Path(location).read_text())
    assert stored["history"]["previous"]["scan_id"] == "scan-1"


@mock_aws
def test_s3_history_and_sns_notification() -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="audit-results")
    store = S3Store(s3, "audit-results", "scans/prod")
    record(store, results([finding("a", Status.PASS)], "scan-1", "2026-11-01T10:00:00Z"))
    updated, prev, location = record(
        store, results([finding("a", Status.FAIL), finding("b", Status.FAIL)], "scan-2", "2026-11-02T10:00:00Z")
    )
    assert prev is not None and location.startswith("s3://audit-results/scans/prod/2026/11/02/")
    assert len(store.keys()) == 2
    sns = boto3.client("sns", region_name="us-east-1")
    topic = sns.create_topic(Name="audit")["TopicArn"]
    sqs = boto3.client("sqs", region_name="us-east-1")
    queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
    assert notify_new_failures(sns, topic, updated) is not None
    body = json.loads(sqs.receive_message(QueueUrl=queue)["Messages"][0]["Body"])
    assert "new failures since the previous scan: 2" in body["Message"]
    unchanged, _, _ = record(
        store, results([finding("a", Status.FAIL), finding("b", Status.FAIL)], "scan-3", "2026-11-03T10:00:00Z")
    )
    assert notify_new_failures(sns, topic, unchanged) is None


def test_summary_text_truncates_hostile_names() -> None:
    res = results([finding("a", Status.FAIL, resource="x" * 5000 + "<script>")])
    text = summary_text(res)
    assert len(max(text.splitlines(), key=len)) < 400

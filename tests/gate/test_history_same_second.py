"""Evaluations stored in one second: none overwrites another, and "the last scan" stays the last.

Times in results have whole seconds and ``evaluate`` keeps a snapshot's scan id,
so evaluating one snapshot twice in a second (a script, a re-run CI job, two
jobs at once) gives two results documents with the same time and scan id. Each
test runs against a folder and against a moto S3 prefix.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from auditor.engine.checkapi import Status
from auditor.engine.results import Results
from auditor.gate.history import HistoryStore, LocalStore, S3Store, attach, record, store_entry
from tests.gate.builders import finding, results

SECOND = "2026-11-01T10:00:00Z"
EARLIER = "2026-11-01T09:59:59Z"


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HistoryStore]:
    if request.param == "local":
        yield LocalStore(tmp_path / "hist")
        return
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="audit-results")
        yield S3Store(s3, "audit-results", "scans/prod")


def _evaluation(check: str, status: Status = Status.FAIL, when: str = SECOND) -> Results:
    """One evaluation of the snapshot ``scan-1``; its findings tell evaluations apart."""
    return results([finding(check, status)], "scan-1", when)


def test_two_evaluations_in_one_second_are_both_kept_and_the_second_compares_with_the_first(
    store: HistoryStore,
) -> None:
    record(store, _evaluation("older", when=EARLIER))
    record(store, _evaluation("a", Status.PASS))
    second, previous, _ = record(store, _evaluation("a", Status.FAIL))
    # The first of a second keeps the key entries always had; the next is its copy ~2.
    assert store.keys() == [
        "2026/11/01/20261101T095959Z-scan-1.json",
        "2026/11/01/20261101T100000Z-scan-1.json",
        "2026/11/01/20261101T100000Z-scan-1~2.json",
    ]
    assert previous is not None and [f.check_id for f in previous.findings] == ["a"]
    assert second.history is not None
    assert second.history["drift"]["regressions"] == [second.findings[0].id]
    assert second.history["previous"]["key"] == "2026/11/01/20261101T100000Z-scan-1.json"
    third, previous3, _ = record(store, _evaluation("a", Status.FAIL))
    assert third.history is not None and third.history["previous"]["key"].endswith("scan-1~2.json")
    assert previous3 is not None and previous3.findings[0].status is Status.FAIL
    assert third.history["drift"]["regressions"] == [] and third.history["problems"] == []
    assert len(third.history["trend"]) == 4


def test_copies_sort_by_number_so_the_tenth_comes_after_the_ninth(store: HistoryStore) -> None:
    for n in range(1, 12):
        _, previous, location = record(store, _evaluation(f"c{n}"))
        assert (previous is None) == (n == 1)
        assert previous is None or [f.check_id for f in previous.findings] == [f"c{n - 1}"]
    assert location.endswith("20261101T100000Z-scan-1~11.json")
    assert len(store.keys()) == 11


def test_two_jobs_racing_for_one_key_both_keep_their_entry(store: HistoryStore) -> None:
    """Both read the history before either writes (two CI jobs at once): neither entry is lost."""
    first, _ = attach(store, _evaluation("job-1"))
    second, _ = attach(store, _evaluation("job-2"))
    locations = {store_entry(store, first), store_entry(store, second)}
    keys = store.keys()
    assert len(locations) == 2 and len(keys) == 2
    stored = [json.loads(store.read(k)) for k in keys]
    assert sorted(doc["findings"][0]["check_id"] for doc in stored) == ["job-1", "job-2"]


def test_without_hard_links_evaluations_are_still_kept_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder on a file system that refuses link() (FAT, some network mounts)."""

    def no_hard_links(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_hard_links)
    store = LocalStore(tmp_path)
    record(store, _evaluation("a", Status.PASS))
    _, previous, _ = record(store, _evaluation("a"))
    assert previous is not None and previous.findings[0].status is Status.PASS
    assert store.keys() == ["2026/11/01/20261101T100000Z-scan-1.json", "2026/11/01/20261101T100000Z-scan-1~2.json"]
    assert [p.name for p in (tmp_path / "2026/11/01").iterdir() if p.name.startswith(".")] == []

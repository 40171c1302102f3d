"""Which samples an evidence document keeps, and their order, never depend on merge order.

Workers finish in any order and the parent merges their partials as they
come, and CloudTrail delivers some events twice (two files, same eventTime and
eventID). The samples are ordered by all their fields, so the document is
the same whatever the order the files were read and merged in, and the two-tier
reader still agrees with the reference when records tie on time and id.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from auditor.logs import read_local
from auditor.logs.aggregate import SAMPLES, Params, Partial
from auditor.logs.document import to_document
from auditor.logs.reader import WorkerConfig, process_path
from tests.logs.factory import ACCOUNT, WIDE, event, write_records

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
PARAMS = Params(since=WIDE.since.strftime("%Y-%m-%dT%H:%M:%SZ"), until=WIDE.until.strftime("%Y-%m-%dT%H:%M:%SZ"))


def _file(folder: Path, n: int, events: list[dict[str, Any]]) -> Path:
    return write_records(folder / f"{ACCOUNT}_CloudTrail_us-east-1_20261102T08{n:02d}Z_f{n}.json.gz", events)


def _document(paths: list[Path], fast: bool) -> dict[str, Any]:
    cfg = WorkerConfig(PARAMS, fast=fast)
    merged = Partial()
    for p in paths:
        merged.merge(process_path(str(p), cfg))
    return to_document(merged, cfg.params, ["logs"])


@pytest.mark.parametrize("fast", [True, False])
def test_a_duplicated_delivery_gives_one_document_whatever_the_merge_order(tmp_path: Path, fast: bool) -> None:
    # the same write events delivered in three files, and more of them than a bucket keeps
    events = [event("PutObject", T0 + timedelta(seconds=i // 7), source="s3.amazonaws.com") for i in range(SAMPLES + 9)]
    paths = [_file(tmp_path, n, events) for n in range(3)]
    docs = [_document(list(order), fast) for order in itertools.permutations(paths)]
    assert all(d == docs[0] for d in docs[1:])
    (scope,) = docs[0]["coverage"]
    assert len(scope["first_writes"]) == SAMPLES and scope["writes"] == 3 * len(events)


def test_records_tying_on_time_and_id_are_sampled_as_the_reference_samples_them(tmp_path: Path) -> None:
    # more write records than a bucket keeps, one time and one id, told apart only by their source IP
    events = [
        event("PutObject", T0, source="s3.amazonaws.com", eventID="same", sourceIPAddress=f"198.51.100.{200 - i}")
        for i in range(SAMPLES + 10)
    ]
    _file(tmp_path, 1, events)
    fast = read_local(tmp_path, WIDE, workers=1, fast=True)
    ref = read_local(tmp_path, WIDE, workers=1, fast=False)
    assert fast == ref
    (scope,) = ref["coverage"]
    kept = [w["sourceIPAddress"] for w in scope["first_writes"]]
    assert kept == sorted(e["sourceIPAddress"] for e in events)[:SAMPLES]

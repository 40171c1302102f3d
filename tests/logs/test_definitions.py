"""The definitions the reference path, the fast path and the SQL engine share (auditor.logs.definitions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest

from auditor.logs import definitions as defs
from auditor.logs import read_local
from auditor.logs.fastpath import SlimRecord
from auditor.logs.parse import EVENTBRIDGE_KEY
from auditor.logs.sql.aggregations import WRITE_SQL
from tests.logs.factory import WIDE, event, write_records

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)

#: (readOnly, eventName, eventType) -> write?
CASES: list[tuple[Any, str, Any, bool]] = [
    (False, "RunInstances", "AwsApiCall", True),
    ("false", "PutObject", "AwsApiCall", True),
    (True, "RunInstances", "AwsApiCall", False),
    ("true", "DeleteTrail", "AwsApiCall", False),
    ({"odd": 1}, "DeleteTrail", "AwsApiCall", False),
    (None, "CreateTags", "AwsApiCall", True),  # absent: the verb decides
    (None, "GetObject", "AwsApiCall", False),
    (None, "DescribeInstances", "AwsApiCall", False),
    (None, "BatchGetItem", "AwsApiCall", False),
    (None, "Testify", "AwsApiCall", False),  # a prefix, not a word
    (False, "RunInstances", "AwsServiceEvent", False),
    (None, "CreateTags", "AwsServiceEvent", False),
]


def test_the_shared_definitions_are_pinned() -> None:
    assert defs.READ_PREFIXES == (
        "Get",
        "List",
        "Describe",
        "Head",
        "Lookup",
        "BatchGet",
        "Search",
        "Scan",
        "Query",
        "Select",
        "Check",
        "Verify",
        "Test",
    )
    assert {"evt", "http", "network", "@timestamp", "@version", "ddsource", "ddtags", "aws"} == defs.FORWARDER_KEYS
    assert defs.SERVICE_EVENT == "AwsServiceEvent"


@pytest.mark.parametrize(("read_only", "name", "event_type", "write"), CASES)
def test_the_write_rule(read_only: Any, name: str, event_type: Any, write: bool) -> None:
    assert defs.is_write(read_only, name, event_type) is write


def test_the_fast_path_declines_every_forwarder_key() -> None:
    """The slim record types each forwarder key (and the EventBridge envelope's key) as absent,
    so a forwarded or bridged record falls back to the reference path."""
    declined = {f.encode_name for f in msgspec.structs.fields(SlimRecord) if f.default is msgspec.UNSET}
    assert declined == defs.FORWARDER_KEYS | {EVENTBRIDGE_KEY}


def test_the_sql_write_rule_is_built_from_the_shared_verbs() -> None:
    assert "^(" + "|".join(defs.READ_PREFIXES) + ")" in WRITE_SQL
    assert f"'{defs.SERVICE_EVENT}'" in WRITE_SQL


@pytest.mark.parametrize("fast", [True, False])
def test_each_path_counts_the_writes_the_rule_counts(tmp_path: Path, fast: bool) -> None:
    evs = []
    for i, (read_only, name, event_type, _) in enumerate(CASES):
        ev = event(name, T0 + timedelta(minutes=i), read_only=None, eventType=event_type)
        if read_only is not None:
            ev["readOnly"] = read_only
        evs.append(ev)
    write_records(tmp_path / "logs.json.gz", evs)
    doc = read_local(tmp_path, WIDE, workers=1, fast=fast)
    assert [c["writes"] for c in doc["coverage"]] == [sum(w for *_, w in CASES)]

"""Sigma string tests on object-valued fields, null, '' and * (issue 14).

Every SigmaHQ CloudTrail rule that tests ``requestParameters`` or
``responseElements`` as a whole is held here with an event it must match
and one it must not. Before issue 14 such a test never matched (the value is
an object, not text), and the rules were still counted as evaluated.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from auditor.logs import read_local
from auditor.logs.sigma import SigmaRuleSpec, evaluate, json_text, load_rules
from auditor.logs.sql.duckdb_engine import read_local as duck_read
from tests.logs.factory import FIXTURES, WIDE, event, write_records

RULES = FIXTURES / "sigma" / "rules"
T = datetime(2026, 1, 5, 10, tzinfo=UTC)
VERSIONING = "a136ac98-b2bc-4189-a14d-f0d0388e57a7"
EXPORT = "54b9a76a-3c71-4673-b4b3-2edb4566ea7b"
S3BROWSER = "db014773-7375-4f4e-b83b-133337c0ffee"

#: The policy S3 Browser writes by default, as CloudTrail records it: text inside requestParameters.
TEMPLATE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": ["arn:aws:s3:::<YOUR-BUCKET-NAME>/*"],
            }
        ],
    },
    indent=4,
)


def _events() -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """rule id -> (an event it matches, a near event it must not match)."""
    versioning = event(
        "PutBucketVersioning",
        T,
        source="s3.amazonaws.com",
        requestParameters={
            "bucketName": "logs",
            "VersioningConfiguration": {"Status": "Suspended", "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"},
            "versioning": "",
        },
    )
    enabled = {
        **versioning,
        "requestParameters": {"bucketName": "logs", "VersioningConfiguration": {"Status": "Enabled"}, "versioning": ""},
    }
    export = event(
        "CreateInstanceExportTask",
        T,
        source="ec2.amazonaws.com",
        errorCode=None,
        errorMessage=None,
        requestParameters={"instanceId": "i-0abc", "targetEnvironment": "vmware"},
        responseElements={"exportTask": {"exportTaskId": "export-i-0abc", "state": "active"}},
    )
    failed = {
        **export,
        "responseElements": {"exportTask": {"state": "cancelled", "statusMessage": "Failure: instance not exportable"}},
    }
    browser = event(
        "PutUserPolicy",
        T,
        source="iam.amazonaws.com",
        userAgent="S3 Browser 11.4.5 https://s3browser.com",
        requestParameters={"userName": "backup", "policyName": "s3", "policyDocument": TEMPLATE_POLICY},
    )
    named = {
        **browser,
        "requestParameters": {
            "userName": "backup",
            "policyName": "s3",
            "policyDocument": TEMPLATE_POLICY.replace("<YOUR-BUCKET-NAME>", "prod"),
        },
    }
    return {VERSIONING: (versioning, enabled), EXPORT: (export, failed), S3BROWSER: (browser, named)}


def _whole_object_rules() -> list[SigmaRuleSpec]:
    specs, _ = load_rules(RULES)

    def whole(node: Any) -> bool:
        if node[0] in ("and", "or"):
            return any(whole(c) for c in node[1])
        if node[0] == "not":
            return whole(node[1])
        return node[1] in (("requestParameters",), ("responseElements",))

    return [s for s in specs if whole(s.node)]


def test_the_sigmahq_rules_testing_whole_objects_are_all_held_here() -> None:
    assert sorted(s.id for s in _whole_object_rules()) == sorted(_events())


@pytest.mark.parametrize("rule_id", sorted(_events()))
def test_each_rule_matches_its_event_and_not_the_near_miss(rule_id: str) -> None:
    [spec] = [s for s in _whole_object_rules() if s.id == rule_id]
    hit, miss = _events()[rule_id]
    assert evaluate(spec.node, hit)
    assert not evaluate(spec.node, miss)


def test_the_stream_and_sql_engines_agree_on_them(tmp_path: Path) -> None:
    evs = [e for pair in _events().values() for e in pair]
    for i, e in enumerate(evs):
        e["eventID"] = f"ev-{i}"
    write_records(tmp_path / "111111111111_CloudTrail_us-east-1_20260105T1000Z_x.json.gz", evs)
    stream = read_local(tmp_path, WIDE, rules_dir=RULES, workers=1)
    duck = duck_read(tmp_path, "2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z", rules_dir=RULES)

    def hits(doc: dict[str, Any]) -> dict[str, list[str]]:
        return {
            m["rule_id"]: [e["eventID"] for e in m["events"]]
            for m in doc["sigma"]["matches"]
            if m["rule_id"] in _events()
        }

    assert hits(stream) == hits(duck) == {VERSIONING: ["ev-0"], EXPORT: ["ev-2"], S3BROWSER: ["ev-4"]}


def test_canonical_json_text_is_compact_in_record_order_with_embedded_documents_expanded() -> None:
    assert json_text({"b": 1, "a": {"é": [True, None]}}) == '{"b":1,"a":{"é":[true,null]}}'
    expanded = json_text({"p": '{"x": "y"}', "q": "{not json", "r": "[1, 2]"})
    assert expanded == '{"p":{"x":"y"},"q":"{not json","r":[1,2]}'


def _rule(tmp_path: Path, selection: str, condition: str = "sel") -> SigmaRuleSpec:
    (tmp_path / "r.yml").write_text(
        "title: t\nid: 33333333-0000-0000-0000-000000000001\nlogsource: {product: aws, service: cloudtrail}\n"
        f"detection:\n  sel:\n    {selection}\n  condition: {condition}\nlevel: low\n"
    )
    [spec], unsupported = load_rules(tmp_path)
    assert not unsupported
    return spec


def test_null_matches_absent_and_json_null_never_empty(tmp_path: Path) -> None:
    spec = _rule(tmp_path, "errorCode: null")
    base = event("StopLogging", T)
    assert evaluate(spec.node, base)  # absent
    assert evaluate(spec.node, {**base, "errorCode": None})
    assert not evaluate(spec.node, {**base, "errorCode": ""})
    assert not evaluate(spec.node, {**base, "errorCode": "AccessDenied"})


def test_empty_value_matches_only_the_empty_string(tmp_path: Path) -> None:
    spec = _rule(tmp_path, "errorCode: ''")
    base = event("StopLogging", T)
    assert evaluate(spec.node, {**base, "errorCode": ""})
    assert not evaluate(spec.node, base)
    assert not evaluate(spec.node, {**base, "errorCode": None})


@pytest.mark.parametrize("value", ["'*'", "'**'"])
def test_a_bare_star_is_a_string_wildcard_not_exists(tmp_path: Path, value: str) -> None:
    spec = _rule(tmp_path, f"errorCode: {value}")
    base = event("StopLogging", T)
    assert not evaluate(spec.node, {**base, "errorCode": None})
    assert not evaluate(spec.node, base)
    for v in ("", "AccessDenied", 3, False, {"a": 1}):
        assert evaluate(spec.node, {**base, "errorCode": v}), v


def test_exists_still_sees_a_null_field(tmp_path: Path) -> None:
    spec = _rule(tmp_path, "errorCode|exists: true")
    base = event("StopLogging", T)
    assert evaluate(spec.node, {**base, "errorCode": None})
    assert not evaluate(spec.node, base)

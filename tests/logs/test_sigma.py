"""Sigma rules: every SigmaHQ CloudTrail rule evaluates or is reported unsupported."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditor.logs import read_local
from auditor.logs.sigma import SigmaRuleSpec, evaluate, load_rules
from tests.logs.factory import FIXTURES, WIDE, event, write_records

SIGMA = FIXTURES / "sigma"
DISABLE_LOGGING = "4db60cc0-36fb-42b7-9b58-a5b53019fb74"


def only_rule(folder: Path, text: str) -> SigmaRuleSpec:
    """The one rule ``text`` defines, which must be supported."""
    (folder / "r.yml").write_text(text)
    [spec], unsupported = load_rules(folder)
    assert not unsupported
    return spec


def test_every_sigmahq_cloudtrail_rule_evaluates() -> None:
    files = sorted((SIGMA / "rules").rglob("*.yml"))
    specs, unsupported = load_rules(SIGMA / "rules")
    assert len(specs) + len(unsupported) == len(files) == 57
    # one SigmaHQ rule tests a field CloudTrail records do not have ("status: success"): it could
    # never fire, so it is reported with the reason instead of being counted as evaluated
    assert [(u.id, u.reason.split(":")[0]) for u in unsupported] == [
        ("ccd6a6c8-bb4e-4a91-9d2a-07e632819374", "field status is not a CloudTrail record field")
    ]
    # the rule that compares two fields (fieldref) is among them
    assert any(s.id == "055fb148-60f8-462d-ad16-26926ce050f1" for s in specs)


def test_fieldref_filter_drops_users_changing_their_own_login_profile() -> None:
    specs, _ = load_rules(SIGMA / "rules")
    [spec] = [s for s in specs if s.id == "055fb148-60f8-462d-ad16-26926ce050f1"]
    t = datetime(2026, 1, 1, tzinfo=UTC)
    other = event("UpdateLoginProfile", t, source="iam.amazonaws.com", requestParameters={"userName": "bob"})
    assert evaluate(spec.node, other)
    own = {**other, "userIdentity": {"arn": "BOB"}}  # the rule compares the arn itself; IAM names ignore case
    assert not evaluate(spec.node, own)
    assert evaluate(spec.node, {**other, "requestParameters": None})  # nothing to compare: not filtered


MODIFIERS = """
title: modifiers beyond strings
id: 22222222-3333-4444-5555-666666666666
logsource: {product: aws, service: cloudtrail}
detection:
    sel_net:
        sourceIPAddress|cidr: ['10.0.0.0/8', '2001:db8::/32']
    sel_big:
        additionalEventData.bytesTransferredOut|gt: 1000000
    sel_small:
        additionalEventData.bytesTransferredOut|lte: 10
    sel_dash:
        requestParameters.commandLine|windash|contains: ' -enc '
    sel_self:
        requestParameters.roleSessionName|fieldref|startswith: userIdentity.userName
    condition: 1 of sel_*
level: medium
"""


def test_cidr_numeric_windash_and_fieldref_prefix_modifiers(tmp_path: Path) -> None:
    spec = only_rule(tmp_path, MODIFIERS)
    t = datetime(2026, 1, 1, tzinfo=UTC)
    base = event(
        "GetObject",
        t,
        source="s3.amazonaws.com",
        sourceIPAddress="198.51.100.7",
        additionalEventData={"bytesTransferredOut": 500},
        userIdentity={"userName": "alice"},
    )
    assert not evaluate(spec.node, base)
    for hit in (
        {**base, "sourceIPAddress": "10.1.2.3"},
        {**base, "sourceIPAddress": "2001:db8::1"},
        {**base, "additionalEventData": {"bytesTransferredOut": 2_000_000}},
        {**base, "additionalEventData": {"bytesTransferredOut": "7"}},  # numeric text counts
        {**base, "requestParameters": {"commandLine": "powershell /enc AAAA"}},  # windash: / for -
        {**base, "requestParameters": {"roleSessionName": "Alice-session"}},
    ):
        assert evaluate(spec.node, hit), hit
    for miss in (
        {**base, "sourceIPAddress": "cloudtrail.amazonaws.com"},  # a service, not an address
        {**base, "sourceIPAddress": "11.0.0.1"},
        {**base, "additionalEventData": {"bytesTransferredOut": True}},  # booleans are not numbers
        {**base, "additionalEventData": {"bytesTransferredOut": "lots"}},
        {**base, "requestParameters": {"roleSessionName": "session-alice"}},
    ):
        assert not evaluate(spec.node, miss), miss


def test_deprecated_aggregation_rules_are_reported_unsupported() -> None:
    specs, unsupported = load_rules(SIGMA / "unsupported")
    aws = [u for u in unsupported if u.path.startswith("cloud/aws")]
    assert aws and not any(s.path.startswith("cloud/aws") for s in specs)
    assert all("pipe syntax" in u.reason or "timeframe" in u.reason for u in aws)


def test_placeholder_rules_without_values_are_reported_unsupported() -> None:
    """With values from a pipeline they evaluate: tests/logs/test_sigma_correlation.py."""
    specs, unsupported = load_rules(SIGMA / "rules-placeholder")
    assert not specs
    assert [u.reason for u in unsupported] == [
        "SigmaValueError: Placeholder replacement variable 'Legitimate_Countries' doesn't exists. "
        "(define it under vars: in a processing pipeline file in the rules folder)"
    ]


def test_disable_logging_rule_fires_on_the_cloudtrail_stop_detonation(stratus_doc: dict[str, Any]) -> None:
    hits = [m for m in stratus_doc["sigma"]["matches"] if m["rule_id"] == DISABLE_LOGGING]
    names = {e["eventName"] for m in hits for e in m["events"]}
    assert {"StopLogging", "DeleteTrail"} <= names
    assert hits[0]["title"] == "AWS CloudTrail Important Change"


RULE = """
title: test modifiers
id: 11111111-2222-3333-4444-555555555555
logsource: {product: aws, service: cloudtrail}
detection:
    selection_name:
        eventName|startswith: 'Put'
    selection_agent:
        userAgent|contains|all: ['aws-cli', 'linux']
    selection_src:
        eventSource|endswith: '.AMAZONAWS.COM'
    filter_user:
        userIdentity.userName: 'robot'
    condition: selection_name and 1 of selection_a* and all of selection_s* and not filter_user
level: high
"""


def test_modifiers_and_conditions_are_evaluated(tmp_path: Path) -> None:
    spec = only_rule(tmp_path, RULE)
    t = datetime(2026, 1, 1, tzinfo=UTC)
    hit = event("PutBucketPolicy", t, source="s3.amazonaws.com", userAgent="aws-cli/2 Linux/6")
    assert evaluate(spec.node, hit)
    assert not evaluate(spec.node, {**hit, "userAgent": "aws-cli/2 Windows"})
    assert not evaluate(spec.node, {**hit, "eventName": "GetBucketPolicy"})
    assert not evaluate(spec.node, {**hit, "userIdentity": {"userName": "robot"}})
    assert spec.names is None  # startswith cannot pre-filter by exact name

    write_records(tmp_path / "logs" / "a.json.gz", [hit])
    doc = read_local(tmp_path / "logs", WIDE, rules_dir=tmp_path, workers=1)
    [m] = doc["sigma"]["matches"]
    assert (m["rule_id"], m["title"], m["total"]) == (spec.id, "test modifiers", 1)


def test_wildcard_values_match_without_backtracking(tmp_path: Path) -> None:
    """Issue 17 item 3: a many-star Sigma value against a long log value stays fast."""
    (tmp_path / "r.yml").write_text(
        "title: many stars\nid: 11111111-2222-3333-4444-666666666666\n"
        "logsource: {product: aws, service: cloudtrail}\n"
        "detection:\n    sel:\n        userAgent: '" + "*a" * 20 + "*?Q'\n    condition: sel\nlevel: low\n"
    )
    [spec], unsupported = load_rules(tmp_path)
    assert not unsupported
    t = datetime(2026, 1, 1, tzinfo=UTC)
    start = time.perf_counter()
    assert not evaluate(spec.node, event("GetObject", t, userAgent="A" * 20_000))
    assert time.perf_counter() - start < 0.05
    assert evaluate(spec.node, event("GetObject", t, userAgent="A" * 20_000 + "xq"))

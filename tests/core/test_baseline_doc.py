"""docs/baseline.md is the baseline's reference: its examples load, and it names every key of the schema."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date
from pathlib import Path

from auditor.engine.checkapi import Severity, Status
from auditor.gate.baseline import load_baseline
from auditor.gate.decision import waiver_matches
from auditor.mapping.frameworks import load_profiles
from auditor.model.package_data import schema_text
from tests.gate.builders import finding

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "baseline.md"


def _yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.S)


def test_the_example_baseline_loads_as_documented(tmp_path: Path) -> None:
    path = tmp_path / "baseline.yaml"
    path.write_text(_yaml_blocks()[0])
    baseline = load_baseline(path)
    assert baseline.fail_on is Severity.HIGH
    assert baseline.severity_overrides == {"trail-insights": Severity.INFO}
    (waiver,) = baseline.waivers
    assert waiver.expires == date(2027, 6, 30) and waiver.account == "123456789012"


def test_every_schema_key_is_documented() -> None:
    schema = json.loads(schema_text("baseline.schema.json"))
    text = DOC.read_text()
    keys = set(schema["properties"]) | set(schema["properties"]["waivers"]["items"]["properties"])
    undocumented = sorted(k for k in keys if f"| `{k}` |" not in text)
    assert undocumented == []


def test_the_example_profile_loads(tmp_path: Path) -> None:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "acme.yaml").write_text(_yaml_blocks()[1])
    profile = load_profiles([tmp_path])["acme-7y"]
    assert (profile.retention_days, profile.hot_retention_days) == (2555, 180)


def test_the_documented_glob_matches_arn_or_id(tmp_path: Path) -> None:
    """The doc says `resource` globs on resource_arn or resource_id, and `account` is exact or '*'."""
    path = tmp_path / "baseline.yaml"
    path.write_text(_yaml_blocks()[0])
    (waiver,) = load_baseline(path).waivers
    base = finding("bucket-mfa-delete", Status.FAIL, account="123456789012")
    by_arn = replace(base, resource_arn="arn:aws:s3:::acme-logs-eu", resource_id="other")
    by_id = replace(base, resource_arn=None, resource_id="arn:aws:s3:::acme-logs")
    elsewhere = replace(by_arn, account_id="123456789013")
    unrelated = replace(base, resource_arn="arn:aws:s3:::other-logs", resource_id="other-logs")
    assert waiver_matches(waiver, by_arn) and waiver_matches(waiver, by_id)
    assert not waiver_matches(waiver, elsewhere) and not waiver_matches(waiver, unrelated)

"""baseline.yaml loading: the documented example loads; errors name file, line and field."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from auditor.engine.checkapi import Severity
from auditor.gate.baseline import load_baseline
from auditor.model.errors import AuditorError, ValidationError

EXAMPLE = """\
version: 1
frameworks: [pci-dss-4.0.1, hipaa]
fail_on: high              # critical | high | medium | low | info
profile: pci
trusted_accounts: ["111122223333"]
severity_overrides: {trail-insights: info}
waivers:
  - check: bucket-mfa-delete
    account: "123456789012"
    resource: "arn:aws:s3:::acme-logs*"   # glob on resource_arn or resource_id
    reason: Object Lock in compliance mode protects the objects
    owner: secops@example.com
    expires: 2027-06-30
"""


def test_documented_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "baseline.yaml"
    path.write_text(EXAMPLE)
    b = load_baseline(path)
    assert b.frameworks == ("pci-dss-4.0.1", "hipaa")
    assert b.fail_on is Severity.HIGH and b.profile == "pci"
    assert b.severity_overrides == {"trail-insights": Severity.INFO}
    (w,) = b.waivers
    assert w.expires == date(2027, 6, 30) and w.account == "123456789012"
    assert w.origin.endswith("baseline.yaml:8")


def test_bad_field_names_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "baseline.yaml"
    path.write_text(EXAMPLE.replace("fail_on: high", "fail_on: severe"))
    with pytest.raises(ValidationError, match=r"baseline\.yaml:3: fail_on: 'severe' is not one of"):
        load_baseline(path)


def test_waiver_without_owner_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "baseline.yaml"
    path.write_text(EXAMPLE.replace("    owner: secops@example.com\n", ""))
    with pytest.raises(ValidationError, match=r"baseline\.yaml:8: waivers\[0\]: 'owner' is a required"):
        load_baseline(path)


def test_invalid_yaml_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text("version: 1\nwaivers: [\n")
    with pytest.raises(ValidationError, match=r"b\.yaml:\d+: not valid YAML"):
        load_baseline(path)
    with pytest.raises(AuditorError, match="no such baseline file"):
        load_baseline(tmp_path / "none.yaml")


def test_yaml_tags_are_not_executed(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text("version: 1\nprofile: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ValidationError):
        load_baseline(path)

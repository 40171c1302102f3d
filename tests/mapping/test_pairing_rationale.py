"""Each check→control pairing says why the check evidences the control; checks that mean it decide it."""

from __future__ import annotations

import pytest

from auditor.engine.checkapi import Settings, Status
from auditor.engine.results import Results, ScanInfo
from auditor.mapping.frameworks import apply_mappings, load_frameworks, parse_framework, recompute_verdicts
from auditor.model.errors import ValidationError
from tests.mapping.catalogue import CATALOGUE
from tests.mapping.test_rollup import finding


def test_every_shipped_pairing_has_a_rationale() -> None:
    missing = [
        f"{fw.id} {c.id} {check}"
        for fw in load_frameworks(CATALOGUE)
        for c in fw.controls
        for check in c.checks
        if not c.why.get(check, "").strip()
    ]
    assert missing == []
    extra = [f"{fw.id} {c.id}" for fw in load_frameworks(CATALOGUE) for c in fw.controls if set(c.why) - set(c.checks)]
    assert extra == []


def _document(why: dict[str, str]) -> dict[str, object]:
    return {
        "id": "acme",
        "title": "ACME",
        "version": "1",
        "publisher": "p",
        "url": "https://example.org",
        "description": "d",
        "controls": [
            {
                "id": "1",
                "title": "t",
                "description": "d",
                "section": "s",
                "automation": "automated",
                "checks": ["trail-enabled"],
                "why": why,
            }
        ],
    }


def test_a_rationale_for_a_check_the_control_does_not_name_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"controls\[0\]\.why\.trail-multi-region"):
        parse_framework(_document({"trail-multi-region": "x"}), "acme.yaml", CATALOGUE)


def test_an_empty_rationale_is_refused_by_the_schema() -> None:
    with pytest.raises(ValidationError):
        parse_framework(_document({"trail-enabled": ""}), "acme.yaml", CATALOGUE)


def test_the_rationale_reaches_the_verdict_and_survives_a_re_roll_up() -> None:
    (pci,) = load_frameworks(CATALOGUE, selected=["pci-dss-4.0.1"])
    _, (verdict,) = apply_mappings([finding("trail-enabled", Status.PASS)], [pci])
    ten_two_one = next(c for c in verdict.controls if c.id == "10.2.1")
    assert "logging in every scanned account" in ten_two_one.why["trail-enabled"]
    (again,) = recompute_verdicts([finding("trail-enabled", Status.PASS)], [verdict])
    assert next(c for c in again.controls if c.id == "10.2.1").why == ten_two_one.why
    doc = Results(scan=ScanInfo(id="s", started_at="a", finished_at="b"), findings=(), frameworks=(verdict,))
    assert Results.from_dict(doc.to_dict()).frameworks[0].controls == verdict.controls


def test_retention_controls_are_not_decided_by_immutability() -> None:
    """PCI DSS 10.5.1 and HIPAA 164.316(b)(2)(i) are retention; Object Lock is log protection (10.3.x, AU-9)."""
    fws = {fw.id: {c.id: c for c in fw.controls} for fw in load_frameworks(CATALOGUE)}
    assert "bucket-object-lock" not in fws["pci-dss-4.0.1"]["10.5.1"].checks
    assert "bucket-object-lock" not in fws["hipaa"]["164.316(b)(2)(i)"].checks
    assert "bucket-object-lock" not in fws["nist-800-53-r5"]["AU-10"].checks
    assert "bucket-object-lock" in fws["pci-dss-4.0.1"]["10.3.2"].checks
    assert "bucket-object-lock" in fws["nist-800-53-r5"]["AU-9"].checks
    # Retention met, Object Lock off: 10.5.1 and AU-11 agree (PASS), 10.3.2 fails.
    findings = [
        finding("bucket-retention", Status.PASS),
        finding("bucket-hot-retention", Status.PASS),
        finding("loggroup-retention", Status.PASS),
        finding("bucket-object-lock", Status.FAIL),
    ]
    frameworks = load_frameworks(CATALOGUE, selected=["pci-dss-4.0.1", "nist-800-53-r5"])
    _, verdicts = apply_mappings(findings, frameworks, Settings())
    status = {(v.id, c.id): c.status for v in verdicts for c in v.controls}
    assert status[("pci-dss-4.0.1", "10.5.1")] == "PASS"
    assert status[("nist-800-53-r5", "AU-11")] == "PASS"
    assert status[("pci-dss-4.0.1", "10.3.2")] == "FAIL"

"""`trail-auditor demo`: the product's face, end to end, with real HTML and PDF."""

from __future__ import annotations

import json
from pathlib import Path

from pypdf import PdfReader

from auditor.validation import validate
from tests.cli.conftest import run_cli


def test_demo_produces_results_html_and_pdf(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    proc = run_cli(["demo", "--output-dir", str(out)], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((out / "results.json").read_text())
    validate(doc, "results.schema.json", "results.json")
    assert len({f["account_id"] for f in doc["findings"]}) >= 3
    by_check: dict[str, set[str]] = {}
    for f in doc["findings"]:
        by_check.setdefault(f["check_id"], set()).add(f["status"])
    # Configuration findings, log evidence and integrity all show up.
    assert "FAIL" in by_check["bucket-not-public"]
    assert "PASS" in by_check["trail-enabled"]
    assert "FAIL" in by_check["logs-trail-tampering"]
    assert "FAIL" in by_check["logs-console-login-no-mfa"]
    assert "FAIL" in by_check["logs-digest-integrity"]
    assert {fw["id"] for fw in doc["frameworks"]} >= {"pci-dss-4.0.1", "hipaa", "gdpr"}

    html = (out / "report.html").read_text()
    assert "<script>alert('demo')</script>" not in html  # hostile user agent from the logs
    pdf = PdfReader(str(out / "report.pdf"))
    assert 3 <= len(pdf.pages) <= 400
    text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    assert "Example Corp (demo)" in text
    assert "10.3.4" in text
    assert "logs-digest-integrity" in text
    assert proc.stdout == ""  # human output goes to stderr only
    assert str(out) in proc.stderr

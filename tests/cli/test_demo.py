"""`trail-auditor demo`: the product's face, end to end, with real HTML and PDF.

The demo takes tens of seconds, so it runs once per module (``demo_run``) and
every test reads what that run produced.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from auditor.app.demo import demo_rules_dir
from auditor.logs.sigma import load_ruleset
from auditor.model.validation import validate
from tests.cli.conftest import PACKAGE_CORE, package_members, run_cli
from tests.mapping.catalogue import LAKE

#: The demo's own Sigma rules (auditor/app/demo/sigma/) by id: the four the seeded intrusion must trip.
STOPPED_LOGGING = "39933014-90a9-4ce2-87c1-e34a5333f2f8"
NO_MFA_LOGIN = "c1dc46cf-68bb-4c2b-9d11-285e36278e4b"
ADMIN_OFF_NETWORK = "cd277e13-5aa6-409d-a35a-4b9c277e68e7"
KEY_FOR_OTHER_USER = "45d611fb-e4ab-4fd0-a4ed-2d5d63345c3d"
SECRETS_DENIED = "a22a925b-091e-46d6-b8f4-620f509669a3"
DENIED_BURST_CORRELATION = "c749db28-d954-4206-af05-a29fed8b68bf"
BULK_SECRETS_VALUE_SUM = "5b8f3c1e-7d0a-4a43-9f0e-2c6d1e8b7a90"


@dataclass(frozen=True)
class DemoOutput:
    out: Path
    proc: subprocess.CompletedProcess[str]
    doc: dict[str, Any]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoOutput:
    """One run of the installed CLI's demo, shared by this module's tests."""
    base = tmp_path_factory.mktemp("demo-run")
    out = base / "demo"
    proc = run_cli(["demo", "--output-dir", str(out)], cwd=base)
    assert proc.returncode == 0, proc.stderr
    return DemoOutput(out, proc, json.loads((out / "results.json").read_text()))


def _sigma_findings(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in doc["findings"] if f["check_id"] == "logs-sigma-matches"]


def test_demo_produces_results_html_and_pdf(demo_run: DemoOutput) -> None:
    out, proc, doc = demo_run.out, demo_run.proc, demo_run.doc
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


def test_demo_report_shows_a_fail_per_matched_demo_sigma_rule_with_title_and_sample_events(
    demo_run: DemoOutput,
) -> None:
    fails = [f for f in _sigma_findings(demo_run.doc) if f["status"] == "FAIL"]
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for f in fails:
        by_rule.setdefault(f["evidence"]["rule_id"], []).append(f)
    assert set(by_rule) == {
        STOPPED_LOGGING,
        NO_MFA_LOGIN,
        ADMIN_OFF_NETWORK,
        KEY_FOR_OTHER_USER,
        SECRETS_DENIED,
        DENIED_BURST_CORRELATION,
    }
    titles = {rid: {f["evidence"]["title"] for f in fs} for rid, fs in by_rule.items()}
    assert titles[STOPPED_LOGGING] == {"Demo - CloudTrail logging stopped or trail deleted"}
    assert titles[NO_MFA_LOGIN] == {"Demo - Successful console sign-in without MFA"}
    for f in fails:
        assert f["resource_id"] == f"sigma:{f['evidence']['rule_id']}"
        assert f["evidence"]["title"] in f["message"]
        assert f["evidence"]["events"], f  # sample events to review
    stopped = by_rule[STOPPED_LOGGING][0]["evidence"]["events"]
    assert [e["eventName"] for e in stopped] == ["StopLogging"]


def test_demo_sigma_modifiers_tell_the_intruder_from_the_administrator(demo_run: DemoOutput) -> None:
    """cidr leaves alice's AttachRolePolicy from 10.x alone, fieldref her own new key; mallory's match."""
    for rule_id in (ADMIN_OFF_NETWORK, KEY_FOR_OTHER_USER):
        fails = [
            f for f in _sigma_findings(demo_run.doc) if f["status"] == "FAIL" and f["evidence"]["rule_id"] == rule_id
        ]
        assert fails
        for f in fails:
            assert f["evidence"]["total"] == 1
            principals = {e["principal"] for e in f["evidence"]["events"]}
            assert principals == {f"arn:aws:iam::{f['account_id']}:user/mallory"}


def test_demo_burst_correlation_fires_on_the_intruders_denied_requests(demo_run: DemoOutput) -> None:
    """Issue 14: the event_count correlation, unsupported before, fires over the window."""
    fails = [
        f
        for f in _sigma_findings(demo_run.doc)
        if f["status"] == "FAIL" and f["evidence"]["rule_id"] == DENIED_BURST_CORRELATION
    ]
    assert fails
    for f in fails:
        assert "event_count correlation" in f["message"]
        [group] = f["evidence"]["correlation"]["groups"]
        assert group["group"] == {"userIdentity.arn": f"arn:aws:iam::{f['account_id']}:user/mallory"}
        assert group["count"] == 10 and group["events_in_window"] == 10  # 25 denied, one a minute: 10 in 10m
        assert {e["eventName"] for e in f["evidence"]["events"]} == {"ListSecrets"}


def test_demo_lists_the_unsupported_correlation_rule_with_its_reason(demo_run: DemoOutput) -> None:
    listed = [
        u for f in _sigma_findings(demo_run.doc) if f["status"] == "PASS" for u in f["evidence"].get("unsupported", [])
    ]
    assert listed, "no logs-sigma-matches result lists the unsupported rules"
    assert {u["id"] for u in listed} == {BULK_SECRETS_VALUE_SUM}
    assert all("correlation type value_sum is not supported" in u["reason"] for u in listed)
    assert all(u["title"] == "Demo - Secrets read in bulk by one principal" for u in listed)


def test_demo_html_report_names_a_matched_sigma_rule(demo_run: DemoOutput) -> None:
    html = (demo_run.out / "report.html").read_text()
    assert "Demo - CloudTrail logging stopped or trail deleted" in html
    assert "Demo - AdministratorAccess attached from outside the corporate network" in html


def test_demo_html_report_says_which_sigma_rule_was_not_applied_and_why(demo_run: DemoOutput) -> None:
    html = (demo_run.out / "report.html").read_text()
    section = html[html.index('id="log-evidence"') : html.index('id="appendix"')]
    assert "<h3>Sigma rules</h3>" in section
    assert "6 Sigma rules evaluated" in section
    assert "1 rule could not be evaluated and was not applied" in section
    assert "Demo - Secrets read in bulk by one principal" in section
    assert "correlation type value_sum is not supported" in section


def test_every_sigma_result_states_the_rules_it_could_not_apply(demo_run: DemoOutput) -> None:
    judged = [f for f in _sigma_findings(demo_run.doc) if f["status"] in ("PASS", "FAIL")]
    assert {f["status"] for f in judged} == {"PASS", "FAIL"}
    for f in judged:
        assert [u["id"] for u in f["evidence"]["unsupported"]] == [BULK_SECRETS_VALUE_SUM]
        assert f["evidence"]["rules_evaluated"] == 6


def test_packaged_demo_rules_load_with_one_correlation_evaluated_and_one_unsupported() -> None:
    rules_dir = demo_rules_dir()
    assert sorted(p.name for p in rules_dir.glob("*.yml")) == [
        "access_key_for_another_user.yml",
        "admin_policy_attached_off_network.yml",
        "cloudtrail_logging_stopped.yml",
        "console_login_without_mfa.yml",
        "denied_secrets_burst.yml",
    ]
    rs = load_ruleset(rules_dir)
    assert {s.id for s in rs.specs} == {
        STOPPED_LOGGING,
        NO_MFA_LOGIN,
        ADMIN_OFF_NETWORK,
        KEY_FOR_OTHER_USER,
        SECRETS_DENIED,
    }
    assert [c.id for c in rs.correlations] == [DENIED_BURST_CORRELATION]
    assert [(u.id, u.reason) for u in rs.unsupported] == [
        (
            BULK_SECRETS_VALUE_SUM,
            "correlation type value_sum is not supported (only event_count, value_count, temporal, temporal_ordered)",
        )
    ]
    assert all(s.title.startswith("Demo - ") for s in rs.specs)


def test_demo_writes_asff_oscal_and_a_signed_evidence_package_it_verified(demo_run: DemoOutput) -> None:
    from tests.report.asff_model import problems

    out, proc = demo_run.out, demo_run.proc
    asff = json.loads((out / "findings.asff.json").read_text())
    assert len(asff) == len(demo_run.doc["findings"]) and problems(asff) == []
    oscal = json.loads((out / "assessment-results.oscal.json").read_text())["assessment-results"]
    assert {r["props"][0]["value"] for r in oscal["results"]} == {fw["id"] for fw in demo_run.doc["frameworks"]}
    package, public = out / "evidence-package.zip", out / "evidence-package.pub.pem"
    assert "Evidence package verified:" in proc.stderr and "signature valid" in proc.stderr
    assert PACKAGE_CORE | {"log-evidence.json", "integrity.json", "reports/report.pdf"} <= package_members(package)
    again = run_cli(["verify-package", str(package), "--public-key", str(public)])
    assert again.returncode == 0 and "signature valid" in again.stderr


def test_demo_oscal_validates_against_nists_schema_with_the_real_control_ids(demo_run: DemoOutput) -> None:
    from tests.report.oscal_schema import assessment_results_validator, errors

    doc = json.loads((demo_run.out / "assessment-results.oscal.json").read_text())
    assert errors(assessment_results_validator(), doc) == []


def test_demo_writes_the_athena_table_and_the_statements_it_would_run(demo_run: DemoOutput) -> None:
    """Reviewable text for the Athena engine on the demo's bucket: nothing is run."""
    ddl = (demo_run.out / "athena-table.sql").read_text()
    assert ddl.startswith("CREATE EXTERNAL TABLE `default`.`cloudtrail_logs`") and "/AWSLogs/o-" in ddl
    sql = (demo_run.out / "athena-explain.sql").read_text()
    statements = [s for s in sql.split(";\n") if "SELECT" in s]
    # every rule, aggregation and Sigma rule folded into two scans of the window (counts, samples)
    assert "-- 2 statements, each one scan of the window's objects" in sql
    assert len(statements) == 2
    assert all("day >= " in s and "FROM default.cloudtrail_logs" in s for s in statements)
    assert "CAST(t.useridentity AS JSON)" in sql
    assert f"sigma correlation {DENIED_BURST_CORRELATION}: base rule " in sql, "the correlation's candidates too"


#: The configuration checks of issue 14: the demo organisation shows each one passing and failing.
WAVE_2_CHECKS = (
    "trail-tags",
    "trail-sns-notification",
    "trail-lambda-data-events",
    "trail-dynamodb-data-events",
    "trail-network-activity-events",
    "loggroup-kms-encryption",
    "loggroup-resource-policy",
    # CloudTrail Lake, simulated (moto lacks it: auditor/aws/demo_moto.py)
    *LAKE,
)


@pytest.mark.parametrize("check_id", WAVE_2_CHECKS)
def test_demo_shows_each_new_configuration_check_passing_and_failing(demo_run: DemoOutput, check_id: str) -> None:
    statuses = {f["status"] for f in demo_run.doc["findings"] if f["check_id"] == check_id}
    assert {"PASS", "FAIL"} <= statuses, (check_id, statuses)


def test_demo_data_events_pass_through_a_read_only_and_a_write_only_selector_together(demo_run: DemoOutput) -> None:
    dynamo = [f for f in demo_run.doc["findings"] if f["check_id"] == "trail-dynamodb-data-events"]
    passing = [f for f in dynamo if f["status"] == "PASS"]
    assert passing and all("workload-data-events" in f["message"] for f in passing)
    lam = [f for f in demo_run.doc["findings"] if f["check_id"] == "trail-lambda-data-events" and f["status"] == "FAIL"]
    assert lam and all("function:payments" in json.dumps(f["evidence"]) for f in lam)


def test_demo_reads_cloudtrail_lake_and_the_delegated_administrator_without_collection_errors(
    demo_run: DemoOutput,
) -> None:
    snap = json.loads((demo_run.out / "snapshot.json").read_text())["snapshot"]
    assert not [
        e
        for e in snap["errors"]
        if e["operation"] in ("ListEventDataStores", "GetEventDataStore", "ListDelegatedAdministrators")
    ]
    findings = demo_run.doc["findings"]
    org = {f["account_id"]: f for f in findings if f["check_id"] == "trail-organization"}
    admins = snap["organization"]["cloudtrail_delegated_admins"]
    assert len(admins) == 1
    admin = org[admins[0]]  # the log archive account, covered by the management account's organisation trail
    assert admin["status"] == "PASS" and "delegated administrator" in admin["message"]
    lake_org = [f for f in findings if f["check_id"] == "lake-organization" and f["account_id"] == admins[0]]
    assert [f["status"] for f in lake_org] == ["FAIL"] and "delegated administrator" in lake_org[0]["message"]


def test_demo_trail_findings_say_the_organisation_records_through_an_event_data_store(demo_run: DemoOutput) -> None:
    trail_fails = [
        f
        for f in demo_run.doc["findings"]
        if f["check_id"].startswith("trail-") and f["status"] == "FAIL" and f["resource_type"] == "AwsAccount"
    ]
    noted = [f for f in trail_fails if "CloudTrail Lake event data store" in f["message"]]
    assert noted, [f["message"] for f in trail_fails][:3]
    assert all(
        any(s["name"] == "org-events" and s["organization_enabled"] for s in f["evidence"]["event_data_stores"])
        for f in noted
    )


# ---------------------------------------------------------------- issue 16: an assessor's report
#: Page limits of the demo report (issue 16): all frameworks, and one framework alone.
DEMO_MAX_PAGES = 45
SINGLE_FRAMEWORK_MAX_PAGES = 25


def _squash(text: str) -> str:
    """Text without whitespace: PDF extraction breaks lines wherever they wrap."""
    return "".join(text.split())


def _needing_attention(doc: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """(framework, control id, messages of the deciding FAIL/ERROR findings) per failed or not-assessed control."""
    by_id = {f["id"]: f for f in doc["findings"]}
    out = []
    for fw in doc["frameworks"]:
        for c in fw["controls"]:
            if c["status"] in ("FAIL", "NOT_ASSESSED"):
                messages = [by_id[i]["message"] for i in c["findings"] if by_id[i]["status"] in ("FAIL", "ERROR")]
                out.append((fw["id"], c["id"], messages))
    return out


def test_demo_pdf_fits_the_page_limit(demo_run: DemoOutput) -> None:
    pages = len(PdfReader(str(demo_run.out / "report.pdf")).pages)
    assert pages <= DEMO_MAX_PAGES, pages


def test_demo_pdf_first_three_pages_say_which_controls_failed_and_why(demo_run: DemoOutput) -> None:
    pdf = PdfReader(str(demo_run.out / "report.pdf"))
    first = _squash("\n".join(p.extract_text() or "" for p in pdf.pages[:3]))
    rest = _squash("\n".join(p.extract_text() or "" for p in pdf.pages[3:]))
    attention = _needing_attention(demo_run.doc)
    assert len(attention) > 20  # the demo's organisation fails many controls
    missing = []
    for fw, control, messages in attention:
        if _squash(control) not in first:
            missing.append(f"{fw} {control}: id")
        # The reason printed is the opening of a deciding finding's message; a control not
        # assessed only because the retention profile is too weak says so.
        if messages and not any(_squash(m)[:40] in first for m in messages):
            missing.append(f"{fw} {control}: reason")
        if not messages and _squash("retention profile requires less than this control") not in first:
            missing.append(f"{fw} {control}: retention reason")
    assert missing == []
    assert "Controlmatrix" in rest  # the matrices follow the summary


def test_demo_pdf_has_a_printed_table_of_contents_with_page_numbers(demo_run: DemoOutput) -> None:
    pdf = PdfReader(str(demo_run.out / "report.pdf"))
    page_one = pdf.pages[0].extract_text() or ""
    assert "Contents" in page_one
    exceptions_line = next(line for line in page_one.splitlines() if line.startswith("Exceptions: failed results"))
    printed = int(exceptions_line.rstrip().rsplit(" ", 1)[-1])
    texts = [p.extract_text() or "" for p in pdf.pages]
    heading = next(i for i, t in enumerate(texts, 1) if i > 1 and "Exceptions: failed results by check" in t)
    assert printed == heading


def test_demo_report_renders_evidence_in_words_not_internals(demo_run: DemoOutput) -> None:
    html = (demo_run.out / "report.html").read_text()
    assert not re.search(r"=\[\d+ entries\]", html)
    assert "satisfies=false" not in html and "{6 fields}" not in html
    # Filter comparisons name the CIS clauses a filter lacks.
    assert re.search(r"lacks? CIS 4\.\d+ clauses?:", html) or "match none of the" in html
    # The two CIS versions share one matrix that names both.
    assert html.count('<h2 class="section" id="fw-cis-aws') == 1
    assert 'id="fw-cis-aws-3.0"' in html and 'id="fw-cis-aws-5.0"' in html
    # Every pairing's rationale is there (HTML keeps what the PDF leaves out).
    assert "Why each mapped check evidences this control" in html


def test_a_single_framework_report_is_scoped_and_fits_its_page_limit(demo_run: DemoOutput, tmp_path: Path) -> None:
    out = tmp_path / "pci"
    proc = run_cli(
        [
            "report",
            str(demo_run.out / "results.json"),
            "--format",
            "pdf,html",
            "--output-dir",
            str(out),
            "--frameworks",
            "pci-dss-4.0.1",
        ]
    )
    assert proc.returncode == 0, proc.stderr
    pdf = PdfReader(str(out / "report.pdf"))
    assert len(pdf.pages) <= SINGLE_FRAMEWORK_MAX_PAGES, len(pdf.pages)
    first = _squash("\n".join(p.extract_text() or "" for p in pdf.pages[:3]))
    for fw, control, _ in _needing_attention(demo_run.doc):
        if fw == "pci-dss-4.0.1":
            assert _squash(control) in first, control
    html = (out / "report.html").read_text()
    assert "HIPAA Security Rule" not in html  # other frameworks are out of the report
    assert "trail-duplicate-management-copies" in html  # counted under the scope limits, not lost
    assert 'id="scope-limits"' in html

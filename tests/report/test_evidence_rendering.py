"""Structured evidence in words, reasons free of web pages, merged framework versions, remediation once per check."""

from __future__ import annotations

import re
from dataclasses import replace

from auditor.engine.checkapi import Severity, Status
from auditor.engine.results import ControlVerdict, Finding, FrameworkVerdict, Results, ScanInfo
from auditor.report.evidence import human
from auditor.report.html import render_html
from auditor.report.viewfindings import finding_row
from auditor.report.viewmodel import build_view

INTERNALS = re.compile(r"\w=\[\d+ entries\]|\w=\{\d+ fields\}|satisfies=")


def _finding(
    check: str,
    status: Status,
    message: str,
    evidence: dict[str, object],
    fid: str = "f1",
    account: str = "111111111111",
) -> Finding:
    return Finding(
        id=fid,
        check_id=check,
        title=check,
        status=status,
        severity=Severity.LOW,
        account_id=account,
        region="us-east-1",
        resource_type="AwsAccount",
        resource_id=account,
        message=message,
        evidence=evidence,
        remediation={"summary": "Fix it.", "cli": "aws fix --now"},
    )


FILTERS = [
    {
        "filter": "cis-console-login-no-mfa",
        "satisfies": False,
        "missing": ['$.eventName = "DisableKey"'],
        "extra_restrictions": [],
    },
    {
        "filter": "cis-root-usage",
        "satisfies": False,
        "missing": ['$.eventName = "DisableKey"', '$.eventSource = "kms.amazonaws.com"'],
        "extra_restrictions": ['$.userIdentity.type = "Root"'],
    },
    {
        "filter": "cis-iam-policy-changes",
        "satisfies": False,
        "missing": ['$.eventName = "DisableKey"', '$.eventSource = "kms.amazonaws.com"'],
        "extra_restrictions": [],
    },
    {
        "filter": "cis-cloudtrail-changes",
        "satisfies": False,
        "missing": ['$.eventName = "DisableKey"', '$.eventSource = "kms.amazonaws.com"'],
        "extra_restrictions": [],
    },
]


def test_filter_comparisons_name_the_cis_clauses_each_filter_lacks() -> None:
    text = human("filters", FILTERS, 600, {"cis": "4.7"})
    assert "filter 'cis-console-login-no-mfa' lacks CIS 4.7 clause: $.eventName = \"DisableKey\"" in text
    # Filters that match none of the clauses are named together, once.
    assert "'cis-root-usage', 'cis-iam-policy-changes' and 1 more match none of the 2 CIS 4.7 clauses" not in text
    assert "'cis-root-usage', 'cis-iam-policy-changes', 'cis-cloudtrail-changes' match none of the 2 CIS 4.7" in text
    assert not INTERNALS.search(text)


def test_policy_statements_digest_failures_and_trail_verdicts_read_as_sentences() -> None:
    statements = [
        {
            "Sid": "DenyHttp",
            "Effect": "Deny",
            "Action": "s3:*",
            "Resource": "arn:aws:s3:::logs/*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]
    text = human("deny_statements", statements, 600, {})
    assert text.startswith("statement DenyHttp: Deny s3:* on arn:aws:s3:::logs/* when bool (1)")
    failures = [{"failure_kind": "log_file_modified", "path": "s3://b/k.json.gz", "detail": "hash mismatch"}]
    assert human("failures", failures, 600, {}) == "Log file modified: s3://b/k.json.gz (hash mismatch)"
    trails = [{"arn": "arn:aws:cloudtrail:us-east-1:1:trail/t", "verdict": "not met", "reason": "single-region"}]
    assert human("trails", trails, 600, {}) == "arn:aws:cloudtrail:us-east-1:1:trail/t: not met (single-region)"
    rules = [{"id": f"r{i}", "transition": {"days": 30, "storage_class": "GLACIER"}} for i in range(7)]
    text = human("transition_rules", rules, 600, {})
    assert "id: r0; transition (2)" in text and "… and 2 more" in text and not INTERNALS.search(text)


def test_alarm_paths_that_repeat_the_message_are_not_printed_again() -> None:
    message = "CIS 4.7: alarm chain broken: no metric filter satisfies the pattern"
    f = _finding(
        "alarm-cmk-disable-deletion",
        Status.FAIL,
        message,
        {
            "cis": "4.7",
            "filters": FILTERS,
            "paths": [
                {"trail": "arn:x:trail/org", "status": "FAIL", "message": "no metric filter satisfies the pattern"}
            ],
        },
    )
    row = finding_row(f, {f.check_id: "check-x"}, 2000)
    items = {e.key: e for e in row.evidence}
    assert not items["Paths"].printed and not items["Cis"].printed and items["Filters"].printed


def test_a_web_page_in_an_error_reason_becomes_a_short_excerpt() -> None:
    page = (
        "<!DOCTYPE html><html><head><title>502 Bad Gateway</title><style>body{}</style></head><body>"
        + ("<p>upstream proxy failed</p>" * 200)
        + "</body></html>"
    )
    f = _finding("trail-enabled", Status.ERROR, f"DescribeTrails failed: {page}", {})
    results = Results(scan=ScanInfo(id="s", started_at="a", finished_at="b"), findings=(f,))
    view = build_view(results)
    (row,) = view.not_assessed.rows
    assert "<" not in row.message and "502 Bad Gateway" in row.message and "cut]" in row.message
    html = render_html(view)
    assert "&lt;html" not in html and "&lt;title" not in html


def _cis(version: str, status: str, fid: str) -> FrameworkVerdict:
    control = ControlVerdict(
        id="4.7",
        title="CMK deletion is monitored",
        status=status,
        automation="automated",
        checks=("alarm-cmk-disable-deletion",),
        findings=(fid,),
        why={"alarm-cmk-disable-deletion": "an alarm fires on key deletion"},
    )
    return FrameworkVerdict(
        id=f"cis-aws-{version}",
        title="CIS AWS Foundations",
        version=f"{version}.0",
        controls=(control,),
        counts={status: 1},
        score=0.0,
    )


def test_two_versions_of_one_framework_share_one_matrix_with_both_numbers() -> None:
    f = _finding("alarm-cmk-disable-deletion", Status.FAIL, "alarm chain broken", {"cis": "4.7"})
    results = Results(
        scan=ScanInfo(id="s", started_at="a", finished_at="b"),
        findings=(f,),
        frameworks=(_cis("3.0", "FAIL", f.id), _cis("5.0", "FAIL", f.id)),
    )
    view = build_view(results)
    (fw,) = view.frameworks
    assert fw.source_ids == ("cis-aws-3.0", "cis-aws-5.0")
    (row,) = fw.controls
    assert row.numbers == ("v3.0.0 4.7", "v5.0.0 4.7")
    (reason,) = row.reasons
    assert reason.check_id == "alarm-cmk-disable-deletion" and "alarm chain broken" in reason.reason
    assert reason.why_mapped == "an alarm fires on key deletion"
    (item,) = fw.attention
    assert item.control_id == "4.7" and item.check_id == "alarm-cmk-disable-deletion"
    assert item.reason.startswith("alarm chain broken")
    html = render_html(view)
    assert 'id="fw-cis-aws-3.0"' in html and 'id="fw-cis-aws-5.0"' in html
    # A control whose verdict differs between the versions stays two rows.
    split = replace(results, frameworks=(_cis("3.0", "FAIL", f.id), _cis("5.0", "PASS", f.id)))
    assert len(build_view(split).frameworks[0].controls) == 2


def _cis_numbered(version: str, number: str, fid: str) -> FrameworkVerdict:
    fw = _cis(version, "FAIL", fid)
    return replace(fw, controls=(replace(fw.controls[0], id=number),))


def test_a_renumbered_version_joins_the_same_row_and_every_number_is_printed() -> None:
    """CIS v6.0 numbers v5.0's 4.7 as 5.7: one row, one summary line, all three numbers."""
    f = _finding("alarm-cmk-disable-deletion", Status.FAIL, "alarm chain broken", {"cis": "4.7"})
    frameworks = (
        _cis_numbered("3.0", "4.7", f.id),
        _cis_numbered("5.0", "4.7", f.id),
        _cis_numbered("6.0", "5.7", f.id),
    )
    view = build_view(
        Results(scan=ScanInfo(id="s", started_at="a", finished_at="b"), findings=(f,), frameworks=frameworks)
    )
    (fw,) = view.frameworks
    (row,) = fw.controls
    assert row.numbers == ("v3.0.0 4.7", "v5.0.0 4.7", "v6.0.0 5.7")
    assert row.number_label == "4.7 (v3.0.0, v5.0.0), 5.7 (v6.0.0)"
    (item,) = fw.attention
    assert item.control_id == "4.7 (v3.0.0, v5.0.0), 5.7 (v6.0.0)"
    html = render_html(view)
    assert html.count('<h2 class="section" id="fw-cis-aws') == 1 and 'id="fw-cis-aws-6.0"' in html


def test_controls_failing_for_the_same_check_and_reason_share_one_summary_row() -> None:
    f = _finding("trail-management-events", Status.FAIL, "trail t: records no management events", {})
    g = _finding("bucket-mfa-delete", Status.FAIL, "bucket b has MFA delete off", {}, fid="g")

    def control(cid: str, finding: str, check: str) -> ControlVerdict:
        return ControlVerdict(
            id=cid, title=f"control {cid}", status="FAIL", automation="automated", checks=(check,), findings=(finding,)
        )

    fw = FrameworkVerdict(
        id="pci",
        title="PCI DSS",
        version="4.0.1",
        counts={"FAIL": 3},
        score=0.0,
        controls=(
            control("10.2.1.2", f.id, f.check_id),
            control("10.3.2", g.id, g.check_id),
            control("10.2.2", f.id, f.check_id),
        ),
    )
    view = build_view(
        Results(scan=ScanInfo(id="s", started_at="a", finished_at="b"), findings=(f, g), frameworks=(fw,))
    )
    (shown,) = view.frameworks
    assert shown.short_title == "PCI DSS 4.0.1"
    assert [(i.control_id, i.check_id) for i in shown.attention] == [
        ("10.2.1.2, 10.2.2", "trail-management-events"),
        ("10.3.2", "bucket-mfa-delete"),
    ]
    html = render_html(view)
    summary = html[html.index('<table class="attention">') :]
    summary = summary[: summary.index("</table>")]
    assert summary.count(">PCI DSS 4.0.1</a></td>") == 1  # the framework is named once, on its first row
    assert summary.count("<tr") == 3  # the header and two rows


def test_remediation_is_listed_once_per_check_and_referenced_from_its_exceptions() -> None:
    findings = tuple(
        _finding("alarm-root-usage", Status.FAIL, f"broken in {a}", {}, fid=f"f{a}", account=a)
        for a in ("111111111111", "222222222222")
    )
    frameworks = (
        FrameworkVerdict(
            id="x",
            title="X",
            version="1",
            controls=(
                ControlVerdict(
                    id="1",
                    title="t",
                    status="FAIL",
                    automation="automated",
                    checks=("alarm-root-usage",),
                    findings=tuple(f.id for f in findings),
                ),
            ),
            counts={"FAIL": 1},
            score=0.0,
        ),
    )
    checks = ({"id": "alarm-root-usage", "title": "Root use is alarmed", "severity": "low"},)
    view = build_view(
        Results(
            scan=ScanInfo(id="s", started_at="a", finished_at="b"),
            findings=findings,
            frameworks=frameworks,
            checks=checks,
        )
    )
    (group,) = view.check_groups
    assert group.remedy_ref == "R-1" and len(group.rows) == 2
    html = render_html(view)
    assert html.count("aws fix --now") == 1
    assert f'href="#{group.remedy_anchor}">R-1<' in html

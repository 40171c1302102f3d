"""The HTML report: structure, safety with hostile data, self-containment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from auditor.model import package_data as resources
from auditor.report.html import environment, render_html
from auditor.report.interface import ReportOptions
from auditor.report.viewmodel import build_view
from tests.report.sample import BIG, SCAN_ID, SNAPSHOT_SHA, hostile_results, sample_results

OPTIONS = ReportOptions(org_name="Acme Payments Ltd", generated_at="2026-11-20T13:00:00Z")


@pytest.fixture(scope="module")
def html() -> str:
    return render_html(build_view(hostile_results(), OPTIONS))


def test_hostile_script_is_escaped_never_raw(html: str) -> None:
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # Only the report's own script block exists.
    assert len(re.findall(r"<script", html, flags=re.I)) == 1


def test_hostile_style_breakout_and_img_are_escaped(html: str) -> None:
    assert "</style><img" not in html
    assert "<img" not in html
    assert "&lt;/style&gt;&lt;img src=x onerror=alert(2)&gt;" in html


def test_user_agent_from_log_events_is_escaped(html: str) -> None:
    section = html[html.index('id="log-evidence"') :]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section
    assert "Mozilla/5.0" in section


def test_100kb_field_is_truncated_with_visible_marker(html: str) -> None:
    assert f"… (truncated, {BIG} characters)" in html
    assert "P" * 2001 not in html
    assert len(html) < 400_000


def test_control_characters_never_reach_the_page(html: str) -> None:
    assert "\x1b" not in html and "\x00" not in html


def test_org_name_and_label_are_escaped() -> None:
    out = render_html(build_view(sample_results(), ReportOptions(org_name="<b>Evil</b>", label="<i>L</i>")))
    assert "<b>Evil</b>" not in out and "&lt;b&gt;Evil&lt;/b&gt;" in out
    assert "<i>L</i>" not in out and "&lt;i&gt;L&lt;/i&gt;" in out


def test_no_external_resources_or_cdn(html: str) -> None:
    assert "<link" not in html.lower()
    assert "@import" not in html
    assert not re.search(r"url\(\s*['\"]?\s*(https?:)?//", html)
    assert not re.search(r"\b(src|srcset|poster|data|action)\s*=\s*['\"]?\s*(https?:)?//", html, flags=re.I)
    # The only http(s) URLs are plain navigation links in remediation references.
    for m in re.finditer(r"https?://", html):
        before = html[max(0, m.start() - 7) : m.start()]
        assert before.endswith('href="') or not before.endswith("="), before


def test_sections_appear_in_the_required_order(html: str) -> None:
    ids = [
        "cover",
        "summary",
        "fw-pci-dss-4.0.1",
        "fw-cis-aws-5.0",
        "findings",
        "not-assessed",
        "log-evidence",
        "appendix",
    ]
    positions = [html.index(f'id="{i}"') for i in ids]
    assert positions == sorted(positions)


def test_cover_has_the_scope(html: str) -> None:
    cover = html[html.index('id="cover"') : html.index('id="summary"')]
    for text in (
        "Acme Payments Ltd",
        SCAN_ID,
        SNAPSHOT_SHA,
        "111111111111",
        "eu-west-1",
        "PCI DSS 4.0.1",
        "2026-10-21T12:00:00Z to 2026-11-20T12:00:00Z",
        "trail-auditor 0.1.0",
        "2026-11-20T13:00:00Z",
    ):
        assert text in cover, text


def test_control_links_point_at_findings_present_in_the_page(html: str) -> None:
    matrix = html[html.index('id="fw-cis-aws-5.0"') : html.index('id="findings"')]
    targets = re.findall(r'href="#(finding-[^"]+)"', matrix)
    assert targets
    for t in targets:
        assert f'id="{t}"' in html


def test_manual_controls_are_listed_for_the_organisation(html: str) -> None:
    pci = html[html.index('id="fw-pci-dss-4.0.1"') : html.index('id="fw-cis-aws-5.0"')]
    assert "Controls the organisation must evidence" in pci
    assert "12.10.1" in pci


def test_charts_are_inline_svg_built_from_numbers(html: str) -> None:
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert len(svgs) == 2
    for svg in svgs:
        texts = re.findall(r">([^<]+)</text>", svg)
        allowed = {
            "Fail",
            "Not assessed (error)",
            "Waived",
            "Pass",
            "Not applicable",
            "Critical",
            "High",
            "Medium",
            "Low",
            "Info",
        }
        assert all(t.isdigit() or t in allowed for t in texts), texts


def test_templates_autoescape_and_never_mark_data_safe() -> None:
    assert environment().autoescape is True
    folder = Path(str(resources.package_path("data", "templates")))
    for template in folder.glob("*.j2"):
        assert not re.search(r"\|\s*safe\b", template.read_text()), template
        assert "Markup(" not in template.read_text()

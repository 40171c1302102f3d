"""The PDF report (WeasyPrint): text content, running header/footer, page size, hostile text."""

from __future__ import annotations

import http.server
import io
import re
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pypdf
import pytest

from auditor.report.interface import ReportOptions
from auditor.report.pdf import html_to_pdf, render_pdf_bytes
from auditor.report.viewmodel import build_view
from tests.report.sample import BIG, SCAN_ID, SNAPSHOT_SHA, hostile_results, sample_results

OPTIONS = ReportOptions(org_name="Acme Payments Ltd", label="INTERNAL AUDIT", generated_at="2026-11-20T13:00:00Z")


def _squash(text: str) -> str:
    """Text without whitespace: PDF extraction breaks long strings wherever lines wrap."""
    return "".join(text.split())


@pytest.fixture(scope="module")
def pdf() -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(render_pdf_bytes(hostile_results(), OPTIONS)))


@pytest.fixture(scope="module")
def pages(pdf: pypdf.PdfReader) -> list[str]:
    return [p.extract_text() or "" for p in pdf.pages]


def test_page_count_is_sane(pdf: pypdf.PdfReader) -> None:
    assert 3 <= len(pdf.pages) <= 40


def test_cover_shows_org_scope_and_provenance(pages: list[str]) -> None:
    cover = _squash(pages[0])
    for text in (
        "Acme Payments Ltd",
        SCAN_ID,
        SNAPSHOT_SHA,
        "111111111111",
        "222222222222",
        "us-east-1",
        "PCI DSS 4.0.1",
        "CIS AWS Foundations Benchmark 5.0",
        "trail-auditor 0.1.0",
        "INTERNAL AUDIT",
    ):
        assert _squash(text) in cover, text


def test_summary_figures_are_printed(pages: list[str]) -> None:
    summary = "\n".join(pages[:3])  # the summary follows the cover and contents on page 1
    total = build_view(hostile_results()).total_findings  # results of the checks the frameworks map
    assert f"Findings: {total}" in summary
    assert "could not be assessed" in summary
    assert "Status per framework" in summary


def test_control_ids_and_remediation_are_in_the_text(pages: list[str]) -> None:
    text = _squash("\n".join(pages))
    for control in ("10.2.1", "10.3.4", "10.7.2", "12.10.1"):
        assert control in text
    assert _squash("aws cloudtrail update-trail --name org-trail --is-multi-region-trail") in text
    # Terraform is in the HTML only; the PDF says so once (issue 16: paper carries the CLI).
    assert _squash("is_multi_region_trail = true") not in text
    assert _squash("the Terraform of each fix is in the HTML report") in text


def test_running_header_and_footer_carry_label_scan_id_and_page_x_of_y(pages: list[str]) -> None:
    total = len(pages)
    second = _squash(pages[1])
    assert "INTERNALAUDIT" in second
    assert _squash(SCAN_ID) in second
    assert f"Page2of{total}" in second
    assert f"Page{total}of{total}" in _squash(pages[-1])


def test_hostile_strings_are_literal_text(pages: list[str]) -> None:
    text = _squash("\n".join(pages))
    assert "<script>alert(1)</script>" in text
    assert _squash("</style><img src=x onerror=alert(2)>") in text


def test_100kb_field_is_truncated_in_print(pages: list[str]) -> None:
    text = _squash("\n".join(pages))
    assert _squash(f"… (truncated, {BIG} characters)") in text
    assert text.count("P") < BIG // 10


def test_letter_page_size_option() -> None:
    small = sample_results(accounts=("111111111111",))
    letter = pypdf.PdfReader(io.BytesIO(render_pdf_bytes(small, ReportOptions(page_size="Letter"))))
    box = letter.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    a4 = pypdf.PdfReader(io.BytesIO(render_pdf_bytes(small, ReportOptions(page_size="A4"))))
    box = a4.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    assert re.search(r"CONFIDENTIAL", a4.pages[1].extract_text() or "")


def test_progress_hears_layout_then_the_page_count() -> None:
    small = sample_results(accounts=("111111111111",))
    stages: list[str] = []
    data = render_pdf_bytes(small, ReportOptions(progress=stages.append))
    pages = len(pypdf.PdfReader(io.BytesIO(data)).pages)
    assert stages == [
        "Rendering the PDF report: laying out the pages (WeasyPrint)...",
        f"Rendering the PDF report: writing {pages} pages...",
    ]


@pytest.fixture()
def http_server() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server on 127.0.0.1 that records every path asked of it."""
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red }")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()


def test_external_resources_are_refused_cleanly(http_server: tuple[str, list[str]], tmp_path: Path) -> None:
    """Issue 17 item 10: every fetch refused, none made, and the PDF still renders."""
    base, asked = http_server
    (tmp_path / "secret.css").write_text("body { color: blue }")
    html = (
        f'<html><head><link rel="stylesheet" href="{base}/sheet.css">'
        f'<link rel="stylesheet" href="file://{tmp_path}/secret.css">'
        f'<style>@import url("{base}/import.css"); p {{ background: url({base}/bg.png) }}</style></head>'
        f'<body><p>x</p><img src="{base}/img.png"><img src="data:image/png;base64,iVBORw0KGgo="></body></html>'
    )
    data = html_to_pdf(html)
    assert data.startswith(b"%PDF")
    assert asked == []


def test_hostile_finding_text_with_urls_fetches_nothing(http_server: tuple[str, list[str]]) -> None:
    base, asked = http_server
    results = hostile_results()
    hostile = f'<img src="{base}/a.png"><style>p {{ background: url({base}/b.png) }}</style>'
    findings = tuple(replace(f, message=hostile) for f in results.findings)
    assert render_pdf_bytes(replace(results, findings=findings), OPTIONS).startswith(b"%PDF")
    assert asked == []

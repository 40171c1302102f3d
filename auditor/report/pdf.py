"""PDF report: the HTML template printed by WeasyPrint with its ``@media print`` styles.

WeasyPrint never fetches anything: the document has no external references
and the URL fetcher refuses every request, so hostile data can never make
the renderer reach the network or the file system.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

from auditor.report.html import render_html, view_for
from auditor.report.interface import Renderer, ReportError, ReportOptions, write_bytes
from auditor.results import Results


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    raise ValueError(f"external resource refused: {url[:80]}")


def render_pdf_bytes(results: Results, options: ReportOptions) -> bytes:
    """The PDF report as bytes."""
    try:
        import weasyprint
    except ImportError as exc:  # pragma: no cover - weasyprint is a dependency
        raise ReportError(f"PDF output needs WeasyPrint and its system libraries: {exc}") from exc
    html = render_html(view_for(results, options))
    document = weasyprint.HTML(string=html, base_url=None, url_fetcher=_refuse_fetch, media_type="print")
    data = document.write_pdf()
    assert isinstance(data, bytes)
    return data


class PdfRenderer(Renderer):
    """``--format pdf``."""

    name = "pdf"
    extension = ".pdf"
    default_filename = "report.pdf"
    is_text = False

    def render(self, results: Results, out_path: Path, options: ReportOptions) -> list[Path]:
        """Write the PDF report."""
        return [write_bytes(out_path, render_pdf_bytes(results, options))]

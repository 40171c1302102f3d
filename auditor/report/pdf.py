"""PDF report: the HTML template printed by WeasyPrint with its ``@media print`` styles.

WeasyPrint never fetches anything: the document has no external references
and the URL fetcher refuses every request (``data:`` included: the template
uses none), so hostile data can never make the renderer reach the network or
the file system. A refused resource is left out with a WeasyPrint warning; it
never stops the report.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, NoReturn

from auditor.engine.results import Results
from auditor.report.html import render_html
from auditor.report.interface import Renderer, ReportError, ReportOptions, write_bytes
from auditor.report.viewmodel import build_view


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    raise ValueError(f"external resource refused: {url[:80]}")


@cache
def _refusing_fetcher() -> Any:
    """A URL fetcher that refuses every URL, in the API of the installed WeasyPrint.

    WeasyPrint 68 and later call an instance of :class:`weasyprint.URLFetcher`
    (a plain function there fails with AttributeError on the first fetch);
    earlier releases call a plain function.
    """
    import weasyprint

    base = getattr(weasyprint, "URLFetcher", None)
    if base is None:
        return _refuse_fetch

    class RefuseEveryUrl(base):  # type: ignore[misc, valid-type]
        """Refuses before any handler runs; ``allowed_protocols=()`` refuses again below."""

        def fetch(self, url: str, headers: Any = None) -> NoReturn:
            _refuse_fetch(url)

    return RefuseEveryUrl(allowed_protocols=(), allow_redirects=False, fail_on_errors=False)


def html_to_pdf(html: str, progress: Callable[[str], None] | None = None) -> bytes:
    """``html`` printed to PDF with every external resource refused.

    ``progress`` hears the two stages: layout (most of the time), then writing the pages.
    """
    try:
        import weasyprint
    except ImportError as exc:  # pragma: no cover - weasyprint is a dependency
        raise ReportError(f"PDF output needs WeasyPrint and its system libraries: {exc}") from exc
    if progress:
        progress("Rendering the PDF report: laying out the pages (WeasyPrint)...")
    laid_out = weasyprint.HTML(string=html, base_url=None, url_fetcher=_refusing_fetcher(), media_type="print").render()
    if progress:
        progress(f"Rendering the PDF report: writing {len(laid_out.pages)} pages...")
    data = laid_out.write_pdf()
    assert isinstance(data, bytes)
    return data


def render_pdf_bytes(results: Results, options: ReportOptions) -> bytes:
    """The PDF report as bytes."""
    return html_to_pdf(render_html(build_view(results, options)), options.progress)


class PdfRenderer(Renderer):
    """``--format pdf``."""

    name = "pdf"
    extension = ".pdf"
    default_filename = "report.pdf"
    is_text = False

    def render(self, results: Results, out_path: Path, options: ReportOptions) -> list[Path]:
        """Write the PDF report."""
        return [write_bytes(out_path, render_pdf_bytes(results, options))]

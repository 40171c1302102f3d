"""HTML report: one self-contained file (inline CSS and SVG, no network, readable without JS).

The same template renders the PDF (see :mod:`auditor.report.pdf`); its print
stylesheet lives in ``@media print`` so one template set serves both.
"""

from __future__ import annotations

from functools import cache

import jinja2

from auditor.engine.results import Results
from auditor.model import package_data as resources
from auditor.report.interface import ReportOptions, TextRenderer
from auditor.report.viewmodel import ReportView, build_view

TEMPLATE = "report.html.j2"


@cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment: autoescape on for every template, undefined names are errors.

    Templates are loaded from ``auditor/data/templates`` in the wheel and from
    ``reports/templates`` in a source checkout (see ``package_data``).
    """
    folder = resources.package_path("data", "templates")
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(view: ReportView) -> str:
    """The report as one HTML document."""
    return environment().get_template(TEMPLATE).render(view=view)


class HtmlRenderer(TextRenderer):
    """``--format html``."""

    name = "html"
    extension = ".html"
    default_filename = "report.html"

    def render_text(self, results: Results, options: ReportOptions) -> str:
        """The HTML report as text."""
        return render_html(build_view(results, options))

"""JSON output: the results document as-is (it validates against results.schema.json)."""

from __future__ import annotations

from auditor.engine.results import Results
from auditor.report.interface import ReportOptions, TextRenderer, json_text


class JsonRenderer(TextRenderer):
    """``--format json``."""

    name = "json"
    extension = ".json"
    default_filename = "results.json"

    def render_text(self, results: Results, options: ReportOptions) -> str:
        """The results document, indented, UTF-8 (lone surrogates become U+FFFD)."""
        return json_text(results.to_dict())

"""JSON output: the results document as-is (it validates against results.schema.json)."""

from __future__ import annotations

import json
from pathlib import Path

from auditor.engine.results import Results
from auditor.model.textsafe import without_surrogates
from auditor.report.interface import Renderer, ReportOptions, write_text


class JsonRenderer(Renderer):
    """``--format json``."""

    name = "json"
    extension = ".json"
    default_filename = "results.json"

    def render(self, results: Results, out_path: Path, options: ReportOptions) -> list[Path]:
        """Write results.json."""
        return [write_text(out_path, self.render_text(results, options))]

    def render_text(self, results: Results, options: ReportOptions) -> str:
        """The results document, indented, UTF-8 (lone surrogates become U+FFFD)."""
        return without_surrogates(json.dumps(results.to_dict(), indent=2, ensure_ascii=False)) + "\n"

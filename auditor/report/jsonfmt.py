"""JSON output: the results document as-is (it validates against results.schema.json)."""

from __future__ import annotations

from typing import Any

from auditor.engine.results import Results
from auditor.report.interface import JsonDocumentRenderer


class JsonRenderer(JsonDocumentRenderer):
    """``--format json``."""

    name = "json"
    extension = ".json"
    default_filename = "results.json"

    @staticmethod
    def document(results: Results) -> dict[str, Any]:
        """The results document itself."""
        return results.to_dict()

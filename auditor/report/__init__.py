"""Reports: one module per output format behind :mod:`auditor.report.interface`.

The CLI calls :func:`render` (several formats into a folder) or
:func:`render_to` (one format to a file or stdout).
"""

from __future__ import annotations

from auditor.report.interface import (
    FORMATS,
    Renderer,
    ReportError,
    ReportOptions,
    render,
    render_to,
    renderer_for,
)

__all__ = ["FORMATS", "Renderer", "ReportError", "ReportOptions", "render", "render_to", "renderer_for"]

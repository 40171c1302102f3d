"""The one interface every output format implements, and the entry points the CLI calls.

Data flows one way: ``Results`` (the results document) go in, files come out.
Each format lives in its own module and registers here by name; the registry
imports a format's module only when it is asked for, so rendering CSV never
pays for importing WeasyPrint.
"""

from __future__ import annotations

import abc
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from auditor.engine.results import Results
from auditor.model.errors import AuditorError
from auditor.model.fsio import write_file
from auditor.model.textsafe import without_surrogates

PageSize = Literal["A4", "Letter"]

#: Format name -> "module:class". Modules are imported lazily (see module docstring).
_REGISTRY: dict[str, str] = {
    "json": "auditor.report.jsonfmt:JsonRenderer",
    "html": "auditor.report.html:HtmlRenderer",
    "pdf": "auditor.report.pdf:PdfRenderer",
    "csv": "auditor.report.csvfmt:CsvRenderer",
    "sarif": "auditor.report.sarif:SarifRenderer",
    "junit": "auditor.report.junit:JunitRenderer",
    "ocsf": "auditor.report.ocsf:OcsfRenderer",
    "asff": "auditor.report.asff:AsffRenderer",
    "oscal": "auditor.report.oscal:OscalRenderer",
}

FORMATS: tuple[str, ...] = tuple(_REGISTRY)


class ReportError(AuditorError):
    """A report could not be produced (unknown format, unwritable path, binary to stdout)."""


@dataclass(frozen=True)
class ReportOptions:
    """What the user can set about a report (``--org-name``, ``--label``, ``--page-size``).

    ``generated_at`` is fixed by tests and by reproducible builds; ``None`` means now.
    ``max_field_chars`` bounds any single text field taken from AWS or logs, so a
    hostile 100 KB value cannot swamp a report. ``max_rows_per_check`` bounds the
    detailed rows per check in HTML/PDF (the CSV and JSON always hold everything).
    """

    org_name: str = ""
    label: str = "CONFIDENTIAL"
    page_size: PageSize = "A4"
    generated_at: str | None = None
    max_field_chars: int = 2000
    max_rows_per_check: int = 25
    #: Hears the stages of a slow render (the PDF: laid out, then N pages written); for a console.
    progress: Callable[[str], None] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.page_size not in ("A4", "Letter"):
            raise ReportError(f"page size must be A4 or Letter, not {self.page_size!r}")
        if self.max_field_chars < 20:
            raise ReportError("max_field_chars must be at least 20")
        if self.max_rows_per_check < 1:
            raise ReportError("max_rows_per_check must be at least 1")


class Renderer(abc.ABC):
    """One output format."""

    #: The name users give to ``--format``.
    name: str
    #: File extension, with the dot.
    extension: str
    #: File name used by :func:`render` inside the output directory.
    default_filename: str
    #: True when the output is text and may go to stdout (``-o -``).
    is_text: bool = True

    @abc.abstractmethod
    def render(self, results: Results, out_path: Path, options: ReportOptions) -> list[Path]:
        """Write the format to ``out_path`` (and siblings, for CSV); return every file written."""

    def render_text(self, results: Results, options: ReportOptions) -> str:
        """The main output as text, for ``-o -``. Binary formats raise."""
        raise ReportError(f"the {self.name} format is binary and cannot be written to stdout")


class TextRenderer(Renderer):
    """A format whose whole output is one text document: :meth:`render_text`, written to one file."""

    def render(self, results: Results, out_path: Path, options: ReportOptions) -> list[Path]:
        """Write :meth:`render_text` to ``out_path``."""
        return [write_text(out_path, self.render_text(results, options))]

    @abc.abstractmethod
    def render_text(self, results: Results, options: ReportOptions) -> str:
        """The whole output as text."""


class JsonDocumentRenderer(TextRenderer):
    """A format whose output is one JSON document: :meth:`document`, written as :func:`json_text`."""

    @staticmethod
    @abc.abstractmethod
    def document(results: Results) -> Any:
        """The format's JSON-ready document for ``results``."""

    def render_text(self, results: Results, options: ReportOptions) -> str:
        """The document, indented, UTF-8 (lone surrogates become U+FFFD)."""
        return json_text(self.document(results))


def json_text(document: Any) -> str:
    """A JSON document as report text: indented, UTF-8, lone surrogates as U+FFFD."""
    return without_surrogates(json.dumps(document, indent=2, ensure_ascii=False)) + "\n"


def renderer_for(fmt: str) -> Renderer:
    """The renderer registered under ``fmt`` (case-insensitive)."""
    key = fmt.strip().lower()
    target = _REGISTRY.get(key)
    if target is None:
        raise ReportError(f"unknown report format {fmt!r}; choose from {', '.join(FORMATS)}")
    module_name, _, class_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    renderer = cls()
    assert isinstance(renderer, Renderer)
    return renderer


def render(
    results: Results,
    formats: Sequence[str],
    output_dir: Path,
    options: ReportOptions | None = None,
) -> list[Path]:
    """Render every requested format into ``output_dir``; return all files written.

    Unknown formats are rejected before anything is written, so a typo in
    ``--format`` never leaves half a set of reports behind.
    """
    opts = options or ReportOptions()
    renderers = [renderer_for(f) for f in dict.fromkeys(formats)]
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot create output directory {output_dir}: {exc.strerror}") from exc
    written: list[Path] = []
    for renderer in renderers:
        written.extend(renderer.render(results, output_dir / renderer.default_filename, opts))
    return written


def render_to(
    results: Results,
    fmt: str,
    out: Path | str,
    options: ReportOptions | None = None,
    stdout: IO[str] | None = None,
) -> list[Path]:
    """Render one format to ``out``; ``"-"`` writes a text format to ``stdout``.

    This is ``trail-auditor report RESULTS.json --format X -o FILE``. For CSV
    the per-framework control files are written next to ``out`` (and are
    skipped when writing to stdout, which can carry one table only).
    """
    opts = options or ReportOptions()
    renderer = renderer_for(fmt)
    if str(out) == "-":
        text = renderer.render_text(results, opts)
        (stdout or sys.stdout).write(text)
        return []
    path = Path(out)
    if path.parent and not path.parent.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ReportError(f"cannot create {path.parent}: {exc.strerror}") from exc
    return renderer.render(results, path, opts)


def write_text(path: Path, text: str) -> Path:
    """Write UTF-8 text (atomically, never through a link), turning OS errors into a ReportError."""
    return _write(path, text)


def write_bytes(path: Path, data: bytes) -> Path:
    """Write bytes (atomically, never through a link), turning OS errors into a ReportError."""
    return _write(path, data)


def _write(path: Path, data: bytes | str) -> Path:
    try:
        write_file(path, data)
    except OSError as exc:
        raise ReportError(f"cannot write {path}: {exc.strerror}") from exc
    return path

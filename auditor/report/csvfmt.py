"""CSV output: one row per finding, and one file per framework with one row per control.

Spreadsheets execute cells that start with ``=``, ``+``, ``-``, ``@`` (CSV
injection); values from AWS and logs are hostile, so such cells get a
leading apostrophe. The CSV is otherwise complete: no truncation, every
finding, because it is the full list the HTML/PDF point to.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from auditor.engine.results import FrameworkVerdict, Results
from auditor.model.textsafe import without_surrogates
from auditor.report.interface import Renderer, ReportOptions, write_text

FINDING_COLUMNS: tuple[str, ...] = (
    "id",
    "check_id",
    "title",
    "status",
    "severity",
    "account_id",
    "region",
    "resource_type",
    "resource_id",
    "resource_arn",
    "message",
    "controls",
    "remediation",
    "waiver_reason",
    "waiver_owner",
    "waiver_expires",
    "evidence",
)
CONTROL_COLUMNS: tuple[str, ...] = (
    "framework_id",
    "framework_version",
    "control_id",
    "title",
    "status",
    "automation",
    "section",
    "checks",
    "findings",
    "waived",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def cell(value: Any) -> str:
    """A value as a CSV cell that a spreadsheet will show, not execute."""
    if value is None:
        text = ""
    elif isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | float):
        return str(value)
    else:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _table(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return without_surrogates(buf.getvalue())


def findings_csv(results: Results) -> str:
    """Every finding, one row each."""
    rows = []
    for f in results.findings:
        waiver = f.waiver or {}
        rows.append(
            (
                f.id,
                f.check_id,
                f.title,
                f.status.value,
                f.severity.value,
                f.account_id,
                f.region,
                f.resource_type,
                f.resource_id,
                f.resource_arn or "",
                f.message,
                "; ".join(f"{fw}:{c}" for fw, ids in sorted(f.controls.items()) for c in ids),
                f.remediation.get("summary", ""),
                waiver.get("reason", ""),
                waiver.get("owner", ""),
                waiver.get("expires", ""),
                dict(f.evidence) if f.evidence else "",
            )
        )
    return _table(FINDING_COLUMNS, rows)


def controls_csv(fw: FrameworkVerdict) -> str:
    """One framework's controls, one row each."""
    return _table(
        CONTROL_COLUMNS,
        (
            (
                fw.id,
                fw.version,
                c.id,
                c.title,
                c.status,
                c.automation,
                c.section,
                " ".join(c.checks),
                " ".join(c.findings),
                c.waived,
            )
            for c in fw.controls
        ),
    )


def controls_path(findings_path: Path, framework_id: str) -> Path:
    """Where a framework's control CSV goes: next to the findings CSV."""
    safe = _UNSAFE_NAME.sub("_", framework_id).strip("._") or "framework"
    return findings_path.with_name(f"{findings_path.stem}-controls-{safe}.csv")


class CsvRenderer(Renderer):
    """``--format csv``: findings.csv plus findings-controls-<framework>.csv per framework."""

    name = "csv"
    extension = ".csv"
    default_filename = "findings.csv"

    def render(self, results: Results, out_path: Path, options: ReportOptions) -> list[Path]:
        """Write the findings CSV and one controls CSV per framework."""
        written = [write_text(out_path, findings_csv(results))]
        for fw in results.frameworks:
            written.append(write_text(controls_path(out_path, fw.id), controls_csv(fw)))
        return written

    def render_text(self, results: Results, options: ReportOptions) -> str:
        """The findings CSV (stdout carries one table)."""
        return findings_csv(results)

"""Terminal output: a live progress display and summary tables, always on stderr.

stdout is kept clean for machine output (``--format json -o -``). Text that
came from AWS or log files is printed through rich's Text objects, never as
markup, so a hostile resource name cannot inject terminal styling.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from auditor.checkapi import Status
from auditor.results import Results
from auditor.snapshot import CollectionError

STATUS_STYLE = {
    "PASS": "green",
    "FAIL": "bold red",
    "ERROR": "bold yellow",
    "NOT_APPLICABLE": "dim",
    "WAIVED": "cyan",
}


def stderr_console(quiet: bool = False) -> Console:
    """The console every command writes human output to."""
    # soft_wrap: never break a line inside a path or an ARN (users copy them from here).
    return Console(file=sys.stderr, quiet=quiet, highlight=False, soft_wrap=True)


class RichProgress:
    """A ProgressSink (see auditor.progress) showing accounts x regions done, calls and errors."""

    def __init__(self, console: Console, label: str = "Collecting") -> None:
        self._console = console
        self._label = label
        self._lock = threading.Lock()
        self._calls = 0
        self._errors = 0
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("calls {task.fields[calls]}  errors {task.fields[errors]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=console.quiet or not console.is_terminal,
        )
        self._task = self._progress.add_task(label, total=None, calls=0, errors=0)
        self._started = time.monotonic()

    def start(self, total_tasks: int) -> None:
        """Begin with the number of account x region tasks."""
        self._progress.start()
        self._progress.update(self._task, total=total_tasks)

    def task_done(self, account_id: str, region: str) -> None:
        """One account x region finished."""
        self._progress.update(self._task, advance=1,
                              description=f"{self._label} {account_id} {region}")

    def call_made(self, service: str, operation: str) -> None:
        """One AWS API call was made."""
        with self._lock:
            self._calls += 1
            calls = self._calls
        if calls % 10 == 0:
            self._progress.update(self._task, calls=calls)

    def error(self, err: CollectionError) -> None:
        """A piece of evidence could not be collected."""
        with self._lock:
            self._errors += 1
            errors = self._errors
        self._progress.update(self._task, errors=errors)

    def finish(self) -> None:
        """Stop the display and print one line of totals."""
        self._progress.update(self._task, calls=self._calls, errors=self._errors)
        self._progress.stop()
        elapsed = time.monotonic() - self._started
        self._console.print(
            f"{self._label}: done in {elapsed:.1f}s, {self._calls} API calls, "
            f"{self._errors} collection errors"
        )

    @property
    def calls(self) -> int:
        """API calls counted so far."""
        return self._calls


def print_summary(console: Console, results: Results, show_passed: bool = False) -> None:
    """A compact table per check, the framework scores, and every ERROR with its reason."""
    per_check: dict[str, dict[str, int]] = {}
    severity: dict[str, str] = {}
    for f in results.findings:
        row = per_check.setdefault(f.check_id, {s.value: 0 for s in Status})
        row[f.status.value] += 1
        severity[f.check_id] = f.severity.value
    table = Table(title="Checks", title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("check")
    table.add_column("severity")
    for s in ("PASS", "FAIL", "ERROR", "NOT_APPLICABLE", "WAIVED"):
        table.add_column("N/A" if s == "NOT_APPLICABLE" else s, justify="right")
    for check_id in sorted(per_check, key=lambda c: (-per_check[c]["FAIL"], -per_check[c]["ERROR"], c)):
        row = per_check[check_id]
        if not show_passed and row["FAIL"] == 0 and row["ERROR"] == 0:
            continue
        table.add_row(
            Text(check_id), severity[check_id],
            *[Text(str(row[s]), style=STATUS_STYLE[s] if row[s] else "dim")
              for s in ("PASS", "FAIL", "ERROR", "NOT_APPLICABLE", "WAIVED")],
        )
    console.print(table)
    if results.frameworks:
        fw = Table(title="Frameworks", title_justify="left", show_edge=False, pad_edge=False)
        for col in ("framework", "score", "pass", "fail", "not assessed", "manual"):
            fw.add_column(col)
        for v in results.frameworks:
            score = "n/a" if v.score is None else f"{v.score:.0%}"
            fw.add_row(v.id, score, str(v.counts.get("PASS", 0)), str(v.counts.get("FAIL", 0)),
                       str(v.counts.get("NOT_ASSESSED", 0)), str(v.counts.get("MANUAL", 0)))
        console.print(fw)
    errors = [f for f in results.findings if f.status is Status.ERROR]
    if errors:
        console.print(f"[bold yellow]{len(errors)} result(s) could not be assessed (ERROR):[/]")
        for f in errors[:15]:
            console.print(Text(f"  {f.check_id} {f.account_id} {f.region} {f.resource_id}: {f.message}"))
        if len(errors) > 15:
            console.print(f"  ... and {len(errors) - 15} more (see results.json)")
    summary = results.summary
    by = summary.get("by_status", {})
    console.print(
        f"{summary.get('total', 0)} results: [green]{by.get('PASS', 0)} passed[/], "
        f"[red]{by.get('FAIL', 0)} failed[/], [yellow]{by.get('ERROR', 0)} error[/], "
        f"{by.get('NOT_APPLICABLE', 0)} not applicable, {by.get('WAIVED', 0)} waived"
    )


def print_lines(console: Console, lines: Sequence[str]) -> None:
    """Print plain lines that may contain untrusted text (escaped, no markup)."""
    for line in lines:
        console.print(escape(line), markup=False)

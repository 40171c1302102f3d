"""Terminal output: a live progress display and summary tables, always on stderr.

stdout is kept clean for machine output (``--format json -o -``). Text that
came from AWS or log files is printed through rich's Text objects, never as
markup, so a hostile resource name cannot inject terminal styling; and every
string, Text and table cell handed to :class:`SafeConsole` has its control
and bidi characters replaced (:func:`auditor.model.textsafe.clean_text`), so a file
name or an S3 key cannot clear the screen, write the clipboard or forge a
line such as ``gate PASSED``.

Off a terminal (a CI log, a pipe) nothing is wrapped at 80 columns: ids,
ARNs and paths are printed whole so that they can be searched and copied.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Sequence
from typing import IO, Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from auditor.engine.checkapi import Severity, Status
from auditor.engine.results import Results
from auditor.model.excerpt import error_excerpt
from auditor.model.redact import RedactingFormatter
from auditor.model.snapshot import CollectionError
from auditor.model.textsafe import clean_text

STATUS_STYLE = {
    "PASS": "green",
    "FAIL": "bold red",
    "ERROR": "bold yellow",
    "NOT_APPLICABLE": "dim",
    "WAIVED": "cyan",
}


#: Width used off a terminal: wide enough that no table splits or cuts an id.
OFF_TERMINAL_WIDTH = 1000

#: Loggers of the AWS SDK and its HTTP stack: at DEBUG they log signed requests
#: and response bodies, so they stay at WARNING unless --debug-aws asks for them.
AWS_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer")
QUIET_LOGGERS = ("fontTools", "weasyprint", "moto")


def _clean_cells(table: Table) -> None:
    """Clean a table's title and every cell in place (the table is about to be printed)."""
    if isinstance(table.title, str):
        table.title = clean_text(table.title)
    for column in table.columns:
        column._cells = [_safe(cell) for cell in column._cells]  # rich has no public setter


def _safe(obj: Any) -> Any:
    """``obj`` with control and bidi characters replaced in its text (str, Text, Table)."""
    if isinstance(obj, str):
        body = obj.lstrip("\n")  # our own leading blank lines are kept
        return obj[: len(obj) - len(body)] + clean_text(body)
    if isinstance(obj, Text):
        plain = obj.plain
        cleaned = clean_text(plain)
        if cleaned == plain:
            return obj
        return Text(cleaned, style=obj.style, justify=obj.justify, overflow=obj.overflow)
    if isinstance(obj, Table):
        _clean_cells(obj)
    return obj


class SafeConsole(Console):
    """A rich Console that never lets untrusted text drive the terminal.

    Every positional argument of :meth:`print` goes through :func:`_safe`. The
    styling rich adds itself is untouched (it is produced after this step).
    """

    def print(self, *objects: Any, **kwargs: Any) -> None:
        """Print, after replacing control and bidi characters in every text."""
        super().print(*(_safe(o) for o in objects), **kwargs)


def make_console(file: IO[str], quiet: bool = False) -> SafeConsole:
    """A console on ``file``: the terminal's width on a terminal, unlimited width elsewhere."""
    on_terminal = file.isatty()
    # soft_wrap: never break a line inside a path or an ARN (users copy them from here).
    return SafeConsole(
        file=file, quiet=quiet, highlight=False, soft_wrap=True, width=None if on_terminal else OFF_TERMINAL_WIDTH
    )


def stderr_console(quiet: bool = False) -> SafeConsole:
    """The console every command writes human output to."""
    return make_console(sys.stderr, quiet)


def stdout_console() -> SafeConsole:
    """The console for listings a user may pipe into grep (`checks`, `frameworks`)."""
    return make_console(sys.stdout)


def configure_logging(debug: bool, debug_aws: bool) -> None:
    """One stderr handler whose formatter redacts credentials and terminal controls.

    ``debug`` makes trail-auditor's own loggers verbose; the AWS SDK's loggers
    stay at WARNING unless ``debug_aws`` (``--debug-aws`` or
    ``TRAIL_AUDITOR_DEBUG_AWS=1``) is also given. Whatever the levels, every
    record passes the redacting formatter.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug or debug_aws else logging.WARNING)
    for name in AWS_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if debug_aws else logging.WARNING if debug else logging.ERROR)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if debug else logging.ERROR)


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 file``, ``2 files``: a count with its noun in the right number."""
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"


class RichProgress:
    """A ProgressSink (see auditor.model.progress) showing account x region units done, calls and errors."""

    def __init__(self, console: Console, label: str = "Collecting") -> None:
        self._console = console
        self._label = label
        self._lock = threading.Lock()
        self._calls = 0
        self._retries = 0
        self._errors = 0
        self._started_display = False
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(
                "regions  {task.fields[calls]} API calls  {task.fields[retries]} retries  {task.fields[errors]} errors"
            ),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=console.quiet or not console.is_terminal,
        )
        self._task = self._progress.add_task(label, total=None, calls=0, retries=0, errors=0)
        self._started = time.monotonic()

    def start(self, total_tasks: int) -> None:
        """Begin with the number of account x region tasks."""
        self._started_display = True
        self._progress.start()
        self._progress.update(self._task, total=total_tasks)

    def task_done(self, account_id: str, region: str) -> None:
        """One account x region finished."""
        self._progress.update(self._task, advance=1, description=clean_text(f"{self._label} {account_id} {region}"))

    def call_made(self, service: str, operation: str) -> None:
        """One AWS API call was made."""
        with self._lock:
            self._calls += 1
            calls = self._calls
        if calls % 10 == 0:
            self._progress.update(self._task, calls=calls)

    def retried(self, service: str, operation: str) -> None:
        """An AWS API call is sent again (shown at once: a throttled scan should say why it is slow)."""
        with self._lock:
            self._retries += 1
            retries = self._retries
        self._progress.update(
            self._task, retries=retries, description=clean_text(f"{self._label} (retrying {service}:{operation})")
        )

    def error(self, err: CollectionError) -> None:
        """A piece of evidence could not be collected."""
        with self._lock:
            self._errors += 1
            errors = self._errors
        self._progress.update(self._task, errors=errors)

    def finish(self) -> None:
        """Stop the display; print one line of totals if the collection got under way.

        A collection that failed before it started (no credentials, endpoint
        unreachable) prints nothing here: "done" would contradict the error.
        """
        self._progress.update(self._task, calls=self._calls, retries=self._retries, errors=self._errors)
        self._progress.stop()
        if not self._started_display:
            return
        elapsed = time.monotonic() - self._started
        self._console.print(
            f"{self._label}: done in {elapsed:.1f}s, {plural(self._calls, 'API call')}, "
            f"{plural(self._retries, 'retry', 'retries')}, {plural(self._errors, 'collection error')}"
        )

    @property
    def calls(self) -> int:
        """API calls counted so far."""
        return self._calls

    @property
    def retries(self) -> int:
        """Retried attempts counted so far."""
        return self._retries


class RichWork:
    """A WorkProgress (see auditor.model.progress): one bar per phase (files read, digest chains validated).

    Shown on a terminal only, and gone when the phase ends (the phase's own summary line follows).
    """

    def __init__(self, console: Console) -> None:
        self._lock = threading.Lock()
        self._tasks: dict[str, Any] = {}
        self._running = False
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=console.quiet or not console.is_terminal,
        )

    def update(self, phase: str, done: int, total: int) -> None:
        """Move the phase's bar (started on its first update, stopped when every phase is done)."""
        with self._lock:
            if not self._running:
                self._progress.start()
                self._running = True
            task = self._tasks.get(phase)
            if task is None:
                task = self._tasks[phase] = self._progress.add_task(clean_text(phase), total=total)
            self._progress.update(task, completed=done, total=max(total, done))
            if all(t.finished for t in self._progress.tasks):
                self._progress.stop()
                self._running = False

    def close(self) -> None:
        """Stop the display (a phase may end early, e.g. on an unreadable bucket)."""
        with self._lock:
            self._progress.stop()
            self._running = False


def _summary_order(per_check: dict[str, dict[str, int]], severity: dict[str, str]) -> list[str]:
    """Most severe first; within a severity, most failures, then most ERRORs, then by id."""
    return sorted(
        per_check, key=lambda c: (-Severity(severity[c]).rank, -per_check[c]["FAIL"], -per_check[c]["ERROR"], c)
    )


def print_summary(console: Console, results: Results, show_passed: bool = False) -> None:
    """A compact table per check, the framework scores, and every ERROR with its reason."""
    per_check: dict[str, dict[str, int]] = {}
    severity: dict[str, str] = {}
    for f in results.findings:
        row = per_check.setdefault(f.check_id, {s.value: 0 for s in Status})
        row[f.status.value] += 1
        severity[f.check_id] = f.severity.value
    table = Table(title="Checks", title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("check", no_wrap=True)
    table.add_column("severity", no_wrap=True)
    for s in ("PASS", "FAIL", "ERROR", "NOT_APPLICABLE", "WAIVED"):
        table.add_column("N/A" if s == "NOT_APPLICABLE" else s, justify="right", no_wrap=True)
    for check_id in _summary_order(per_check, severity):
        row = per_check[check_id]
        if not show_passed and row["FAIL"] == 0 and row["ERROR"] == 0:
            continue
        table.add_row(
            Text(check_id),
            severity[check_id],
            *[
                Text(str(row[s]), style=STATUS_STYLE[s] if row[s] else "dim")
                for s in ("PASS", "FAIL", "ERROR", "NOT_APPLICABLE", "WAIVED")
            ],
        )
    console.print(table)
    if results.frameworks:
        fw = Table(title="Frameworks", title_justify="left", show_edge=False, pad_edge=False)
        fw.add_column("framework", no_wrap=True)
        for col in ("score", "pass", "fail", "not assessed", "manual"):
            fw.add_column(col)
        for v in results.frameworks:
            score = "n/a" if v.score is None else f"{v.score:.0%}"
            fw.add_row(
                v.id,
                score,
                str(v.counts.get("PASS", 0)),
                str(v.counts.get("FAIL", 0)),
                str(v.counts.get("NOT_ASSESSED", 0)),
                str(v.counts.get("MANUAL", 0)),
            )
        console.print(fw)
    print_errors(console, results)
    summary = results.summary
    by = summary.get("by_status", {})
    console.print(
        f"{plural(summary.get('total', 0), 'result')}: [green]{by.get('PASS', 0)} passed[/], "
        f"[red]{by.get('FAIL', 0)} failed[/], [yellow]{by.get('ERROR', 0)} error[/], "
        f"{by.get('NOT_APPLICABLE', 0)} not applicable, {by.get('WAIVED', 0)} waived"
    )


def print_errors(console: Console, results: Results, limit: int = 15) -> None:
    """Every ERROR result with its reason (also under --quiet: missing evidence is an error)."""
    errors = [f for f in results.findings if f.status is Status.ERROR]
    if not errors:
        return
    console.print(f"[bold yellow]{plural(len(errors), 'result')} could not be assessed (ERROR):[/]")
    for f in errors[:limit]:
        console.print(Text(f"  {f.check_id} {f.account_id} {f.region} {f.resource_id}: {error_excerpt(f.message)}"))
    if len(errors) > limit:
        console.print(f"  ... and {len(errors) - limit} more (see results.json)")


def print_lines(console: Console, lines: Sequence[str]) -> None:
    """Print plain lines that may contain untrusted text (escaped, no markup)."""
    for line in lines:
        console.print(escape(line), markup=False)

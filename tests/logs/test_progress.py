"""Long phases show real progress: log files read (local and S3) and digest chains validated."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from auditor.app.console import RichWork
from auditor.logs import LogWindow, read_local

STRATUS = Path(__file__).resolve().parents[1] / "fixtures" / "logs" / "stratus" / "detonation-logs"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Recorder:
    def __init__(self) -> None:
        self.updates: list[tuple[str, int, int]] = []

    def update(self, phase: str, done: int, total: int) -> None:
        self.updates.append((phase, done, total))


def _window() -> LogWindow:
    return LogWindow(since=datetime(2015, 1, 1, tzinfo=UTC), until=datetime.now(UTC))


def test_local_reading_reports_every_file() -> None:
    files = sorted(p for p in STRATUS.rglob("*") if p.is_file())
    seen: list[tuple[int, int]] = []
    read_local(STRATUS, _window(), progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1] == (len(files), len(files))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_console_shows_each_phase_with_counts_on_a_terminal() -> None:
    out = io.StringIO()
    work = RichWork(Console(file=out, force_terminal=True, width=120))
    read_local(STRATUS, _window(), progress=lambda d, t: work.update("Reading stratus (files)", d, t))
    work.update("Validating digests of org (accounts)", 0, 2)
    work.update("Validating digests of org (accounts)", 2, 2)
    text = _ANSI.sub("", out.getvalue())
    assert "Reading stratus (files)" in text and "Validating digests of org (accounts)" in text
    assert "2/2" in text


def test_console_progress_is_silent_off_a_terminal() -> None:
    out = io.StringIO()
    work = RichWork(Console(file=out, force_terminal=False))
    work.update("Reading x (files)", 1, 2)
    work.update("Reading x (files)", 2, 2)
    assert out.getvalue() == ""

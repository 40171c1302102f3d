"""A task runner over a bounded thread pool where tasks may submit more tasks.

The scan is a small dependency graph (DescribeTrails in a region tells which
trail details and log groups to read next). Submitting follow-up calls as new
tasks as soon as they are known keeps every worker busy, instead of waiting at
a barrier per phase; :meth:`Runner.wait` returns when nothing is left.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor


class Counter:
    """Outstanding work of one (account, region) unit; fires ``on_zero`` once when done."""

    def __init__(self, on_zero: Callable[[], None]) -> None:
        self._lock = threading.Lock()
        self._pending = 0
        self._on_zero = on_zero

    def add(self) -> None:
        """One more task belongs to this unit."""
        with self._lock:
            self._pending += 1

    def done(self) -> None:
        """One task of this unit finished."""
        with self._lock:
            self._pending -= 1
            finished = self._pending == 0
        if finished:
            self._on_zero()


class Runner:
    """Runs tasks on a pool; a task that raises is reported, never propagated."""

    def __init__(self, pool: ThreadPoolExecutor, on_crash: Callable[[str, BaseException], None]) -> None:
        self._pool = pool
        self._on_crash = on_crash
        self._cond = threading.Condition()
        self._pending = 0

    def submit(self, name: str, fn: Callable[[], None], unit: Counter | None = None) -> None:
        """Schedule ``fn``; ``unit`` (if any) counts it as part of an (account, region)."""
        with self._cond:
            self._pending += 1
        if unit is not None:
            unit.add()
        self._pool.submit(self._run, name, fn, unit)

    def _run(self, name: str, fn: Callable[[], None], unit: Counter | None) -> None:
        try:
            fn()
        except Exception as exc:  # a bug must not stop the other accounts' collection
            self._on_crash(name, exc)
        finally:
            if unit is not None:
                unit.done()
            with self._cond:
                self._pending -= 1
                if self._pending == 0:
                    self._cond.notify_all()

    def wait(self) -> None:
        """Block until every submitted task (and what they submitted) has finished."""
        with self._cond:
            while self._pending:
                self._cond.wait()

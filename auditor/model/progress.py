"""How the collector reports progress, without knowing who displays it.

The collector runs many AWS calls on worker threads; the CLI wants a live
display (accounts x regions done, calls made, errors). Keeping the interface a
small Protocol means the collection layer never imports a UI library and tests
can pass a recording sink. Every method may be called from any worker thread,
so implementations must be thread-safe.
"""

from __future__ import annotations

from typing import Protocol

from auditor.model.snapshot import CollectionError

__all__ = ["NullProgress", "NullWork", "ProgressSink", "WorkProgress"]


class ProgressSink(Protocol):
    """Receives collection progress events (called from worker threads).

    Each method does nothing unless a sink overrides it, so a sink that subclasses this
    one implements only the events it shows.
    """

    def start(self, total_tasks: int) -> None:
        """Called once, when the number of (account, region) units to scan is known."""
        return None

    def task_done(self, account_id: str, region: str) -> None:
        """One (account, region) unit finished (its trails, logs, alarms, Config)."""
        return None

    def call_made(self, service: str, operation: str) -> None:
        """One AWS API call is about to be sent (retries are not counted again)."""
        return None

    def retried(self, service: str, operation: str) -> None:
        """An AWS API call is sent again (throttled, a 5xx, a dropped connection), before its answer counts."""
        return None

    def error(self, err: CollectionError) -> None:
        """A piece of evidence could not be collected; it is also in Snapshot.errors."""
        return None

    def finish(self) -> None:
        """Collection is over (called even when it ended early)."""
        return None


class NullProgress(ProgressSink):
    """A sink that ignores everything: the default when nobody is watching (every method is the protocol's no-op)."""


class WorkProgress(Protocol):
    """Receives progress of a long phase after collection: log files read, digest chains validated."""

    def update(self, phase: str, done: int, total: int) -> None:
        """``done`` of ``total`` units of ``phase`` (e.g. "Reading logs of org-trail") are finished."""


class NullWork:
    """Ignores progress: the default when nobody is watching (the Lambda, tests)."""

    def update(self, phase: str, done: int, total: int) -> None:
        """Ignore."""

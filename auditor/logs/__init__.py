"""Evidence from the CloudTrail log files themselves.

Reads log files (a local folder or a trail's S3 bucket) for a time window in
one streaming pass, evaluates the single-event rules (CIS patterns and our
own, as filter patterns), optional Sigma rules and the aggregations (failed
logins, access denied, rate anomalies, region activity, delivery continuity),
and returns a JSON-ready evidence document, stored in ``Snapshot.log_evidence``
(typed there as :class:`auditor.model.log_evidence.LogEvidence`) and judged
offline by the ``logs-*`` checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from auditor.logs import sigma as sigma_mod
from auditor.logs.aggregate import Params, add_problems
from auditor.logs.document import to_document
from auditor.logs.evidence import merge_evidence
from auditor.logs.parse import DEFAULT_MAX_BYTES, DEFAULT_MAX_VALUES, FileProblem
from auditor.logs.reader import (
    WorkerConfig,
    batch_size,
    log_files,
    problem_partial,
    process_bytes,
    read_paths,
    run_pool,
)
from auditor.model.errors import AuditorError
from auditor.model.timefmt import iso, parse_iso

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_VALUES",
    "FileProblem",
    "LogWindow",
    "merge_evidence",
    "parse_since",
    "read_local",
    "read_s3",
]


@dataclass(frozen=True)
class LogWindow:
    """The time window whose events are judged: since inclusive, until exclusive (UTC)."""

    since: datetime
    until: datetime

    def __post_init__(self) -> None:
        if self.since.tzinfo is None or self.until.tzinfo is None:
            raise AuditorError("log window times must be timezone-aware (UTC)")
        if self.since >= self.until:
            raise AuditorError(
                f"log window is empty: since {self.since.isoformat()} is not before until {self.until.isoformat()}"
            )


_RELATIVE = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")


def parse_since(text: str, now: datetime) -> datetime:
    """ "30d", "12h", "45m" (before ``now``), a date "2026-11-01" or an ISO timestamp, as UTC."""
    m = _RELATIVE.match(text)
    if m:
        n = int(m.group(1))
        unit = {"d": timedelta(days=n), "h": timedelta(hours=n), "m": timedelta(minutes=n)}
        return now - unit[m.group(2)]
    raw = text.strip()
    try:
        return parse_iso(raw)
    except ValueError:
        raise AuditorError(f"cannot read time {text!r}: use 30d, 12h, 2026-11-01 or an ISO 8601 timestamp") from None


def _iso_up(dt: datetime) -> str:
    """``dt`` rounded up to a whole second: CloudTrail stamps events to the second, so an
    event stamped 12:00:00 may have happened before an ``until`` of 12:00:00.7."""
    return iso(dt + timedelta(microseconds=(1_000_000 - dt.microsecond) % 1_000_000))


def _config(
    window: LogWindow,
    rules_dir: Path | None,
    max_bytes: int,
    fast: bool = True,
    max_values: int = DEFAULT_MAX_VALUES,
) -> tuple[WorkerConfig, sigma_mod.Ruleset]:
    rs = sigma_mod.load_ruleset(rules_dir) if rules_dir is not None else sigma_mod.Ruleset()
    params = Params(since=iso(window.since), until=_iso_up(window.until), max_bytes=max_bytes, max_values=max_values)
    return WorkerConfig(params, tuple(rs.specs), fast), rs


def read_local(
    path: Path,
    window: LogWindow,
    rules_dir: Path | None = None,
    workers: int = 2,
    progress: Callable[[int, int], None] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    fast: bool = True,
    max_values: int = DEFAULT_MAX_VALUES,
) -> dict[str, Any]:
    """The evidence document for the log files under a local folder (or one file).

    ``max_bytes`` bounds one file's (decompressed) size and ``max_values`` its
    JSON values (records and fields); a file past either is unreadable.

    ``fast=False`` parses every record in full (the reference the two-tier
    reader of :mod:`auditor.logs.fastpath` must agree with; for tests and
    benchmarks).
    """
    if not path.exists():
        raise AuditorError(f"log path {path} does not exist")
    cfg, rs = _config(window, rules_dir, max_bytes, fast, max_values)
    files, walk_problems = log_files(path)
    part = read_paths(files, cfg, workers, progress)
    add_problems(part, walk_problems)
    return to_document(part, cfg.params, [str(path)], rs.specs, rs.unsupported, rs.correlations)


def read_s3(
    s3_client: Any,
    bucket: str,
    prefix: str,
    window: LogWindow,
    accounts: Sequence[str] | None = None,
    regions: Sequence[str] | None = None,
    rules_dir: Path | None = None,
    workers: int = 2,
    max_bytes: int = DEFAULT_MAX_BYTES,
    fast: bool = True,
    max_values: int = DEFAULT_MAX_VALUES,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """The evidence document for a trail's bucket: only the window's day prefixes are listed.

    ``progress(done, total)`` hears each object read (total: the objects listed for the window).
    """
    from auditor.logs import s3source

    cfg, rs = _config(window, rules_dir, max_bytes, fast, max_values)
    objects, problems, _scopes = s3source.list_objects(
        s3_client, bucket, prefix, window.since, window.until, accounts, regions
    )
    objects = [o for o in objects if "CloudTrail-Digest" not in o.key]

    def tasks() -> Any:
        for p in problems:
            yield problem_partial, (p,)
        for url, data in s3source.fetch(s3_client, bucket, objects, max_bytes):
            if isinstance(data, FileProblem):
                yield problem_partial, (data,)
            else:
                yield process_bytes, (url, data, None if workers > 1 else cfg)

    total = len(objects) + len(problems)
    part = run_pool(tasks(), cfg, workers, total, progress, batch=batch_size(total, workers))
    # listing problems are not files: do not count them as files read
    part.files_read -= len(problems)
    source = f"s3://{bucket}/{prefix.strip('/')}" if prefix.strip("/") else f"s3://{bucket}"
    return to_document(part, cfg.params, [source], rs.specs, rs.unsupported, rs.correlations)


def unreadable_source(source: str, window: LogWindow, reason: str, account_id: str | None = None) -> dict[str, Any]:
    """The evidence document of a source that could not be opened at all (e.g. AssumeRole failed).

    It carries one unreadable problem naming the source, so the logs-* checks
    report ERROR for it instead of judging an empty stream as clean.
    """
    cfg, rs = _config(window, None, DEFAULT_MAX_BYTES)
    where = f" (account {account_id})" if account_id else ""
    part = problem_partial(FileProblem(source, f"{reason}{where}"))
    part.files_read = 0
    return to_document(part, cfg.params, [source], rs.specs, rs.unsupported, rs.correlations)

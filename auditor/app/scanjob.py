"""One scan job: collect, read the trails' logs, evaluate.

The CLI's ``scan`` and the Lambda handler both run exactly this sequence, so
the order of the steps, the reuse of the collector's role sessions by the
log reader, and what the results are built from cannot drift between them.
What happens around it (a baseline, history, notifications, reports, exit
codes) stays with each caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.app.console import RichWork
from auditor.app.pipeline import EvaluationOptions, build_results
from auditor.aws.collect import CollectOptions, collect_with_sessions
from auditor.engine.results import Results
from auditor.model.progress import ProgressSink
from auditor.model.snapshot import Snapshot

if TYPE_CHECKING:
    import boto3


@dataclass(frozen=True)
class ScanJob:
    """What to scan and how to judge it."""

    collect: CollectOptions
    evaluation: EvaluationOptions
    #: Read the trails' log files for this window (``30d``, ``12h``, a date); None: do not read logs.
    logs_since: str | None = None
    #: A folder of Sigma rules for the log reader.
    rules_dir: Path | None = None
    #: Digest public keys (offline) instead of CloudTrail ListPublicKeys.
    public_keys: Path | None = None
    #: Also save the collected evidence here (its SHA-256 goes into the results).
    snapshot_path: Path | None = None
    #: Compute the log evidence with Athena over this table instead of reading the files
    #: (an :class:`auditor.aws.athena.AthenaOptions`); the digests, not in the table, are
    #: still read from the trail buckets and validated as the streaming read validates them.
    athena: Any = None


@dataclass(frozen=True)
class ScanOutcome:
    """The evidence and the results of one scan job."""

    snapshot: Snapshot
    results: Results
    #: SHA-256 of the saved snapshot (None when it was not saved).
    snapshot_sha256: str | None = None


def run_scan_job(
    job: ScanJob,
    *,
    progress: ProgressSink | None = None,
    console: Any = None,
    session: boto3.Session | None = None,
    now: datetime | None = None,
) -> ScanOutcome:
    """Collect, read logs (if asked, with the collector's role sessions), save the snapshot, evaluate.

    ``console`` (a rich console, optional) gets the log reader's progress lines
    and where the snapshot was written. ``now`` ends the log window (default: the
    time the logs are read; tests pin it). Raises ``AuditorError`` subclasses
    only (for example when the scan cannot start).
    """
    snapshot, sessions = collect_with_sessions(job.collect, progress=progress, session=session)
    work = RichWork(console) if console is not None else None
    if job.logs_since:
        from auditor.aws.trail_logs import read_trail_evidence

        if job.athena is not None:
            now = now or datetime.now(UTC)  # one window for the queries and the digests
            snapshot = _athena_evidence(snapshot, job, now, console)
        snapshot = read_trail_evidence(
            snapshot,
            job.collect,
            since=job.logs_since,
            rules_dir=job.rules_dir,
            public_keys=job.public_keys,
            console=console,
            now=now,
            sessions=sessions,
            work=work,
            digests_only=job.athena is not None,
        )
    digest = None
    if job.snapshot_path is not None:
        from auditor.model.snapshot_io import save_snapshot

        digest = save_snapshot(snapshot, job.snapshot_path)
        if console is not None:
            console.print(f"wrote {job.snapshot_path} (sha256 {digest})", markup=False, highlight=False)
    # started_at: the collection's own start, which the snapshot records, so `evaluate` reproduces it
    results = build_results(snapshot, job.evaluation, snapshot_sha256=digest)
    return ScanOutcome(snapshot=snapshot, results=results, snapshot_sha256=digest)


def _athena_evidence(snapshot: Snapshot, job: ScanJob, now: datetime, console: Any) -> Snapshot:
    """The snapshot with the log evidence Athena computes over the window ending ``now``, for its scope."""
    from dataclasses import replace

    from auditor.aws.athena import read_athena
    from auditor.logs import LogWindow, parse_since
    from auditor.model.log_evidence import LogEvidence

    accounts = [a.account_id for a in snapshot.accessible_accounts()]
    regions = sorted({r.region for a in snapshot.accessible_accounts() for r in a.regions})
    if console is not None:
        console.print(f"Running the evidence queries on Athena ({job.athena.table})", markup=False, highlight=False)
    evidence = read_athena(
        job.athena,
        LogWindow(parse_since(job.logs_since or "", now), now),
        rules_dir=job.rules_dir,
        accounts=accounts,
        regions=regions,
    )
    return replace(snapshot, log_evidence=LogEvidence.from_dict(evidence))

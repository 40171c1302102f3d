"""Read many log files in worker processes and merge their partial aggregates.

Decompression and JSON parsing are CPU-bound, so they run in a process pool
(one worker per core by default); each worker returns a small
:class:`~auditor.logs.aggregate.Partial` for its file, never the events, so
the parent's memory does not grow with the corpus. Each file is read by the
two-tier fast path (:mod:`auditor.logs.fastpath`) unless it declines, then by
the reference full parse (:func:`auditor.logs.parse.decode_text`).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.logs import sigma as sigma_mod
from auditor.logs.aggregate import Matcher, Params, Partial, add_problems, process_events
from auditor.logs.fastpath import Plan, build_plan, read_fast
from auditor.logs.parse import FileProblem, decode_text, file_text

LOG_SUFFIXES = (".json", ".json.gz", ".jsonl", ".jsonl.gz", ".gz")


@dataclass(frozen=True)
class WorkerConfig:
    """Everything a worker needs (picklable)."""

    params: Params
    sigma_rules: tuple[sigma_mod.SigmaRuleSpec, ...] = ()
    #: Two-tier reading (:mod:`auditor.logs.fastpath`); False: full parse of every record,
    #: the reference the fast path is tested against.
    fast: bool = True


_STATE: dict[str, object] = {}


def _init(cfg: WorkerConfig) -> None:
    _STATE["cfg"] = cfg
    matcher = Matcher(cfg.sigma_rules)
    _STATE["matcher"] = matcher
    _STATE["plan"] = build_plan(matcher, cfg.sigma_rules)


def _worker_init(cfg: WorkerConfig) -> None:
    # Workers build no reference cycles (events are dropped file by file), so the cyclic
    # collector only re-scans the millions of fresh objects orjson creates: switch it off.
    gc.disable()
    _init(cfg)


def _matcher(cfg: WorkerConfig) -> tuple[Matcher, Plan]:
    m = _STATE.get("matcher")
    if not isinstance(m, Matcher) or _STATE.get("cfg") is not cfg:
        _init(cfg)
        m = _STATE["matcher"]
    plan = _STATE["plan"]
    assert isinstance(m, Matcher) and isinstance(plan, Plan)
    return m, plan


def process_bytes(name: str, raw: bytes, cfg: WorkerConfig | None = None) -> Partial:
    """One file's partial aggregates (worker entry point for S3 objects)."""
    cfg = cfg or _config()
    part = Partial(files_read=1)
    try:
        matcher, plan = _matcher(cfg)
        text = file_text(name, raw, cfg.params.max_bytes)
        events: list[dict[str, Any]] = []
        problems: list[FileProblem] = []
        if isinstance(text, FileProblem):
            problems = [text]
        else:
            if cfg.fast:
                fast = read_fast(name, text, cfg.params, matcher, plan)
                if fast is not None:
                    return fast.trim()
            events, problems = decode_text(name, text)
        add_problems(part, problems)
        process_events(part, name, events, cfg.params, matcher)
    except Exception as exc:  # content we did not foresee: this file is lost, the run is not
        part = Partial(files_read=1)
        add_problems(part, [FileProblem(name, f"could not be processed: {type(exc).__name__}: {exc}")])
    return part.trim()


def process_path(path: str, cfg: WorkerConfig | None = None) -> Partial:
    """One local file's partial aggregates (worker entry point)."""
    cfg = cfg or _config()
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            # a file growing while read is still bounded; read(limit) up front would
            # allocate the whole limit for every file
            raw = fh.read() if size <= cfg.params.max_bytes else fh.read(cfg.params.max_bytes + 1)
    except OSError as exc:
        part = Partial(files_read=1)
        add_problems(part, [FileProblem(path, f"cannot be read: {exc.strerror or exc}")])
        return part
    if len(raw) > cfg.params.max_bytes:
        part = Partial(files_read=1)
        add_problems(
            part,
            [FileProblem(path, f"file size exceeds the limit of {cfg.params.max_bytes} bytes")],
        )
        return part
    return process_bytes(path, raw, cfg)


def _config() -> WorkerConfig:
    cfg = _STATE.get("cfg")
    assert isinstance(cfg, WorkerConfig), "worker not initialised"
    return cfg


def log_files(root: Path) -> Iterator[Path]:
    """Candidate log files under a folder (recursive, sorted for reproducibility)."""
    if root.is_file():
        yield root
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for f in sorted(filenames):
            if f.endswith(LOG_SUFFIXES) and "CloudTrail-Digest" not in f:
                yield Path(dirpath) / f


def run_pool(
    tasks: Iterable[tuple[Callable[..., Partial], tuple[object, ...]]],
    cfg: WorkerConfig,
    workers: int,
    total: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Partial:
    """Run tasks in ``workers`` processes (in-process when workers <= 1); merge as they finish."""
    merged = Partial()
    done = 0
    if workers <= 1:
        _init(cfg)
        for fn, args in tasks:
            merged.merge(fn(*args))
            done += 1
            if progress:
                progress(done, total or done)
        return merged
    pool: Executor = ProcessPoolExecutor(max_workers=workers, initializer=_worker_init, initargs=(cfg,))
    try:
        pending: set[Future[Partial]] = set()
        limit = workers * 4  # bounded queue: results are merged while files are still read
        for fn, args in tasks:
            pending.add(pool.submit(fn, *args))
            if len(pending) >= limit:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in finished:
                    merged.merge(f.result())
                    done += 1
                    if progress:
                        progress(done, total or done)
        for f in pending:
            merged.merge(f.result())
            done += 1
            if progress:
                progress(done, total or done)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return merged


def read_paths(
    paths: Sequence[Path],
    cfg: WorkerConfig,
    workers: int,
    progress: Callable[[int, int], None] | None = None,
) -> Partial:
    """Aggregate local files."""
    tasks = ((process_path, (str(p), None if workers > 1 else cfg)) for p in paths)
    return run_pool(tasks, cfg, workers, len(paths), progress)


def problem_partial(problem: FileProblem) -> Partial:
    """A partial that only records one unreadable file (counted as read: it was attempted)."""
    part = Partial(files_read=1)
    add_problems(part, [problem])
    return part

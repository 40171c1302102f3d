"""Read many log files in worker processes and merge their partial aggregates.

Decompression and JSON parsing are CPU-bound, so they run in a process pool
(one worker per core by default); each worker returns a small
:class:`~auditor.logs.aggregate.Partial` for its file, never the events, so
the parent's memory does not grow with the corpus. Each file is read by the
two-tier fast path (:mod:`auditor.logs.fastpath`) unless it declines, then by
the reference full parse (:func:`auditor.logs.parse.decode_text`).
"""

from __future__ import annotations

import ctypes
import gc
import os
import platform
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.logs import sigma as sigma_mod
from auditor.logs.aggregate import Matcher, Params, Partial, add_problems, process_events
from auditor.logs.fastpath import Plan, build_plan, read_fast
from auditor.logs.parse import FileProblem, clip, decode_text, file_text

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


#: glibc mallopt parameters (malloc.h): M_TRIM_THRESHOLD, M_MMAP_THRESHOLD.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: Buffers up to this size come from the heap and stay there once freed (per worker).
_HEAP_BUFFERS = 64 * 1024 * 1024


def _keep_buffers_on_the_heap() -> bool:
    """Ask glibc to serve each file's megabytes from the heap instead of fresh mappings.

    By default glibc maps large allocations with mmap and unmaps them on free,
    unless its dynamic threshold happened to rise earlier in the process: then
    every file's decompressed text is faulted in page by page, which was
    measured to nearly double the cost of decompression (and to vary between
    identical runs). Fixing the thresholds keeps those buffers on the heap and
    reused file after file; memory stays bounded by the largest file a worker
    holds. Not glibc (macOS, musl): nothing to do.
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(None)
        mmap_set = libc.mallopt(_M_MMAP_THRESHOLD, _HEAP_BUFFERS)
        trim_set = libc.mallopt(_M_TRIM_THRESHOLD, 2 * _HEAP_BUFFERS)
        return bool(mmap_set == 1 and trim_set == 1)
    except (OSError, AttributeError):
        return False


def _worker_init(cfg: WorkerConfig) -> None:
    # Workers build no reference cycles (events are dropped file by file), so the cyclic
    # collector only re-scans the millions of fresh objects orjson creates: switch it off.
    gc.disable()
    _keep_buffers_on_the_heap()
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
        text = file_text(name, raw, cfg.params.max_bytes, cfg.params.max_values)
        events: list[dict[str, Any]] = []
        problems: list[FileProblem] = []
        if isinstance(text, FileProblem):
            problems = [text]
        else:
            if cfg.fast:
                prior = _STATE.get("batch")
                fast = read_fast(name, text, cfg.params, matcher, plan, prior if isinstance(prior, Partial) else None)
                if fast is not None:
                    return fast.trim()
            events, problems = decode_text(name, text)
        add_problems(part, problems)
        process_events(part, name, events, cfg.params, matcher)
    except Exception as exc:  # content we did not foresee: this file is lost, the run is not
        part = Partial(files_read=1)
        add_problems(part, [FileProblem(name, clip(f"could not be processed: {type(exc).__name__}: {exc}"))])
    return part.trim()


def _kind(mode: int) -> str:
    for test, what in (
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a directory"),
    ):
        if test(mode):
            return what
    return "not a regular file"


def read_bounded(path: str, limit: int) -> bytes | FileProblem:
    """A regular file's bytes, at most ``limit`` + 1 of them, or why not.

    A log folder may be shaped by an attacker: a FIFO would block ``open``
    or ``read`` for ever and a link to /dev/zero never ends, so the target is
    stat'ed before opening, opened non-blocking, checked again on the open
    descriptor (the path may have been swapped in between), and read in
    chunks up to the limit whatever ``st_size`` claims.
    """
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            return FileProblem(path, f"is {_kind(st.st_mode)}, not a regular file: not opened")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        return FileProblem(path, f"cannot be read: {exc.strerror or exc}")
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return FileProblem(path, f"is {_kind(st.st_mode)}, not a regular file: not read")
        with os.fdopen(fd, "rb", buffering=0) as fh:
            fd = -1
            # st_size+1 first: one allocation of the right size for a file that does not grow
            chunks = [fh.read(min(st.st_size, limit) + 1)]
            got = len(chunks[0])
            while chunks[-1] and got <= limit:
                chunks.append(fh.read(min(_READ_CHUNK, limit + 1 - got)))
                got += len(chunks[-1])
    except OSError as exc:
        return FileProblem(path, f"cannot be read: {exc.strerror or exc}")
    finally:
        if fd >= 0:
            os.close(fd)
    if got > limit:
        return FileProblem(path, f"file size exceeds the limit of {limit} bytes")
    return chunks[0] if len(chunks) == 1 or not chunks[1] else b"".join(chunks)


_READ_CHUNK = 1024 * 1024


def process_path(path: str, cfg: WorkerConfig | None = None) -> Partial:
    """One local file's partial aggregates (worker entry point)."""
    cfg = cfg or _config()
    raw = read_bounded(path, cfg.params.max_bytes)
    if isinstance(raw, FileProblem):
        part = Partial(files_read=1)
        add_problems(part, [raw])
        return part
    return process_bytes(path, raw, cfg)


def _config() -> WorkerConfig:
    cfg = _STATE.get("cfg")
    assert isinstance(cfg, WorkerConfig), "worker not initialised"
    return cfg


def log_files(root: Path) -> tuple[list[Path], list[FileProblem]]:
    """Candidate log files under a folder (recursive, sorted for reproducibility), and what was not walked.

    Directory links are followed (a log archive is often a link to another
    disk), each real directory once: one reached again by (st_dev, st_ino),
    through a loop or a second link, is reported and not walked twice. A
    folder that cannot be listed is reported. Nothing is skipped quietly.
    Non-regular files with a log name are returned too: reading reports them.
    """
    if not root.is_dir():
        return [root], []
    files: list[Path] = []
    problems: list[FileProblem] = []

    def unlistable(exc: OSError) -> None:
        problems.append(FileProblem(str(exc.filename or root), f"folder cannot be listed: {exc.strerror or exc}"))

    seen: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(root, onerror=unlistable, followlinks=True):
        try:
            st = os.stat(dirpath)
        except OSError as exc:
            problems.append(FileProblem(dirpath, f"folder cannot be read: {exc.strerror or exc}"))
            dirnames.clear()
            continue
        ident = (st.st_dev, st.st_ino)
        if ident in seen:
            target = os.path.realpath(dirpath)
            problems.append(
                FileProblem(
                    dirpath,
                    f"folder link to {target}, which was already read through another path "
                    "(a loop or a second link): not read twice",
                    "normalised",
                )
            )
            dirnames.clear()
            continue
        seen.add(ident)
        dirnames.sort()
        for f in sorted(filenames):
            if f.endswith(LOG_SUFFIXES) and "CloudTrail-Digest" not in f:
                files.append(Path(dirpath) / f)
    return files, problems


#: Files per worker call at most, and the bytes a batch of fetched objects may hold (parent memory).
MAX_BATCH = 64
BATCH_BYTES = 16 * 1024 * 1024
_Task = tuple[Callable[..., Partial], tuple[object, ...]]


def batch_size(tasks: int, workers: int) -> int:
    """Tasks per worker call: about eight calls per worker, so the pool stays balanced to the end.

    A worker merges its batch's partials before returning one, so the parent
    unpickles and merges one partial per batch instead of one per file.
    """
    return max(1, min(MAX_BATCH, tasks // (workers * 8)))


def run_batch(items: Sequence[_Task]) -> Partial:
    """Several tasks in one worker call: their partials merged here, one (trimmed) result sent back.

    The batch's partial so far is known to the fast path while it reads each
    file (``_STATE["batch"]``): where it already holds a bucket's earliest
    samples, later ones are not even built (the files of a scope come in time order).
    """
    merged = Partial()
    _STATE["batch"] = merged
    try:
        for fn, args in items:
            merged.merge(fn(*args))
    finally:
        del _STATE["batch"]
    return merged.trim()


def _batches(tasks: Iterable[_Task], size: int) -> Iterator[list[_Task]]:
    """Consecutive tasks in lists of ``size``, closed early once their bytes arguments reach BATCH_BYTES."""
    batch: list[_Task] = []
    held = 0
    for task in tasks:
        batch.append(task)
        held += sum(len(a) for a in task[1] if isinstance(a, bytes))
        if len(batch) >= size or held >= BATCH_BYTES:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch


def run_pool(
    tasks: Iterable[_Task],
    cfg: WorkerConfig,
    workers: int,
    total: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    batch: int = 1,
) -> Partial:
    """Run tasks in ``workers`` processes (in-process when workers <= 1); merge as they finish.

    With ``batch`` > 1, consecutive tasks go to a worker together (:func:`run_batch`).
    """
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
        pending: dict[Future[Partial], int] = {}
        limit = workers * (2 if batch > 1 else 4)  # bounded queue: results are merged while files are still read

        def collect(finished: Iterable[Future[Partial]]) -> None:
            nonlocal done
            for f in finished:
                merged.merge(f.result())
                done += pending.pop(f)
                if progress:
                    progress(done, total or done)

        for items in _batches(tasks, batch):
            fut = pool.submit(run_batch, items)
            pending[fut] = len(items)
            if len(pending) >= limit:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                collect(finished)
        collect(list(pending))
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
    return run_pool(tasks, cfg, workers, len(paths), progress, batch_size(len(paths), workers))


def problem_partial(problem: FileProblem) -> Partial:
    """A partial that only records one unreadable file (counted as read: it was attempted)."""
    part = Partial(files_read=1)
    add_problems(part, [problem])
    return part

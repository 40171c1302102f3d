"""Reading attacker-shapeable input files and writing output files safely.

Every file the tool loads (baseline, results, previous results, snapshot,
history entry) may have been written by an adversary, and every folder it
writes into may hold links planted before the run. Two rules follow, each
held by one function here so that no loader or writer has its own variant:

- :func:`read_input` never opens a non-regular file for reading (a FIFO would
  block for ever, ``/dev/zero`` would read without end), and never reads more
  than a documented limit, whatever ``st_size`` claims.
- :func:`write_file` never writes through a link: it creates a new file in
  the target folder (``O_CREAT | O_EXCL | O_NOFOLLOW``, so a pre-planted name
  cannot be followed) and renames it over the target, which replaces a link
  rather than following it. :func:`create_in_tree` also refuses links among
  the folders below a root, and never replaces an existing entry (the
  history store).

JSON is parsed by :func:`parse_json`: orjson (which rejects lone surrogates,
NaN and out-of-range numbers instead of producing values that crash later) and
then an iterative depth check, so that no later recursive code (schema
validation, serde, reports) can meet a RecursionError.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from auditor.model.errors import AuditorError

KIB = 1024
MIB = 1024 * KIB

#: Largest baseline file read (a baseline is a page of YAML; 1 MiB is far beyond any real one).
MAX_BASELINE_BYTES = 1 * MIB
#: Largest framework mapping or retention profile YAML read (shipped ones are under 20 KiB).
MAX_MAPPING_BYTES = 1 * MIB
#: Largest results, previous-results or history entry read.
MAX_RESULTS_BYTES = 256 * MIB
#: Largest snapshot read.
MAX_SNAPSHOT_BYTES = 256 * MIB
#: Deepest nesting accepted in any loaded document (real ones stay below 20).
MAX_DEPTH = 64


class InputError(AuditorError):
    """A loaded file is unusable (missing, not a regular file, too large, malformed); names the file."""


def read_input(path: Path, *, what: str, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, or InputError naming the file.

    ``os.stat`` first: a FIFO, socket or device is refused before any open
    (opening a FIFO for reading blocks until a writer appears). The open then
    uses ``O_NONBLOCK`` and ``fstat`` checks the opened file again, so a file
    swapped for a FIFO between the two calls cannot block either. At most
    ``limit + 1`` bytes are read, so a file that grows or lies about its size
    is still bounded.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such {what} file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what} file: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{path}: not a regular file ({_kind(st.st_mode)}); a {what} must be a plain file")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what} file: {exc.strerror}") from None
    try:
        return _read_opened(fd, path, f"{what} file", limit, f"; a {what} must be a plain file")
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what} file: {exc.strerror}") from None
    finally:
        os.close(fd)


def _read_opened(fd: int, where: Path | str, noun: str, limit: int, refusal: str = "") -> bytes:
    """All of an opened file, when ``fstat`` still finds a regular file and it holds at most ``limit`` bytes.

    ``noun`` names the file in the messages ("baseline file"); ``refusal`` follows
    the not-a-regular-file one. The size is checked before and after reading, so a
    file that grows or lies about its size is still bounded.
    """
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{where}: not a regular file ({_kind(st.st_mode)}){refusal}")
    if st.st_size > limit:
        raise InputError(f"{where}: {noun} is {st.st_size} bytes, over the {limit}-byte limit")
    data = _read_at_most(fd, limit + 1)
    if len(data) > limit:
        raise InputError(f"{where}: {noun} is over the {limit}-byte limit")
    return data


def _read_at_most(fd: int, n: int) -> bytes:
    chunks: list[bytes] = []
    left = n
    while left > 0:
        chunk = os.read(fd, min(left, MIB))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return name
    return "not a plain file"


def parse_json(data: bytes, source: str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON text, refusing malformed, non-UTF-8 or too deeply nested input with InputError.

    The message names ``source`` and says what is wrong, never quoting the
    file's content (the file may not be what the user meant to pass).
    """
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        # orjson's reasons ("unexpected character", "surrogates not allowed") never quote the text.
        if "depth limit" in exc.msg:
            raise InputError(f"{source}: nested deeper than {max_depth} levels") from None
        raise InputError(f"{source}: not valid JSON: {exc.msg[:80]} at line {exc.lineno}, column {exc.colno}") from None
    check_depth(doc, source, max_depth=max_depth)
    return doc


def check_depth(doc: Any, source: str, *, max_depth: int = MAX_DEPTH) -> None:
    """InputError if ``doc`` (plain dicts and lists) nests deeper than ``max_depth``; iterative."""
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Iterable[Any] = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > max_depth:
            raise InputError(f"{source}: nested deeper than {max_depth} levels")
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))


# --------------------------------------------------------------------------- writing


_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def write_file(path: Path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` atomically and never through a link; OSError on failure.

    A new file with a random name is created in the target's folder with
    ``O_EXCL | O_NOFOLLOW`` (so nothing planted can be followed), filled,
    and renamed over ``path``. A rename replaces a link at ``path``
    instead of writing to where it points. The folder itself is the one the
    user named and may be a link. The new file gets the usual mode (0666 less
    the umask), like any file the process creates.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    parent = path.parent if str(path.parent) else Path(".")
    dir_fd = os.open(parent, _DIR_FLAGS)
    try:
        _write_at(dir_fd, path.name, payload)
    finally:
        os.close(dir_fd)
    return path


def create_in_tree(root: Path, key: str, data: bytes) -> Path | None:
    """Write ``data`` at ``root/key`` if that does not exist (None when it does); OSError on failure.

    For stores (``--history DIR``) whose sub-folders an adversary may have
    replaced with links: folders are created as needed and each folder below
    ``root`` is opened with ``O_NOFOLLOW``, so a link there fails with
    ELOOP/ENOTDIR instead of redirecting the write. An entry is never
    replaced: two writers racing for one key cannot both win. The filled file
    is published with ``link()``, which fails when the name exists, so an
    entry appears whole or not at all; on a file system without hard links
    (FAT, some network mounts) it is created in place with ``O_EXCL``
    instead, still exclusive, though a reader may meet it half written.
    """
    parts = [p for p in key.split("/") if p]
    if not parts or any(p in (".", "..") for p in parts):
        raise OSError(errno.EINVAL, f"bad key {key!r}")
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root, _DIR_FLAGS)
    try:
        for part in parts[:-1]:
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, 0o777, dir_fd=fd)
            child = os.open(part, _DIR_FLAGS | _NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = child
        created = _create_at(fd, parts[-1], data)
    finally:
        os.close(fd)
    return root.joinpath(*parts) if created else None


def open_in_tree(root: Path, key: str, *, what: str, limit: int) -> bytes:
    """Read ``root/key`` like :func:`read_input`, refusing links at every level below ``root``."""
    parts = [p for p in key.split("/") if p]
    where = root.joinpath(*parts) if parts else root
    if not parts or any(p in (".", "..") for p in parts):
        raise InputError(f"{where}: not a valid {what} key")
    try:
        fd = os.open(root, _DIR_FLAGS)
    except OSError as exc:
        raise InputError(f"{root}: cannot open: {exc.strerror}") from None
    try:
        for part in parts[:-1]:
            child = os.open(part, _DIR_FLAGS | _NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = child
        st = os.stat(parts[-1], dir_fd=fd, follow_symlinks=False)
        if stat.S_ISLNK(st.st_mode):
            raise InputError(f"{where}: a link; {what} entries must be plain files")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{where}: not a regular file ({_kind(st.st_mode)})")
        file_fd = os.open(parts[-1], os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW, dir_fd=fd)
        try:
            return _read_opened(file_fd, where, what, limit)
        finally:
            os.close(file_fd)
    except OSError as exc:
        reason = "a link or not a folder on the way" if exc.errno in (errno.ELOOP, errno.ENOTDIR) else exc.strerror
        raise InputError(f"{where}: cannot read {what}: {reason}") from None
    finally:
        os.close(fd)


_EXCL_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
#: What link() says on a file system that has no hard links.
_NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS}


def _write_at(dir_fd: int, name: str, payload: bytes) -> None:
    tmp = _filled_tmp(dir_fd, name, payload)
    try:
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
        raise


def _create_at(dir_fd: int, name: str, payload: bytes) -> bool:
    """Publish ``payload`` as ``name`` unless that exists; False when it does."""
    tmp = _filled_tmp(dir_fd, name, payload)
    try:
        os.link(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        try:
            fd = os.open(name, _EXCL_FLAGS, 0o666, dir_fd=dir_fd)
        except FileExistsError:
            return False
        try:
            _fill(fd, payload)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(name, dir_fd=dir_fd)
            raise
        finally:
            os.close(fd)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
    return True


def _filled_tmp(dir_fd: int, name: str, payload: bytes) -> str:
    """A new file with a random name beside ``name``, holding ``payload``."""
    tmp = f".{name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(tmp, _EXCL_FLAGS, 0o666, dir_fd=dir_fd)
    try:
        try:
            _fill(fd, payload)
        finally:
            os.close(fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
        raise
    return tmp


def _fill(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]

"""Evidence packages: one zip an auditor keeps, and the check that it is what was produced.

A package holds the results, the snapshot, the reports, the log evidence and
the integrity (digest validation) report of one run, and ``manifest.json``
listing every other member with its SHA-256 and size and the tool's version.
``--sign-key`` adds ``manifest.json.sig``, a detached Ed25519 signature over the
manifest's exact bytes; the manifest's hashes then bind every member to the
signature.

:func:`verify_package` re-checks a package without extracting anything to
disk. The zip is hostile input: it is read only if it is a regular file of at
most :data:`MAX_PACKAGE_BYTES`; at most :data:`MAX_MEMBERS` members; a member
whose name is absolute, climbs out (``..``), uses backslashes or control
characters, repeats another's name, is a symbolic link or a folder, is
encrypted, or inflates past :data:`MAX_MEMBER_BYTES` is a bad member. Members
are hashed as they inflate, a bounded chunk at a time, so a zip bomb costs at
most the bound. Threat model: docs/security.md.
"""

from __future__ import annotations

import hashlib
import io
import json
import stat
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.engine.results import Results
from auditor.model.errors import AuditorError
from auditor.model.fsio import InputError, parse_json, read_input
from auditor.report.interface import ReportError, ReportOptions, write_bytes

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.sig"
PACKAGE_FORMAT = "trail-auditor-evidence-package"
PACKAGE_VERSION = 1
MIB = 1024 * 1024
MAX_PACKAGE_BYTES = 512 * MIB
MAX_MEMBERS = 10_000
MAX_MEMBER_BYTES = 512 * MIB
MAX_TOTAL_BYTES = 1024 * MIB
MAX_MANIFEST_BYTES = 16 * MIB
ED25519_SIGNATURE_BYTES = 64
_CHUNK = MIB


class PackageError(AuditorError):
    """A package could not be read at all (not a zip, no manifest, unreadable): exit 2."""


@dataclass(frozen=True)
class PackageReport:
    """What :func:`verify_package` found."""

    path: str
    #: Members listed by the manifest and found intact.
    verified: tuple[str, ...] = ()
    #: (member, what is wrong), one per bad member or manifest problem.
    problems: tuple[tuple[str, str], ...] = ()
    tool_version: str = ""
    manifest_sha256: str = ""
    #: "valid", "invalid", "unsigned" (no signature in the package), "not checked" (no key given).
    signature: str = "not checked"
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """True when every member matches and, if a key was given, the signature is valid."""
        return not self.problems


# ---------------------------------------------------------------- keys


def load_private_key(path: Path) -> Any:
    """The Ed25519 private key in PEM file ``path`` (unencrypted), or a one-line error."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    data = read_input(path, what="signing key", limit=64 * 1024)
    try:
        key = load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:  # never quote the key file
        raise AuditorError(f"--sign-key {path}: not an unencrypted PEM private key ({type(exc).__name__})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditorError(
            f"--sign-key {path}: not an Ed25519 key (generate one with "
            "`openssl genpkey -algorithm ed25519 -out key.pem`)"
        )
    return key


def load_public_key(path: Path) -> Any:
    """The Ed25519 public key in PEM file ``path``, or a one-line error."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    data = read_input(path, what="public key", limit=64 * 1024)
    try:
        key = load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise AuditorError(f"--public-key {path}: not a PEM public key ({type(exc).__name__})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise AuditorError(f"--public-key {path}: not an Ed25519 public key")
    return key


def key_fingerprint(public_key: Any) -> str:
    """SHA-256 of the raw public key, hex: how a key is named in output."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


# ---------------------------------------------------------------- writing


def member_name_problem(name: str) -> str | None:
    """Why ``name`` may not be a package member name, or None when it may."""
    if not name or len(name) > 255:
        return "empty or over 255 characters"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        return "control character in the name"
    if "\\" in name or ":" in name:
        return "backslash or colon in the name (a Windows path)"
    if name.startswith("/"):
        return "absolute path"
    parts = name.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return "path climbs out or has an empty part"
    return None


def manifest_bytes(files: Mapping[str, bytes], *, tool_version: str, created_at: str, scan_id: str = "") -> bytes:
    """The manifest for ``files``: each name's SHA-256 and size, the tool's version, when, which scan."""
    doc = {
        "format": PACKAGE_FORMAT,
        "version": PACKAGE_VERSION,
        "tool": {"name": "trail-auditor", "version": tool_version},
        "created_at": created_at,
        "scan_id": scan_id,
        "files": [
            {"path": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            for name, data in sorted(files.items())
        ],
    }
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _plain(document: Any) -> Any:
    """A snapshot's typed document (LogEvidence, IntegrityDocument) as the JSON it reads and writes."""
    return document.to_dict() if hasattr(document, "to_dict") else document


def evidence_members(
    results: Results,
    *,
    snapshot_text: str | None = None,
    log_evidence: Any = None,
    integrity: Any = None,
    reports: Sequence[Path] = (),
) -> dict[str, bytes]:
    """What an evidence package holds: ``results.json`` (as ``--format json`` writes it), the snapshot,
    ``log-evidence.json``, ``integrity.json`` and every report file under ``reports/``."""
    from auditor.report.jsonfmt import JsonRenderer

    results_bytes = JsonRenderer().render_text(results, ReportOptions()).encode("utf-8")
    members: dict[str, bytes] = {"results.json": results_bytes}
    if snapshot_text is not None:
        members["snapshot.json"] = snapshot_text.encode("utf-8")
    if log_evidence is not None:
        members["log-evidence.json"] = json.dumps(_plain(log_evidence), indent=1, ensure_ascii=False).encode("utf-8")
    if integrity is not None:
        members["integrity.json"] = json.dumps(_plain(integrity), indent=1, ensure_ascii=False).encode("utf-8")
    for path in reports:
        try:
            data = read_input(path, what="report", limit=MAX_MEMBER_BYTES)
        except InputError as exc:
            raise ReportError(f"evidence package: {exc}") from None
        if data != results_bytes:  # results.json is already the package's own copy
            members[f"reports/{path.name}"] = data
    return members


def build_package(
    out: Path,
    files: Mapping[str, bytes],
    *,
    tool_version: str,
    created_at: str,
    scan_id: str = "",
    sign_key: Any = None,
) -> Path:
    """Write the zip: ``files``, the manifest and (with ``sign_key``) its detached signature."""
    for name in files:
        problem = member_name_problem(name)
        if problem or name in (MANIFEST, SIGNATURE):
            raise ReportError(f"evidence package: cannot hold a member named {name!r} ({problem or 'reserved'})")
    manifest = manifest_bytes(files, tool_version=tool_version, created_at=created_at, scan_id=scan_id)
    members = dict(sorted(files.items()))
    members[MANIFEST] = manifest
    if sign_key is not None:
        members[SIGNATURE] = sign_key.sign(manifest)
    stamp = _zip_time(created_at)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            zf.writestr(info, data)
    return write_bytes(out, buffer.getvalue())


def _zip_time(iso: str) -> tuple[int, int, int, int, int, int]:
    try:
        date, _, time = iso.partition("T")
        y, mo, d = (int(x) for x in date.split("-"))
        h, mi, s = (int(float(x)) for x in time.rstrip("Z").split("+")[0].split(":"))
        if y >= 1980:
            return (y, mo, d, h, mi, s)
    except ValueError:
        pass
    return (1980, 1, 1, 0, 0, 0)


# ---------------------------------------------------------------- verifying


def _hash_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[str, int] | str:
    """(SHA-256, size) of a member, inflated a chunk at a time; a string says why it could not be read."""
    digest = hashlib.sha256()
    size = 0
    try:
        with zf.open(info) as fh:
            while True:
                chunk = fh.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_MEMBER_BYTES:
                    return f"inflates past the {MAX_MEMBER_BYTES}-byte member limit"
                digest.update(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
        return f"cannot be read ({type(exc).__name__})"
    return digest.hexdigest(), size


def _read_small(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes | None:
    try:
        with zf.open(info) as fh:
            data = fh.read(limit + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
        return None
    return data if len(data) <= limit else None


def _member_problem(info: zipfile.ZipInfo) -> str | None:
    if info.is_dir():
        return "a folder entry"
    problem = member_name_problem(info.filename)
    if problem:
        return problem
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if mode and stat.S_IFMT(mode) not in (0, stat.S_IFREG):
        return "not a regular file"
    if info.flag_bits & 0x1:
        return "encrypted"
    if info.file_size > MAX_MEMBER_BYTES:
        return f"declares {info.file_size} bytes, over the {MAX_MEMBER_BYTES}-byte member limit"
    return None


def _listed(manifest: Any, source: str) -> tuple[dict[str, tuple[str, int]], str]:
    """The manifest's files as name -> (sha256, size), and the tool version; PackageError if malformed."""
    if not isinstance(manifest, dict) or manifest.get("format") != PACKAGE_FORMAT:
        raise PackageError(f"{source}: {MANIFEST} is not a trail-auditor evidence package manifest")
    files = manifest.get("files")
    if not isinstance(files, list) or len(files) > MAX_MEMBERS:
        raise PackageError(f"{source}: {MANIFEST} has no valid file list")
    listed: dict[str, tuple[str, int]] = {}
    for entry in files:
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("path"), str)
            and isinstance(entry.get("sha256"), str)
            and isinstance(entry.get("size"), int)
        ):
            raise PackageError(f"{source}: {MANIFEST} has a malformed file entry")
        listed[entry["path"]] = (entry["sha256"], entry["size"])
    tool = manifest.get("tool")
    version = str(tool.get("version", "")) if isinstance(tool, dict) else ""
    return listed, version


def verify_package(path: Path, public_key: Any = None) -> PackageReport:
    """Re-check every member against the manifest and, with ``public_key``, the manifest's signature.

    Raises :class:`PackageError` when ``path`` is not a readable package at all
    (exit 2); otherwise returns a report whose ``problems`` list every bad member.
    """
    try:
        data = read_input(path, what="evidence package", limit=MAX_PACKAGE_BYTES)
    except InputError as exc:
        raise PackageError(str(exc)) from None
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise PackageError(f"{path}: not a zip file ({type(exc).__name__})") from None
    if len(infos) > MAX_MEMBERS + 2:
        raise PackageError(f"{path}: {len(infos)} members, over the limit of {MAX_MEMBERS}")
    if sum(i.file_size for i in infos) > MAX_TOTAL_BYTES:
        raise PackageError(f"{path}: members declare more than {MAX_TOTAL_BYTES} bytes in all")
    problems: list[tuple[str, str]] = []
    seen: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        shown = info.filename
        if shown in seen:
            problems.append((shown, "duplicate member name (a second copy could shadow the first)"))
            continue
        seen[shown] = info
        bad = _member_problem(info)
        if bad:
            problems.append((shown, bad))
    manifest_info = seen.get(MANIFEST)
    if manifest_info is None:
        raise PackageError(f"{path}: no {MANIFEST}: not a trail-auditor evidence package")
    manifest_data = _read_small(zf, manifest_info, MAX_MANIFEST_BYTES)
    if manifest_data is None:
        raise PackageError(f"{path}: {MANIFEST} cannot be read or is over {MAX_MANIFEST_BYTES} bytes")
    try:
        manifest = parse_json(manifest_data, f"{path}:{MANIFEST}")
    except InputError as exc:
        raise PackageError(str(exc)) from None
    listed, version = _listed(manifest, str(path))
    bad_names = {name for name, _ in problems}
    verified: list[str] = []
    for name, (sha, size) in sorted(listed.items()):
        if member_name_problem(name) or name in (MANIFEST, SIGNATURE):
            problems.append((name, "the manifest lists a name no package member may have"))
            continue
        member = seen.get(name)
        if member is None:
            problems.append((name, "removed: listed in the manifest, missing from the package"))
            continue
        if name in bad_names:
            continue
        got = _hash_member(zf, member)
        if isinstance(got, str):
            problems.append((name, got))
        elif got != (sha, size):
            problems.append(
                (name, f"changed: SHA-256 {got[0]} ({got[1]} bytes), the manifest says {sha} ({size} bytes)")
            )
        else:
            verified.append(name)
    for name in sorted(seen):
        if name not in listed and name not in (MANIFEST, SIGNATURE) and name not in bad_names:
            problems.append((name, "added: in the package, not in the manifest"))
    signature, notes = "unsigned", []
    sig_info = seen.get(SIGNATURE)
    if public_key is not None:
        signature = _check_signature(zf, sig_info, public_key, manifest_data, problems)
    elif sig_info is not None:
        signature = "not checked"
        notes.append(
            "the package is signed; give --public-key to check the signature (without it, anyone "
            "who rewrites the manifest can hide a change)"
        )
    else:
        notes.append("the package is not signed: its hashes detect corruption, not a deliberate edit")
    return PackageReport(
        path=str(path),
        verified=tuple(verified),
        problems=tuple(problems),
        tool_version=version,
        manifest_sha256=hashlib.sha256(manifest_data).hexdigest(),
        signature=signature,
        notes=tuple(notes),
    )


def _check_signature(
    zf: zipfile.ZipFile,
    sig_info: zipfile.ZipInfo | None,
    public_key: Any,
    manifest_data: bytes,
    problems: list[tuple[str, str]],
) -> str:
    from cryptography.exceptions import InvalidSignature

    if sig_info is None:
        problems.append((SIGNATURE, "missing: a public key was given but the package is not signed"))
        return "unsigned"
    sig = _read_small(zf, sig_info, ED25519_SIGNATURE_BYTES)
    if sig is None or len(sig) != ED25519_SIGNATURE_BYTES:
        problems.append((SIGNATURE, "not an Ed25519 signature (64 bytes)"))
        return "invalid"
    try:
        public_key.verify(sig, manifest_data)
    except InvalidSignature:
        problems.append((SIGNATURE, "invalid: the manifest was not signed by this key, or was changed after"))
        return "invalid"
    return "valid"

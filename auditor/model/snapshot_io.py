"""Save and load snapshots: JSON, SHA-256 recorded, schema-validated on load.

The recorded SHA-256 is unkeyed: it detects a truncated or corrupted file, not
a deliberate edit (whoever edits the snapshot can write the new digest too).
Tamper evidence needs a signature, which the evidence package is meant to
carry; see docs/security.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auditor.model.errors import AuditorError
from auditor.model.fsio import MAX_SNAPSHOT_BYTES, InputError, parse_json, read_input, write_file
from auditor.model.snapshot import Snapshot
from auditor.model.validation import validate


def snapshot_text(snapshot: Snapshot) -> tuple[str, str]:
    """The snapshot file's text (as :func:`save_snapshot` writes it) and its SHA-256."""
    digest = snapshot.sha256()
    doc = {"format": "trail-auditor-snapshot", "sha256": digest, "snapshot": snapshot.to_dict()}
    return json.dumps(doc, indent=1, ensure_ascii=False), digest


def save_snapshot(snapshot: Snapshot, path: Path) -> str:
    """Write the snapshot with its SHA-256 (atomically, never through a link); return the digest."""
    text, digest = snapshot_text(snapshot)
    try:
        write_file(path, text)
    except OSError as exc:
        raise AuditorError(f"cannot write snapshot {path}: {exc.strerror}") from None
    return digest


def load_snapshot(path: Path) -> Snapshot:
    """Read, verify the SHA-256 and validate a snapshot file.

    The file is read through :func:`auditor.model.fsio.read_input` (regular file,
    at most MAX_SNAPSHOT_BYTES) and parsed with a depth bound; whatever the
    schema lets through must still fit the model, or it is an input error.
    The schema includes the log-evidence and digest-integrity documents' (generated
    from their models), so a malformed document is reported at its field
    (``log_evidence.files_read``), and the model types both documents again.
    The SHA-256 is unkeyed: it detects corruption, not a deliberate edit.
    """
    data = read_input(path, what="snapshot", limit=MAX_SNAPSHOT_BYTES)
    doc: Any = parse_json(data, str(path))
    if not isinstance(doc, dict) or doc.get("format") != "trail-auditor-snapshot" or "snapshot" not in doc:
        raise AuditorError(f"{path}: not a trail-auditor snapshot (missing format/snapshot fields)")
    validate(doc["snapshot"], "snapshot.schema.json", str(path))
    try:
        snapshot = Snapshot.from_dict(doc["snapshot"])
        actual = snapshot.sha256()
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise InputError(f"{path}: does not match the snapshot model ({type(exc).__name__})") from None
    stated = doc.get("sha256")
    if stated != actual:
        shown = stated if isinstance(stated, str) and len(stated) == 64 else "no valid digest"
        raise AuditorError(
            f"{path}: SHA-256 mismatch (file says {shown}, content is {actual}): the snapshot is corrupt"
            " or was edited (this digest is a corruption check; anyone who edits the file can recompute it)"
        )
    return snapshot

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

from auditor.errors import AuditorError
from auditor.snapshot import Snapshot
from auditor.textsafe import clean_text
from auditor.validation import validate


def save_snapshot(snapshot: Snapshot, path: Path) -> str:
    """Write the snapshot with its SHA-256; return the digest."""
    body = snapshot.to_dict()
    digest = snapshot.sha256()
    doc = {"format": "trail-auditor-snapshot", "sha256": digest, "snapshot": body}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    return digest


def load_snapshot(path: Path) -> Snapshot:
    """Read, check the SHA-256 (against corruption) and validate a snapshot file."""
    try:
        doc: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise AuditorError(f"{path}: no such snapshot file") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AuditorError(f"{path}: not a readable JSON snapshot: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != "trail-auditor-snapshot" or "snapshot" not in doc:
        raise AuditorError(f"{path}: not a trail-auditor snapshot (missing format/snapshot fields)")
    validate(doc["snapshot"], "snapshot.schema.json", str(path))
    snapshot = Snapshot.from_dict(doc["snapshot"])
    actual = snapshot.sha256()
    if doc.get("sha256") != actual:
        recorded = clean_text(str(doc.get("sha256")))[:80]
        raise AuditorError(
            f"{path}: SHA-256 mismatch (file says {recorded}, content is {actual}): the snapshot is corrupt"
            " or was edited (this digest is a corruption check; anyone who edits the file can recompute it)"
        )
    return snapshot

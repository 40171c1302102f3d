"""Save and load snapshots: JSON, SHA-256 recorded, schema-validated on load."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auditor.errors import AuditorError
from auditor.snapshot import Snapshot
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
    """Read, verify the SHA-256 and validate a snapshot file."""
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
        raise AuditorError(
            f"{path}: SHA-256 mismatch (file says {doc.get('sha256')}, content is {actual});"
            " the evidence was altered after collection"
        )
    return snapshot

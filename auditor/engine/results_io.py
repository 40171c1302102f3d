"""Load a saved results document (``report``, ``gate``, ``gate --previous``, history entries).

A results file may come from anywhere (a pull request, a shared folder, a
history store), so it is read through :mod:`auditor.model.fsio`: a regular file
only, size-bounded, depth-bounded, schema-validated, and any mismatch with the
model reported as an input error that names the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.engine.results import Results
from auditor.model.fsio import MAX_RESULTS_BYTES, InputError, parse_json, read_input
from auditor.model.validation import validate


def load_results(path: Path) -> Results:
    """Read, validate and rebuild a results file; InputError/ValidationError name the file."""
    data = read_input(path, what="results", limit=MAX_RESULTS_BYTES)
    return results_from_bytes(data, str(path))


def results_from_bytes(data: bytes, source: str) -> Results:
    """Parse, validate and rebuild a results document from its bytes (``source`` names it in errors)."""
    doc: Any = parse_json(data, source)
    validate(doc, "results.schema.json", source)
    try:
        return Results.from_dict(doc)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        # The schema leaves some nested parts open; what it let through must still fit the model.
        raise InputError(f"{source}: does not match the results model ({type(exc).__name__})") from None

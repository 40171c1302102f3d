r"""NIST's OSCAL 1.2.3 JSON schema (vendored in tests/fixtures/oscal), as a validator that enforces every pattern.

The schema's token patterns use ``\p{L}`` and ``\p{N}``, which Python's ``re``
cannot compile; the ``pattern`` keyword here runs on the ``regex`` engine,
which knows Unicode property classes, so no pattern is dropped or rewritten.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import regex
from jsonschema.exceptions import ValidationError

SCHEMA = Path(__file__).resolve().parents[1] / "fixtures" / "oscal" / "oscal_complete_schema.json"
SCHEMA_SHA256 = "384324105c7a817af0f65b120a963146caa0e0d55d969cf0daf60e063b87a206"


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    """JSON Schema ``pattern`` with the ``regex`` engine."""
    if validator.is_type(instance, "string") and not regex.search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


OscalValidator = jsonschema.validators.extend(jsonschema.Draft7Validator, {"pattern": _pattern})


def assessment_results_validator() -> Any:
    """A validator for the assessment-results branch of the complete schema's oneOf (NIST's root for it)."""
    data = SCHEMA.read_bytes()
    assert hashlib.sha256(data).hexdigest() == SCHEMA_SHA256, "the vendored schema is NIST's file, unmodified"
    schema = json.loads(data)
    root = next(b for b in schema["oneOf"] if "assessment-results" in b["required"])
    return OscalValidator({**root, "definitions": schema["definitions"]})


def errors(validator: Any, doc: dict[str, Any]) -> list[str]:
    """Every way ``doc`` breaks the schema, one line each."""
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator.iter_errors(doc)]

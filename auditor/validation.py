"""Validate documents against the shipped JSON Schemas, with messages that name file and field."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema

from auditor.errors import ValidationError
from auditor.resources import schema_text


@cache
def validator(schema_name: str) -> jsonschema.protocols.Validator:
    """A compiled validator for one shipped schema (e.g. "results.schema.json")."""
    schema = json.loads(schema_text(schema_name))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    result: jsonschema.protocols.Validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    return result


def field_path(path: Any) -> str:
    """Render a jsonschema error path like ``findings[3].status``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def validate(document: Any, schema_name: str, source: str) -> None:
    """Raise ValidationError naming ``source`` and the first offending fields."""
    errors = sorted(validator(schema_name).iter_errors(document), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    lines = [f"{source}: {field_path(e.absolute_path)}: {e.message}" for e in errors[:5]]
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    raise ValidationError("; ".join(lines) + more)

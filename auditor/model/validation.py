"""Validate documents against the shipped JSON Schemas, with messages that name file and field."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

import jsonschema

from auditor.model.errors import ValidationError
from auditor.model.package_data import schema_text


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


_JSON_TYPES = (
    (bool, "a boolean"),
    (int, "a number"),
    (float, "a number"),
    (str, "a string"),
    (list, "an array"),
    (dict, "an object"),
    (type(None), "null"),
)
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


def _json_type(value: Any) -> str:
    return next((name for tp, name in _JSON_TYPES if isinstance(value, tp)), "a value")


def describe(error: jsonschema.ValidationError) -> str:
    """What is wrong with one field, without quoting the file's content.

    The file may not be the one the user meant (a link to a key or token
    file that happens to parse as YAML or JSON), and the message goes to CI
    logs. So a value is quoted only when it is a short name being compared
    with a fixed list (``fail_on: 'severe' is not one of [...]``), a property
    name only when it looks like one; everything else says what the schema
    wanted.
    """
    kind, want, value = str(error.validator), error.validator_value, error.instance
    if kind in ("enum", "const") and isinstance(value, str) and _NAME.match(value):
        return error.message
    if kind == "required":
        return error.message  # names a property from the schema, not from the file
    if kind == "type":
        wanted = want if isinstance(want, str) else " or ".join(str(w) for w in want) if isinstance(want, list) else "?"
        return f"is {_json_type(value)}, expected {wanted}"
    if kind == "pattern":
        return f"does not match {want}"
    if kind == "enum":
        return f"is not one of {want}"
    if kind == "const":
        return f"must be {want!r}"
    if kind == "additionalProperties" and isinstance(value, dict):
        schema = error.schema if isinstance(error.schema, dict) else {}
        allowed = set(schema.get("properties", {}))
        extra = [k for k in value if k not in allowed]
        shown = [repr(k) for k in extra[:3] if _NAME.match(k)]
        return f"unexpected propert{'y' if len(extra) == 1 else 'ies'} {', '.join(shown) or '(unnamed)'}"
    bounds = {
        "minLength": "shorter than {} characters",
        "maxLength": "longer than {} characters",
        "minItems": "fewer than {} items",
        "maxItems": "more than {} items",
        "minimum": "less than {}",
        "maximum": "more than {}",
    }
    if kind in bounds:
        return "is " + bounds[kind].format(want)
    if kind == "format":
        return f"is not a valid {want}"
    text = repr(want)
    return f"fails the schema's {kind!r} rule ({text[:60]}{'...' if len(text) > 60 else ''})"


def _path_key(path: Iterable[Any]) -> list[tuple[int, int, str]]:
    """Sort key for error paths that mix indexes and names (indexes in numeric order)."""
    return [(0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in path]


#: How a caller says where in its file a field lies (a line number, a control id);
#: given the field's path, it returns the text between the source and the field.
Locate = Callable[[list[Any]], str]


def _colon(path: list[Any]) -> str:
    return ": "


def validate(document: Any, schema_name: str, source: str, *, locate: Locate = _colon) -> None:
    """Raise ValidationError naming ``source`` and the first offending fields (value-free, see describe).

    Each of at most five lines reads ``{source}{locate(path)}{field}: {what is wrong}``;
    by default ``locate`` gives ": " (``snapshot.json: scan.id: is a number, expected string``).
    """
    errors = sorted(validator(schema_name).iter_errors(document), key=lambda e: _path_key(e.absolute_path))
    if not errors:
        return
    lines = []
    for e in errors[:5]:
        path = list(e.absolute_path)
        lines.append(f"{source}{locate(path)}{field_path(path)}: {describe(e)}")
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    raise ValidationError("; ".join(lines) + more)

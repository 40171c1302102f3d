"""Derive a JSON Schema from the snapshot dataclasses.

The snapshot schema is generated from the same type hints that drive
serialisation (auditor/model/serde.py), so the model, the files and the schema cannot
drift apart. The generated schema ships as ``schemas/snapshot.schema.json``; a
test holds the shipped file equal to what this module generates.

Usage: ``python -m auditor.model.schemagen > auditor/schemas/snapshot.schema.json``
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Mapping
from typing import Any, Union, get_args, get_origin

from auditor.model import snapshot as snapshot_module
from auditor.model.serde import ERROR_KEY


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, vars(snapshot_module))


def snapshot_schema() -> dict[str, Any]:
    """The JSON Schema of a snapshot document (Snapshot.to_dict())."""
    defs: dict[str, Any] = {}
    root = _schema_for(snapshot_module.Snapshot, defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://trail-auditor.dev/schemas/snapshot.schema.json",
        "title": "trail-auditor snapshot",
        "description": "Everything one collection saw, and every failure to see. Generated from "
        "auditor/model/snapshot.py by auditor.model.schemagen.",
        **root,
        "$defs": dict(sorted(defs.items())),
    }


def _schema_for(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin = get_origin(tp)
    if tp is Any:
        return {}
    if origin in (Union, types.UnionType):
        options = [_schema_for(a, defs) for a in get_args(tp)]
        return {"anyOf": options}
    if tp is type(None):
        return {"type": "null"}
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is float:
        return {"type": "number"}
    if tp is str:
        return {"type": "string"}
    if origin is tuple:
        args = get_args(tp)
        return {"type": "array", "items": _schema_for(args[0], defs)}
    if origin in (dict, Mapping) or origin is typing.Mapping:
        return {"type": "object"}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}  # placeholder against recursion
            hints = _hints(tp)
            props: dict[str, Any] = {}
            required: list[str] = []
            for f in dataclasses.fields(tp):
                if f.name.startswith("_"):
                    continue
                props[f.name] = _schema_for(hints[f.name], defs)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    required.append(f.name)
            body: dict[str, Any] = {
                "type": "object",
                "properties": props,
                "required": required,
                "additionalProperties": False,
            }
            if name == "CollectionError":
                body = {
                    "type": "object",
                    "properties": {ERROR_KEY: body},
                    "required": [ERROR_KEY],
                    "additionalProperties": False,
                }
            defs[name] = body
        return {"$ref": f"#/$defs/{name}"}
    raise TypeError(f"no JSON Schema mapping for {tp!r}")


def main() -> None:
    """Print the snapshot schema."""
    print(json.dumps(snapshot_schema(), indent=2, sort_keys=False))


if __name__ == "__main__":
    main()

"""Derive a JSON Schema from the snapshot dataclasses.

The snapshot schema is generated from the same type hints that drive
serialisation (auditor/model/serde.py), so the model, the files and the schema cannot
drift apart. The generated schema ships as ``schemas/snapshot.schema.json``; a
test holds the shipped file equal to what this module generates.

The typed documents inside the snapshot (log evidence, digest integrity) are
msgspec structs: msgspec generates their part, which is also shipped on its own
(``log-evidence.schema.json``, ``integrity.schema.json``).

Usage: ``python -m auditor.model.schemagen [FILE] > auditor/schemas/FILE`` (FILE
defaults to ``snapshot.schema.json``)
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Mapping
from typing import Any, Union, get_args, get_origin

import msgspec

from auditor.model import snapshot as snapshot_module
from auditor.model.integrity_report import IntegrityDocument
from auditor.model.log_evidence import LogEvidence
from auditor.model.serde import ERROR_KEY, type_hints

_REF = "#/$defs/{name}"


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
        args = get_args(tp)
        struct = [a for a in args if isinstance(a, type) and issubclass(a, msgspec.Struct)]
        if len(args) == 2 and type(None) in args and struct:
            # A typed document or nothing: "if null, fine; else the document". Unlike anyOf, this
            # lets a validator report the document's own errors at their paths (log_evidence.files_read).
            return {"if": {"type": "null"}, "else": _struct_schema(struct[0], defs)}
        options = [_schema_for(a, defs) for a in args]
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
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return _struct_schema(tp, defs)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}  # placeholder against recursion
            hints = type_hints(tp)
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


def _struct_schema(tp: type[msgspec.Struct], defs: dict[str, Any]) -> dict[str, Any]:
    """A typed document (a msgspec struct): msgspec derives its schema; its parts join ``defs``."""
    (root,), components = msgspec.json.schema_components([tp], ref_template=_REF)
    for name, body in components.items():
        if defs.get(name, body) != body:
            raise TypeError(f"two different schema definitions are both named {name}")
        defs[name] = body
    return dict(root)


def document_schema(tp: type[msgspec.Struct], file_name: str, title: str) -> dict[str, Any]:
    """The standalone JSON Schema of one typed document (shipped as ``schemas/<file_name>``)."""
    defs: dict[str, Any] = {}
    ref = _struct_schema(tp, defs)
    root = defs.pop(tp.__name__)
    assert ref == {"$ref": _REF.format(name=tp.__name__)}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://trail-auditor.dev/schemas/{file_name}",
        **root,
        "title": title,
        "description": f"{root.get('description', '')} Generated from {tp.__module__.replace('.', '/')}.py "
        "by auditor.model.schemagen.".strip(),
        "$defs": dict(sorted(defs.items())),
    }


def log_evidence_schema() -> dict[str, Any]:
    """The JSON Schema of the log-evidence document (Snapshot.log_evidence)."""
    return document_schema(
        LogEvidence, "log-evidence.schema.json", "trail-auditor log evidence (Snapshot.log_evidence)"
    )


def integrity_schema() -> dict[str, Any]:
    """The JSON Schema of the digest integrity document (Snapshot.integrity)."""
    return document_schema(IntegrityDocument, "integrity.schema.json", "trail-auditor digest integrity report")


#: Every generated schema, by the file it ships as under auditor/schemas/.
GENERATED = {
    "snapshot.schema.json": snapshot_schema,
    "log-evidence.schema.json": log_evidence_schema,
    "integrity.schema.json": integrity_schema,
}


def main(argv: list[str] | None = None) -> None:
    """Print one generated schema (the snapshot's by default; or name its file)."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    name = args[0] if args else "snapshot.schema.json"
    print(json.dumps(GENERATED[name](), indent=2, sort_keys=False))


if __name__ == "__main__":
    main()

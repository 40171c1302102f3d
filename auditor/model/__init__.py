"""The typed data every layer shares: the snapshot, its JSON form and schemas, errors, package data.

Frozen dataclasses and pure helpers (serde, schema generation, the one ``validate()``, file and
text primitives). May import only the standard library and third-party libraries; nothing else
of ``auditor``.
"""

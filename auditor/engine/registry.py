"""Discover checks: built-ins from ``auditor.builtin_checks``, plug-ins from entry points.

Every module in the built-in package that defines ``CHECK`` contributes one
check. Third-party distributions declare an entry point in the group
``trail_auditor.checks`` whose object is a :class:`~auditor.engine.checkapi.Check`
(or a module defining ``CHECK``). Duplicate ids are an error: ids are a public,
stable interface that baselines and mappings rely on.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from importlib.metadata import entry_points
from types import ModuleType

from auditor.engine.checkapi import Check
from auditor.model.errors import AuditorError

ENTRY_POINT_GROUP = "trail_auditor.checks"
_BUILTIN_PACKAGE = "auditor.builtin_checks"


def _check_of(obj: object, origin: str) -> Check:
    if isinstance(obj, Check):
        return obj
    if isinstance(obj, ModuleType) and isinstance(getattr(obj, "CHECK", None), Check):
        check: Check = obj.CHECK
        return check
    raise AuditorError(f"{origin} does not provide a trail-auditor Check")


def builtin_checks() -> list[Check]:
    """The checks shipped with trail-auditor, in module order."""
    package = importlib.import_module(_BUILTIN_PACKAGE)
    found: list[Check] = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{_BUILTIN_PACKAGE}.{info.name}")
        if isinstance(getattr(module, "CHECK", None), Check):
            found.append(module.CHECK)
    return found


def plugin_checks() -> list[Check]:
    """Checks registered by other installed distributions."""
    found: list[Check] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
        except Exception as exc:  # a broken plug-in must be named, not crash the scan
            raise AuditorError(f"check plug-in {ep.name!r} ({ep.value}) failed to load: {exc}") from exc
        found.append(_check_of(obj, f"entry point {ep.name!r} ({ep.value})"))
    return found


def all_checks(extra: Iterable[Check] = ()) -> list[Check]:
    """Built-ins, plug-ins and any extra checks, sorted by id; ids must be unique."""
    by_id: dict[str, Check] = {}
    for check in [*builtin_checks(), *plugin_checks(), *extra]:
        if check.meta.id in by_id:
            raise AuditorError(f"two checks share the id {check.meta.id!r}")
        by_id[check.meta.id] = check
    return [by_id[k] for k in sorted(by_id)]

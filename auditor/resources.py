"""Locate the data that ships inside the package (checks, mappings, templates, schemas).

In a wheel, ``checks/``, ``mappings/`` and ``reports/templates/`` are installed
under ``auditor/`` (see pyproject.toml); in a source checkout the same paths are
symlinks to the top-level folders, so one lookup serves both.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable


def package_path(*parts: str) -> Traversable:
    """A file or folder inside the installed ``auditor`` package."""
    node: Traversable = resources.files("auditor")
    for part in parts:
        node = node / part
    return node


def schema_text(name: str) -> str:
    """The text of a JSON Schema shipped in ``auditor/schemas``."""
    return package_path("schemas", name).read_text(encoding="utf-8")

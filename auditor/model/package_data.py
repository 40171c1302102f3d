"""Locate the data that ships inside the package (checks, mappings, templates, schemas).

In a wheel, ``checks/``, ``mappings/`` and ``reports/templates/`` are installed
under ``auditor/`` (pyproject.toml ``[tool.setuptools.package-dir]``). A source
checkout has no copies and no symlinks: those folders stay at the top of the
repository, so a path the package does not hold is looked up there instead
(``SOURCE_FOLDERS``), and one lookup serves both.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

# Installed location under ``auditor/`` -> the folder it comes from in a source checkout.
SOURCE_FOLDERS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("data", "mappings"): ("mappings",),
    ("data", "templates"): ("reports", "templates"),
}


def package_path(*parts: str) -> Traversable:
    """A file or folder inside the installed ``auditor`` package."""
    node: Traversable = resources.files("auditor")
    for part in parts:
        node = node / part
    if not (node.is_dir() or node.is_file()):
        source = _source_checkout_path(parts)
        if source is not None:
            return source
    return node


def _source_checkout_path(parts: tuple[str, ...]) -> Path | None:
    """The same path in a source checkout's top-level folders, if ``parts`` lie in one of them."""
    for installed, source in SOURCE_FOLDERS.items():
        if parts[: len(installed)] == installed:
            repo = Path(str(resources.files("auditor"))).parent
            candidate = repo.joinpath(*source, *parts[len(installed) :])
            if candidate.exists():
                return candidate
    return None


def schema_text(name: str) -> str:
    """The text of a JSON Schema shipped in ``auditor/schemas``."""
    return package_path("schemas", name).read_text(encoding="utf-8")

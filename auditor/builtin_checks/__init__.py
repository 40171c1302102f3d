"""Source-checkout bridge: ``auditor.builtin_checks`` is the top-level ``checks/`` folder.

In a wheel, setuptools installs ``checks/`` itself as this package (pyproject.toml
``[tool.setuptools.package-dir]``), so this file is not shipped. Running from a
source checkout (``python -m pytest`` at the repo root imports ``auditor`` from
the tree), this package's search path points at ``checks/``, so the registry and
tests import ``auditor.builtin_checks.<check>`` from the real files: no symlink.
"""

from __future__ import annotations

from pathlib import Path

__path__ = [str(Path(__file__).resolve().parent.parent.parent / "checks")]

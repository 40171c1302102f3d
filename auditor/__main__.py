"""``python -m auditor`` runs the CLI.

``python -m`` puts the current directory first on ``sys.path`` (unless
``-P``/``PYTHONSAFEPATH``), so a ``*.dist-info`` planted there would register
a check plug-in, and a planted ``boto3.py`` or ``yaml.py`` would shadow the
real library, both run with the user's AWS credentials. The console script
``trail-auditor`` never had that entry; this module removes it before
anything else is imported, so both ways of running behave the same.
"""

from __future__ import annotations

import os
import sys


def _drop_current_directory(path: list[str], cwd: str) -> list[str]:
    """``path`` without the entries that name the current directory ('' included)."""
    here = os.path.realpath(cwd)
    return [p for p in path if os.path.realpath(p or os.curdir) != here]


sys.path[:] = _drop_current_directory(sys.path, os.getcwd())

from auditor.app.cli import main  # noqa: E402  (after the path is safe)

raise SystemExit(main())

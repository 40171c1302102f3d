"""Evidence documents read once per session from the copied fixtures."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.logs import read_local
from tests.logs.factory import FIXTURES, WIDE


@pytest.fixture(scope="session")
def invictus_doc() -> dict[str, Any]:
    """The 55 real invictus files."""
    return read_local(FIXTURES / "invictus" / "CloudTrail", WIDE, workers=1)


@pytest.fixture(scope="session")
def stratus_doc() -> dict[str, Any]:
    """The stratus-red-team detonations, with the SigmaHQ rules."""
    return read_local(FIXTURES / "stratus" / "detonation-logs", WIDE, rules_dir=FIXTURES / "sigma" / "rules", workers=1)

"""docs/checks.md names every registered check with its default severity."""

from __future__ import annotations

import re
from pathlib import Path

from auditor.engine.registry import all_checks

DOC = Path(__file__).resolve().parents[2] / "docs" / "checks.md"


def test_every_registered_check_is_in_the_catalogue_page_with_its_severity() -> None:
    rows = dict(re.findall(r"^\| ([a-z0-9-]+) \| (critical|high|medium|low|info) \|", DOC.read_text(), re.M))
    expected = {c.meta.id: c.meta.severity.value for c in all_checks()}
    assert {k: rows.get(k) for k in expected} == expected

"""Third-party checks plug in through the trail_auditor.checks entry-point group."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from auditor.engine.registry import ENTRY_POINT_GROUP, all_checks
from auditor.model.errors import AuditorError

PLUGIN = textwrap.dedent("""
    from auditor.engine.checkapi import Check, CheckMeta, Remediation, Severity, Status

    META = CheckMeta(id="acme-trail-naming", title="Trails follow the Acme naming rule",
                     severity=Severity.LOW, section="trail", resource_type="AwsCloudTrailTrail",
                     rationale="Auditors find the organisation trail by name.",
                     remediation=Remediation(summary="Recreate the trail as acme-<purpose>."))

    def evaluate(ctx):
        for account in ctx.accounts():
            for trail in account.trails:
                ok = trail.name.startswith("acme-")
                yield ctx.result(account.account_id, trail.home_region,
                                 Status.PASS if ok else Status.FAIL, f"trail {trail.name}",
                                 resource_id=trail.name, resource_arn=trail.arn)

    CHECK = Check(META, evaluate)
""")


def _install(tmp_path: Path, module: str, body: str, target: str, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / f"{module}.py").write_text(body)
    dist = tmp_path / "acme_checks-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-checks\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nacme = {target}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, module, raising=False)


def test_entry_point_check_is_registered_and_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _install(tmp_path, "acme_naming", PLUGIN, "acme_naming:CHECK", monkeypatch)
    checks = {c.meta.id: c for c in all_checks()}
    assert "acme-trail-naming" in checks and "trail-enabled" in checks
    from auditor.engine.runner import evaluate
    from tests.builders import sound_snapshot

    (finding,) = evaluate(sound_snapshot(), [checks["acme-trail-naming"]])
    assert finding.status.value == "FAIL" and finding.resource_id == "org-trail"


def test_broken_plugin_is_named_not_crashing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _install(tmp_path, "acme_broken", "raise RuntimeError('boom')\n", "acme_broken:CHECK", monkeypatch)
    with pytest.raises(AuditorError, match=r"acme.*failed to load.*boom"):
        all_checks()


def test_duplicate_ids_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    body = PLUGIN.replace('id="acme-trail-naming"', 'id="trail-enabled"')
    _install(tmp_path, "acme_dup", body, "acme_dup:CHECK", monkeypatch)
    with pytest.raises(AuditorError, match="two checks share the id 'trail-enabled'"):
        all_checks()

"""checkov raises nothing on deploy/ (CloudFormation and Terraform); every skip says why, in place.

checkov pins old boto3/botocore/networkx/packaging, so it cannot share the project's
venv: it lives in its own, made once under ~/.cache (about two minutes) or given by
$CHECKOV. --skip-download keeps it offline (no Prisma Cloud guideline download).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.conftest import DEPLOY

CHECKOV_VERSION = "3.3.30"


@pytest.fixture(scope="module")
def checkov() -> str:
    given = os.environ.get("CHECKOV")
    if given:
        return given
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    venv = cache / "trail-auditor" / f"checkov-{CHECKOV_VERSION}"
    exe = venv / "bin" / "checkov"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
        subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", f"checkov=={CHECKOV_VERSION}"],
            check=True,
            timeout=1200,
            capture_output=True,
        )
    return str(exe)


def _scan(checkov: str, target: Path) -> list[dict[str, Any]]:
    # Relative to its parent: checkov 3.3.30's CKV_AWS_45 (secrets in Lambda environment variables)
    # also scans the template's own path (an injected __file__ key), so some clone locations
    # (/tmp/abc/...) read as a secret and others do not. A relative path is the same everywhere.
    proc = subprocess.run(
        [checkov, "-d", target.name, "--compact", "--skip-download", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=target.parent,
    )
    reports = json.loads(proc.stdout)
    return reports if isinstance(reports, list) else [reports]


def test_checkov_passes_with_justified_skips_only(checkov: str) -> None:
    reports = {r["check_type"]: r for r in _scan(checkov, DEPLOY)}
    assert set(reports) == {"cloudformation", "terraform"}
    for kind, report in reports.items():
        assert report["summary"]["parsing_errors"] == 0, kind
        failed = [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
        assert failed == [], kind
        assert report["summary"]["passed"] > 40, kind
        for skipped in report["results"].get("skipped_checks", []):
            reason = (skipped.get("check_result") or {}).get("suppress_comment", "")
            assert len(reason) > 40, f"{kind} {skipped['check_id']} on {skipped['resource']}: say why"


def test_checkov_would_fail_an_open_bucket(checkov: str, tmp_path: Path) -> None:
    """The check is live: a copy without the public access block and TLS policy fails."""
    (tmp_path / "open.yaml").write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Open:\n    Type: AWS::S3::Bucket\n"
    )
    (report,) = _scan(checkov, tmp_path)
    assert report["summary"]["failed"] > 0

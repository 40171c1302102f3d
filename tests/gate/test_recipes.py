"""Every trail-auditor command line in docs/recipes.md runs, as written, against moto_server."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import boto3
import pytest

from auditor.aws.lambda_handler import LambdaConfig
from tests.cli.conftest import moto_server, run_cli  # noqa: F401  (fixture)

DOC = Path(__file__).resolve().parents[2] / "docs" / "recipes.md"


def recipe_commands() -> list[str]:
    """Lines of the doc's code blocks that run trail-auditor."""
    lines = []
    for line in DOC.read_text().splitlines():
        text = line.strip().removeprefix("- ")
        if text.startswith("trail-auditor "):
            lines.append(text.split(" || ")[0])
    return lines


def test_the_doc_has_the_recipes() -> None:
    cmds = recipe_commands()
    assert any("sarif" in c for c in cmds) and any("junit" in c for c in cmds)
    assert any("--history s3://" in c and "--notify-sns" in c for c in cmds)
    assert any(c.startswith("trail-auditor gate") for c in cmds)


def test_recipe_commands_run(moto_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    from auditor.aws.demo_seed import seed_organization

    seed_organization(("us-east-1",))
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="acme-audit-history")
    boto3.client("sns", region_name="us-east-1").create_topic(Name="trail-auditor-alerts")
    (tmp_path / "baseline.yaml").write_text("version: 1\nfail_on: critical\n")
    env = {"AWS_ENDPOINT_URL": moto_server}
    for cmd in recipe_commands():
        args = shlex.split(cmd)[1:]
        if args[0] == "scan":
            args += ["--regions", "us-east-1"]  # keep the test quick: moto lists every region
        proc = run_cli(args, env, cwd=tmp_path)
        assert proc.returncode in (0, 1, 3), f"{cmd}\n{proc.stderr}"
        assert "Traceback" not in proc.stderr, cmd
    assert (tmp_path / "out" / "results.sarif").exists()
    assert (tmp_path / "out" / "junit.xml").exists()
    listed = boto3.client("s3", region_name="us-east-1").list_objects_v2(Bucket="acme-audit-history", Prefix="prod/")
    assert listed.get("KeyCount", 0) == 1


def test_eventbridge_payload_is_a_valid_lambda_payload() -> None:
    match = re.search(r'"Input":"(.*?)"}\]', DOC.read_text())
    assert match
    payload = json.loads(match.group(1).replace('\\"', '"'))
    settings = re.search(r"Variables=\{(.*?)\}", DOC.read_text())
    assert settings
    env = dict(kv.split("=", 1) for kv in settings.group(1).split(","))
    config = LambdaConfig.from_event(payload, env)
    assert config.organization and config.role_name == "AuditRole"
    assert config.formats == ("json", "html", "pdf")

"""docs/deploy.md tells the truth: its files exist, its parameters and inputs are the templates',
its commands parse, and its GitLab job runs against moto_server."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import boto3
import yaml

from auditor.app.cli import build_parser
from tests.cli.conftest import moto_server  # noqa: F401  (fixture)
from tests.deploy.conftest import ROOT, load_template

DOC = (ROOT / "docs" / "deploy.md").read_text()


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOC, re.S)


def test_every_linked_file_exists() -> None:
    links = re.findall(r"\]\((\.\./[^)#]+|[\w.-]+\.md)\)", DOC)
    assert links
    missing = [link for link in links if not (ROOT / "docs" / link).resolve().exists()]
    assert missing == []


def _shell_commands() -> list[list[str]]:
    """Each command of the doc's sh blocks as argv, continuation lines joined."""
    return [
        argv
        for block in _blocks("sh")
        for line in block.replace("\\\n", " ").splitlines()
        if (argv := shlex.split(line, comments=True))
    ]


def test_cloudformation_parameters_in_the_doc_are_the_templates() -> None:
    declared = {name: set(load_template(name)["Parameters"]) for name in ("audit-role.yaml", "scheduled-scan.yaml")}
    named: set[str] = set()
    for argv in _shell_commands():
        if "--parameter-overrides" in argv:
            named |= {a.split("=", 1)[0] for a in argv[argv.index("--parameter-overrides") + 1 :] if "=" in a}
        named |= {m for a in argv for m in re.findall(r"ParameterKey=(\w+)", a)}
    assert named >= {"ArtefactBucket", "ArtefactKey", "ExternalId", "NotificationEmail", "TrustedPrincipal"}
    assert named <= declared["audit-role.yaml"] | declared["scheduled-scan.yaml"]
    mentioned = set(re.findall(r"`([A-Z]\w+)` \(", DOC))
    assert (
        {"ScheduleExpression", "LogsSince", "RetentionProfile"}
        <= mentioned
        <= (declared["scheduled-scan.yaml"] | declared["audit-role.yaml"])
    )


def test_trail_auditor_commands_in_the_doc_parse() -> None:
    commands = [argv[1:] for argv in _shell_commands() if argv[0] == "trail-auditor"]
    commands += [
        shlex.split(line.split("- ", 1)[1].split(" || ")[0])[1:]
        for block in _blocks("yaml")
        for line in block.splitlines()
        if "- trail-auditor " in line
    ]
    assert len(commands) >= 2
    for argv in commands:
        build_parser().parse_args(argv)


def test_github_workflow_uses_only_inputs_the_action_declares() -> None:
    action_inputs = set(yaml.safe_load((ROOT / "action.yml").read_text())["inputs"])
    workflows = [yaml.safe_load(b) for b in _blocks("yaml") if "jobs:" in b]
    (workflow,) = workflows
    steps = workflow["jobs"]["audit"]["steps"]
    (ours,) = [s for s in steps if str(s.get("uses", "")).endswith("/trail-auditor@v1")]
    assert set(ours["with"]) <= action_inputs
    assert workflow["permissions"]["security-events"] == "write"


def test_gitlab_job_runs_against_moto_server(moto_server: str, tmp_path: Path) -> None:  # noqa: F811
    (job,) = [yaml.safe_load(b)["trail-auditor"] for b in _blocks("yaml") if "trail-auditor:\n  image:" in b]
    script = [line for line in job["script"] if "pip install" not in line]  # the package is installed here
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            "AWS_ENDPOINT_URL": moto_server,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "TRAIL_AUDITOR_EXTERNAL_ID": "acme-audit-7f3c",
        }
    )
    boto3.client(
        "organizations",
        endpoint_url=moto_server,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_organization(FeatureSet="ALL")
    (tmp_path / "baseline.yaml").write_text("version: 1\nfail_on: critical\n")
    # GitLab runs the lines in one shell and stops at the first failing one
    proc = subprocess.run(
        ["bash", "-e", "-c", "\n".join(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode in (0, 1, 3), proc.stderr
    out = tmp_path / "trail-auditor-results"
    for path in (*job["artifacts"]["paths"], job["artifacts"]["reports"]["junit"]):
        assert (tmp_path / path).exists(), path
    assert (out / "results.sarif").is_file() and (out / "results.json").is_file()


def test_lambda_artefact_builds_as_documented_and_its_handler_imports(tmp_path: Path) -> None:
    """The doc's build commands, run for this interpreter's version, give a tree whose handler imports
    without the project's venv (only PYTHONPATH=the artefact) and never loads WeasyPrint."""
    (block,) = [b for b in _blocks("sh") if "pip wheel" in b]
    build = [
        line
        for line in block.replace("\\\n", " ").splitlines()
        if line.startswith(("rm ", "python3 -m pip", "(cd build/lambda"))
    ]
    assert len(build) == 4
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    script = "\n".join(build)
    for doc_text, here in (
        ("python3 -m pip", f"{shlex.quote(sys.executable)} -m pip"),
        ("build/wheels . ", f"build/wheels {shlex.quote(str(ROOT))} "),
        ("--python-version 3.12", f"--python-version {version}"),
    ):
        assert doc_text in script
        script = script.replace(doc_text, here)
    proc = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "build" / "trail-auditor-lambda.zip").stat().st_size > 0
    assert not (tmp_path / "build" / "lambda" / "moto").exists(), "the demo extra stays out"
    probe = (
        "import sys\nfrom auditor.aws.lambda_handler import handler\nimport auditor.report, auditor.app.scanjob\n"
        "assert 'weasyprint' not in sys.modules\n"
        "try:\n    handler({'bogus': 1}, None)\nexcept Exception as exc:\n    print(type(exc).__name__)\n"
    )
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(tmp_path / "build" / "lambda")}
    run = subprocess.run(
        [sys.executable, "-S", "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ValidationError"

"""The README tells the truth: its policy is the shipped one, its first screen has the two commands."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_policy_equals_the_policy_file() -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```json\n(\{.*?\})\n```", readme, re.S)
    assert block, "the README must show the IAM policy"
    assert json.loads(block.group(1)) == json.loads((ROOT / "policy" / "iam-policy.json").read_text())


def test_policy_is_read_only() -> None:
    policy = json.loads((ROOT / "policy" / "iam-policy.json").read_text())
    actions = [
        a for st in policy["Statement"] for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])
    ]
    verbs = ("Describe", "Get", "List")
    for action in actions:
        name = action.split(":", 1)[1]
        assert name.startswith(verbs) or action == "sts:AssumeRole", action
    assert all(st["Effect"] == "Allow" for st in policy["Statement"])


def test_first_screen_has_the_demo_and_test_commands() -> None:
    first_screen = "\n".join((ROOT / "README.md").read_text().splitlines()[:24])
    commands = [
        line
        for line in re.findall(r"```sh\n(.*?)```", first_screen, re.S)[0].splitlines()
        if line and not line.startswith("#")
    ]
    assert len(commands) == 2
    assert commands[0].endswith("trail-auditor demo") and "pip install" in commands[0]
    assert "'.[demo]'" in commands[0], "the demo needs the demo extra (moto)"
    assert commands[1] == "bash scripts/test.sh"
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash scripts/test.sh" in ci


def _json_blocks() -> list[object]:
    return [json.loads(b) for b in re.findall(r"```json\n(\{.*?\})\n```", (ROOT / "README.md").read_text(), re.S)]


def test_readme_optional_write_policy_equals_its_file() -> None:
    """The write features' policy is shown apart from the read-only one, and is the shipped file."""
    blocks = _json_blocks()
    write_policy = json.loads((ROOT / "policy" / "iam-policy-write-features.json").read_text())
    assert write_policy in blocks[1:]
    readme = (ROOT / "README.md").read_text()
    assert "optional" in readme and "opt-in" in readme


def _usage_commands() -> list[list[str]]:
    """Every `trail-auditor ...` line of the README's shell blocks, as argv (comments dropped)."""
    readme = (ROOT / "README.md").read_text()
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", readme, re.S):
        for line in block.splitlines():
            argv = shlex.split(line, comments=True)
            if argv and argv[0] == "trail-auditor":
                commands.append(argv[1:])
    return commands


def test_every_readme_command_line_parses() -> None:
    """The parser accepts each example as written (a renamed or removed option breaks this)."""
    from auditor.app.cli import build_parser

    commands = _usage_commands()
    assert len(commands) >= 8
    for argv in commands:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exc:
            raise AssertionError(f"the README's `trail-auditor {shlex.join(argv)}` does not parse") from exc
        assert args.command == argv[0]


def test_readme_evaluate_example_follows_a_scan_that_saves_the_snapshot() -> None:
    commands = _usage_commands()
    evaluated = [argv[1] for argv in commands if argv[0] == "evaluate"]
    saved = [argv[argv.index("--snapshot") + 1] for argv in commands if argv[0] == "scan" and "--snapshot" in argv]
    assert evaluated and set(evaluated) <= set(saved)


def test_readme_links_the_baseline_reference() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "(docs/baseline.md)" in readme
    assert (ROOT / "docs" / "baseline.md").is_file()


def test_permissions_section_points_to_the_deploy_templates() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Permissions", 1)[1].split("\n## ", 1)[0]
    links = re.findall(r"\]\(((?:deploy|docs|policy)/[^)]+|action\.yml)\)", section)
    assert {
        "deploy/cloudformation/audit-role.yaml",
        "deploy/cloudformation/scheduled-scan.yaml",
        "deploy/terraform/",
        "docs/deploy.md",
        "action.yml",
    } <= set(links)
    assert all((ROOT / link).exists() for link in links)


def test_readme_says_athena_writes_query_results_and_links_its_policy() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Permissions", 1)[1].split("\n## ", 1)[0]
    assert "Athena writes every query's results to the query-results\noutput location" in section
    assert "(policy/iam-policy-athena.json)" in section
    first_screen = "\n".join(readme.splitlines()[:24])
    assert "athena" not in first_screen.lower()

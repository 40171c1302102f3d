"""The README tells the truth: its policy is the shipped one, its first screen has the two commands."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_policy_equals_the_policy_file() -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```json\n(\{.*?\})\n```", readme, re.S)
    assert block, "the README must show the IAM policy"
    assert json.loads(block.group(1)) == json.loads((ROOT / "policy" / "iam-policy.json").read_text())


def test_policy_is_read_only() -> None:
    policy = json.loads((ROOT / "policy" / "iam-policy.json").read_text())
    actions = [a for st in policy["Statement"] for a in ([st["Action"]] if isinstance(st["Action"], str)
                                                       else st["Action"])]
    verbs = ("Describe", "Get", "List")
    for action in actions:
        name = action.split(":", 1)[1]
        assert name.startswith(verbs) or action == "sts:AssumeRole", action
    assert all(st["Effect"] == "Allow" for st in policy["Statement"])


def test_first_screen_has_the_demo_and_test_commands() -> None:
    first_screen = "\n".join((ROOT / "README.md").read_text().splitlines()[:24])
    commands = [line for line in re.findall(r"```sh\n(.*?)```", first_screen, re.S)[0].splitlines()
                if line and not line.startswith("#")]
    assert len(commands) == 2
    assert commands[0].endswith("trail-auditor demo") and "pip install" in commands[0]
    assert commands[1] == "bash scripts/test.sh"
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash scripts/test.sh" in ci

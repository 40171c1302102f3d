"""action.yml's steps, run as GitHub runs them (bash -eo pipefail, GITHUB_OUTPUT), against moto_server.

The runner below reads the composite action with yaml.safe_load, resolves the
``${{ inputs.X }}`` and ``${{ steps.ID.outputs.Y }}`` expressions of each step's
``env``/``with``, runs every ``run:`` script with those variables and records the
``uses:`` steps (setup-python, upload-sarif) with their resolved inputs instead of
running them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.cli.conftest import moto_server  # noqa: F401  (fixture)
from tests.deploy.conftest import ROOT

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
INSTALL = "Install trail-auditor"


@dataclass
class ActionRun:
    code: int
    outputs: dict[str, str]
    uses: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)


def _resolve(text: str, inputs: dict[str, str], steps: dict[str, dict[str, str]]) -> str:
    def value(match: re.Match[str]) -> str:
        expr = match.group(1)
        if m := re.fullmatch(r"inputs\.([\w-]+)", expr):
            return inputs[m.group(1)]
        if m := re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr):
            return steps.get(m.group(1), {}).get(m.group(2), "")
        raise AssertionError(f"the test runner does not evaluate {expr!r}")

    return _EXPR.sub(value, text)


def run_action(given: dict[str, str], cwd: Path, env: dict[str, str], skip: tuple[str, ...] = ()) -> ActionRun:
    """Run the action's steps in order as a runner would; return the last step's exit code."""
    inputs = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    unknown = set(given) - set(inputs)
    assert not unknown, f"not inputs of the action: {unknown}"
    inputs.update(given)
    steps: dict[str, dict[str, str]] = {}
    result = ActionRun(code=0, outputs={})
    for step in ACTION["runs"]["steps"]:
        if "uses" in step:
            result.uses.append(
                (step["uses"], {k: _resolve(str(v), inputs, steps) for k, v in step.get("with", {}).items()})
            )
            continue
        if step.get("name") in skip:
            continue
        assert step["shell"] == "bash"
        assert "${{" not in step["run"], "inputs reach scripts through env only (no script injection)"
        outputs_file = cwd / f".github-output-{len(steps)}"
        outputs_file.write_text("")
        step_env = {
            **env,
            "GITHUB_OUTPUT": str(outputs_file),
            **{k: _resolve(str(v), inputs, steps) for k, v in step.get("env", {}).items()},
        }
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=cwd,
            env=step_env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        result.logs.append(proc.stdout + proc.stderr)
        result.code = proc.returncode
        parsed = dict(line.split("=", 1) for line in outputs_file.read_text().splitlines() if "=" in line)
        if "id" in step:
            steps[step["id"]] = parsed
    result.outputs = {name: _resolve(spec["value"], inputs, steps) for name, spec in ACTION["outputs"].items()}
    return result


def _env(endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {
        **env,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


def _sarif(path: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(Path(path).read_text())
    assert doc["version"] == "2.1.0" and doc["runs"]
    return doc


def test_action_scans_gates_and_hands_sarif_to_the_upload(moto_server: str, tmp_path: Path) -> None:  # noqa: F811
    env = _env(moto_server)

    # scan, no baseline: the empty account fails, the code says so, SARIF goes to the upload step
    first = run_action({"scan-args": "--regions us-east-1", "package": str(ROOT), "output-dir": "scan"}, tmp_path, env)
    assert first.code == 1, first.logs
    assert first.outputs["exit-code"] == "1"
    uses = dict(first.uses)
    assert uses["actions/setup-python@v5"] == {"python-version": "3.12"}
    assert uses["github/codeql-action/upload-sarif@v3"]["sarif_file"] == "scan/results.sarif"
    _sarif(str(tmp_path / "scan" / "results.sarif"))
    results = json.loads((tmp_path / "scan" / "results.json").read_text())
    failing = sorted({f["check_id"] for f in results["findings"] if f["status"] == "FAIL"})
    assert failing

    # a baseline waiving every failing check (until far ahead)
    baseline = tmp_path / "baseline.yaml"
    baseline.write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "waivers": [
                    {
                        "check": c,
                        "reason": "accepted for the test",
                        "owner": "secops@example.com",
                        "expires": "2099-12-31",
                    }
                    for c in failing
                ],
            }
        )
    )

    # gate the saved results: nothing FAILs any more; ERRORs (missing evidence) would still exit 3
    gated = run_action(
        {"command": "gate", "baseline": str(baseline), "results": "scan/results.json", "output-dir": "gate"},
        tmp_path,
        env,
        skip=(INSTALL,),
    )
    doc = json.loads((tmp_path / "gate" / "gated.json").read_text())
    statuses = {f["status"] for f in doc["findings"]}
    assert "FAIL" not in statuses and "WAIVED" in statuses
    assert gated.code == (3 if "ERROR" in statuses else 0), gated.logs
    assert gated.outputs["results"] == "gate/gated.json"
    _sarif(str(tmp_path / "gate" / "results.sarif"))

    # scan with the baseline applies it too
    waived = run_action(
        {"scan-args": "--regions us-east-1", "baseline": str(baseline), "output-dir": "again"},
        tmp_path,
        env,
        skip=(INSTALL,),
    )
    again = json.loads((tmp_path / "again" / "results.json").read_text())
    assert "WAIVED" in {f["status"] for f in again["findings"]}
    assert waived.code in (0, 3), waived.logs


def test_action_refuses_gate_without_inputs_and_unknown_commands(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    missing = run_action({"command": "gate"}, tmp_path, env, skip=(INSTALL,))
    assert missing.code == 2 and "needs the baseline and results" in missing.logs[0]
    unknown = run_action({"command": "scna"}, tmp_path, env, skip=(INSTALL,))
    assert unknown.code == 2 and "command must be scan or gate" in unknown.logs[0]

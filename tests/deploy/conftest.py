"""Shared helpers for the deploy/ templates: paths, a CloudFormation YAML reader, the moto session."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tests.collect.conftest import session  # noqa: F401  (the in-process moto fixture)

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
POLICY = json.loads((ROOT / "policy" / "iam-policy.json").read_text())
WRITE_POLICY = json.loads((ROOT / "policy" / "iam-policy-write-features.json").read_text())
ATHENA_POLICY = json.loads((ROOT / "policy" / "iam-policy-athena.json").read_text())


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that reads CloudFormation's short-form tags (!Ref, !Sub, ...) as their long form."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {"Ref": value} if suffix == "Ref" else {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def load_template(name: str) -> dict[str, Any]:
    """A CloudFormation template under deploy/cloudformation/, intrinsics in long form."""
    text = (DEPLOY / "cloudformation" / name).read_text()
    data: dict[str, Any] = yaml.load(text, Loader=_CfnLoader)  # noqa: S506  (a SafeLoader subclass)
    return data


def inline_policy(resource: dict[str, Any], name: str) -> dict[str, Any]:
    """The PolicyDocument of a role's inline policy, by PolicyName."""
    (doc,) = [p["PolicyDocument"] for p in resource["Properties"]["Policies"] if p["PolicyName"] == name]
    return dict(doc)


def _plain(value: Any) -> Any:
    """python-hcl2 (8.x) keeps the quotes of string literals and block labels: drop them, and its markers."""
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _load_hcl(module: str, name: str) -> dict[str, Any]:
    import hcl2

    with (DEPLOY / "terraform" / module / name).open() as handle:
        return dict(_plain(hcl2.load(handle)))


def load_terraform(module: str) -> dict[str, dict[str, dict[str, Any]]]:
    """A module's main.tf as {resource type: {name: body}}, parsed by python-hcl2."""
    resources: dict[str, dict[str, dict[str, Any]]] = {}
    for block in _load_hcl(module, "main.tf")["resource"]:
        for kind, named in block.items():
            resources.setdefault(kind, {}).update(named)
    return resources


def load_variables(module: str) -> dict[str, dict[str, Any]]:
    """A module's variables.tf as {name: body}."""
    return {name: body for block in _load_hcl(module, "variables.tf")["variable"] for name, body in block.items()}

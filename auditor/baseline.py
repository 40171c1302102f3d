"""baseline.yaml: load with safe_load, validate with a JSON Schema, report file, line and field.

The baseline says which frameworks and checks an account must satisfy, the
severity that fails the gate, per-check severity overrides, the retention
profile, trusted accounts, and waivers with owners and expiry dates.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from auditor.checkapi import Severity
from auditor.errors import AuditorError, ValidationError
from auditor.resources import schema_text
from auditor.validation import field_path


@dataclass(frozen=True)
class Waiver:
    """A time-limited, owned exception for one check on matching resources."""

    check: str
    reason: str
    owner: str
    expires: date
    account: str = "*"
    resource: str = "*"
    region: str = "*"
    #: Where it was written, for messages: "baseline.yaml:12".
    origin: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (as findings carry it)."""
        return {"check": self.check, "account": self.account, "resource": self.resource,
                "region": self.region, "reason": self.reason, "owner": self.owner,
                "expires": self.expires.isoformat(), "origin": self.origin}


@dataclass(frozen=True)
class Baseline:
    """A validated baseline."""

    path: str
    frameworks: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()
    fail_on: Severity = Severity.HIGH
    profile: str | None = None
    trusted_accounts: tuple[str, ...] = ()
    severity_overrides: Mapping[str, Severity] = field(default_factory=dict)
    allow_incomplete: bool = False
    waivers: tuple[Waiver, ...] = ()


def _line_of(root: yaml.Node | None, path: list[Any]) -> int | None:
    """The 1-based line of the YAML node at a JSON path, as close as it can be found."""
    node = root
    line = None if node is None else node.start_mark.line + 1
    for part in path:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            match = node.value[part]
        else:
            match = None
        if match is None:
            break
        node = match
        line = node.start_mark.line + 1
    return line


def load_baseline(path: Path) -> Baseline:
    """Read and validate a baseline file; errors name the file, line and field."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise AuditorError(f"{path}: no such baseline file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise AuditorError(f"{path}: cannot read: {exc}") from exc
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ValidationError(f"{path}{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    # YAML turns 2027-06-30 into a date; the schema speaks JSON, so compare as text.
    data = json.loads(json.dumps(data, default=str))
    schema = json.loads(schema_text("baseline.schema.json"))
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        msgs = []
        for e in errors[:5]:
            line = _line_of(root, list(e.absolute_path))
            msgs.append(f"{path}{f':{line}' if line else ''}: {field_path(e.absolute_path)}: {e.message}")
        raise ValidationError("; ".join(msgs))
    waivers = []
    for i, w in enumerate(data.get("waivers", [])):
        line = _line_of(root, ["waivers", i])
        try:
            expires = date.fromisoformat(w["expires"])
        except ValueError:
            raise ValidationError(f"{path}:{line}: waivers[{i}].expires: {w['expires']!r} is not a date") from None
        waivers.append(Waiver(check=w["check"], reason=w["reason"], owner=w["owner"], expires=expires,
                              account=w.get("account", "*"), resource=w.get("resource", "*"),
                              region=w.get("region", "*"), origin=f"{path}:{line}"))
    return Baseline(
        path=str(path),
        frameworks=tuple(data.get("frameworks", [])),
        checks=tuple(data.get("checks", [])),
        fail_on=Severity(data.get("fail_on", "high")),
        profile=data.get("profile"),
        trusted_accounts=tuple(data.get("trusted_accounts", [])),
        severity_overrides={k: Severity(v) for k, v in data.get("severity_overrides", {}).items()},
        allow_incomplete=bool(data.get("allow_incomplete", False)),
        waivers=tuple(waivers),
    )

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

import yaml

from auditor.engine.checkapi import Severity
from auditor.model.errors import ValidationError
from auditor.model.fsio import MAX_BASELINE_BYTES, read_input
from auditor.model.validation import validate
from auditor.model.yamlsafe import parse_yaml


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
        return {
            "check": self.check,
            "account": self.account,
            "resource": self.resource,
            "region": self.region,
            "reason": self.reason,
            "owner": self.owner,
            "expires": self.expires.isoformat(),
            "origin": self.origin,
        }


@dataclass(frozen=True)
class Baseline:
    """A validated baseline."""

    path: str
    frameworks: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()
    fail_on: Severity = Severity.HIGH
    profile: str | None = None
    trusted_accounts: tuple[str, ...] = ()
    #: Tag keys every trail must carry (trail-tags); empty: any tag passes.
    required_tags: tuple[str, ...] = ()
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


def _plain(value: Any, path: Path) -> Any:
    """The YAML value as JSON-ready data: dates and other non-JSON scalars as text, keys as text.

    The schema speaks JSON (YAML turns 2027-06-30 into a date, so compare as
    text). Strings that are not valid Unicode (a lone surrogate from a
    ``"\\ud800"`` escape) are refused: they would crash every later write.
    """
    if isinstance(value, dict):
        return {_plain_key(k, path): _plain(v, path) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, path) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(f"{path}: a string holds a lone surrogate (not valid Unicode)") from None
    return text


def _plain_key(key: Any, path: Path) -> str:
    text = _plain(key, path)
    return text if isinstance(text, str) else json.dumps(text)


def load_baseline(path: Path) -> Baseline:
    """Read and validate a baseline file; errors name the file, line and field.

    The file must be a regular file of at most MAX_BASELINE_BYTES, hold no
    YAML aliases and nest at most MAX_DEPTH levels: a hostile baseline then
    costs bounded time and memory and ends in one error line.
    """
    raw = read_input(path, what="baseline", limit=MAX_BASELINE_BYTES)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    data, root = parse_yaml(text, str(path), what="a baseline")
    data = _plain(data, path)

    def at_line(field: list[Any]) -> str:
        line = _line_of(root, field)
        return f":{line}: " if line else ": "

    validate(data, "baseline.schema.json", str(path), locate=at_line)
    waivers = []
    for i, w in enumerate(data.get("waivers", [])):
        line = _line_of(root, ["waivers", i])
        try:
            expires = date.fromisoformat(w["expires"])
        except ValueError:
            raise ValidationError(f"{path}:{line}: waivers[{i}].expires: not a calendar date") from None
        waivers.append(
            Waiver(
                check=w["check"],
                reason=w["reason"],
                owner=w["owner"],
                expires=expires,
                account=w.get("account", "*"),
                resource=w.get("resource", "*"),
                region=w.get("region", "*"),
                origin=f"{path}:{line}",
            )
        )
    return Baseline(
        path=str(path),
        frameworks=tuple(data.get("frameworks", [])),
        checks=tuple(data.get("checks", [])),
        fail_on=Severity(data.get("fail_on", "high")),
        profile=data.get("profile"),
        trusted_accounts=tuple(data.get("trusted_accounts", [])),
        required_tags=tuple(data.get("required_tags", [])),
        severity_overrides={k: Severity(v) for k, v in data.get("severity_overrides", {}).items()},
        allow_incomplete=bool(data.get("allow_incomplete", False)),
        waivers=tuple(waivers),
    )

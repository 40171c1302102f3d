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

from auditor.engine.checkapi import Severity
from auditor.model.errors import ValidationError
from auditor.model.fsio import MAX_BASELINE_BYTES, MAX_DEPTH, read_input
from auditor.model.package_data import schema_text
from auditor.model.validation import describe, field_path


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


class _BaselineLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses aliases and nesting deeper than MAX_DEPTH while composing.

    Aliases are refused outright rather than counted: nine levels of anchors
    in 400 bytes expand to billions of nodes, a baseline is short enough to
    write out in full, and a reviewer reading a waiver should see every field
    where it stands. Depth is bounded here because the composer recurses once
    per level and would otherwise end in RecursionError.
    """

    _depth = 0

    def _mark(self) -> Any:
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        return event.start_mark

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in a baseline; write the value out", self._mark())
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested deeper than {MAX_DEPTH} levels", self._mark())
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    """Keep ``2027-06-30`` as written: the schema and the waiver code read dates from text.

    PyYAML's own timestamp constructor raises ValueError on ``2027-13-45``,
    which matches its pattern but is no date.
    """
    return str(loader.construct_scalar(node))


_BaselineLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


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


def _parse(text: str, path: Path) -> tuple[Any, yaml.Node | None]:
    loader: _BaselineLoader | None = None
    try:
        loader = _BaselineLoader(text)  # the reader already refuses control characters here
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except (ValueError, TypeError, OverflowError) as exc:  # a constructor met a value it cannot build
        raise ValidationError(f"{path}: not valid YAML: a value cannot be read ({type(exc).__name__})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or "malformed"
        raise ValidationError(f"{path}{where}: not valid YAML: {str(problem)[:120]}") from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, root


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
    data, root = _parse(text, path)
    data = _plain(data, path)
    schema = json.loads(schema_text("baseline.schema.json"))
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        msgs = []
        for e in errors[:5]:
            line = _line_of(root, list(e.absolute_path))
            msgs.append(f"{path}{f':{line}' if line else ''}: {field_path(e.absolute_path)}: {describe(e)}")
        raise ValidationError("; ".join(msgs))
    waivers = []
    for i, w in enumerate(data.get("waivers", [])):
        line = _line_of(root, ["waivers", i])
        try:
            expires = date.fromisoformat(w["expires"])
        except ValueError:
            raise ValidationError(f"{path}:{line}: waivers[{i}].expires: not a calendar date") from None
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

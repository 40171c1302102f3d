"""Validate ASFF findings against botocore's own model of Security Hub's BatchImportFindings.

botocore's ParamValidator checks what the SDK checks before a call: every
required member, each member's type, unknown members, and minimum lengths and
list sizes. It does not check enums or patterns, which the service does; this
module walks the same model and checks those too, so a finding that passes here
is one the SDK would send and whose enum values the model names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, Shape, StructureShape
from botocore.validate import ParamValidator


def batch_import_input() -> StructureShape:
    """BatchImportFindings' input shape, from the installed botocore's service model."""
    model = botocore.session.get_session().get_service_model("securityhub")
    shape = model.operation_model("BatchImportFindings").input_shape
    assert isinstance(shape, StructureShape)
    return shape


def _walk(value: Any, shape: Shape, path: str, problems: list[str]) -> None:
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        for name, member in value.items():
            if name in shape.members:
                _walk(member, shape.members[name], f"{path}.{name}", problems)
    elif isinstance(shape, ListShape) and isinstance(value, list):
        limit = shape.metadata.get("max")
        if limit is not None and len(value) > limit:
            problems.append(f"{path}: {len(value)} items, at most {limit}")
        for i, item in enumerate(value):
            _walk(item, shape.member, f"{path}[{i}]", problems)
    elif isinstance(shape, MapShape) and isinstance(value, dict):
        for k, v in value.items():
            _walk(k, shape.key, f"{path} key", problems)
            _walk(v, shape.value, f"{path}[{k!r}]", problems)
    elif shape.type_name == "string" and isinstance(value, str):
        enum = shape.metadata.get("enum")
        if enum and value not in enum:
            problems.append(f"{path}: {value!r} is not one of {enum}")
        pattern = shape.metadata.get("pattern")
        if pattern and not re.fullmatch(pattern, value, re.DOTALL):
            problems.append(f"{path}: {value!r} does not match {pattern!r}")
        limit = shape.metadata.get("max")
        if limit is not None and len(value) > limit:
            problems.append(f"{path}: {len(value)} characters, at most {limit}")


def problems(findings: Sequence[dict[str, Any]]) -> list[str]:
    """Every way ``findings`` break the model (empty when they would be accepted)."""
    shape = batch_import_input()
    out: list[str] = []
    for start in range(0, max(len(findings), 1), 100):  # the model allows 1..100 per call
        report = ParamValidator().validate({"Findings": list(findings[start : start + 100])}, shape)
        if report.has_errors():
            out.append(report.generate_report())
    for i, finding in enumerate(findings):
        _walk(finding, shape.members["Findings"].member, f"Findings[{i}]", out)
    return out

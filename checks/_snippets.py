"""The snippets of the checks' remediations: Terraform laid out as ``terraform fmt`` does, and CLI calls.

Not a check itself (the registry skips ``_`` modules). Many checks fix one setting of
the same ``aws_cloudtrail`` resource, the same lifecycle rule or the same advanced
selectors; building the snippet here keeps the resource's name, its bucket and the
alignment of its arguments the same in every remediation.
"""

from __future__ import annotations

import json
from typing import Any


def _aligned(indent: str, arguments: tuple[str, ...]) -> str:
    """``key = value`` lines with their ``=`` aligned, as terraform fmt aligns consecutive arguments."""
    pairs = [a.split(" = ", 1) for a in arguments]
    width = max(len(key) for key, _ in pairs)
    return "".join(f"{indent}{key.ljust(width)} = {value}\n" for key, value in pairs)


def block(name: str, *arguments: str, body: str = "", indent: str = "  ") -> str:
    """A nested block: its aligned ``arguments``, then ``body`` (blocks already indented one level deeper).

    ``name`` is the block type (``"transition"``), or ``"tags ="`` for a map argument, which
    terraform fmt lays out the same way.
    """
    inner = indent + "  "
    return f"{indent}{name} {{\n" + (_aligned(inner, arguments) if arguments else "") + body + f"{indent}}}\n"


def trail_resource(
    *arguments: str,
    body: str = "",
    bucket: str = "aws_s3_bucket.logs.id",
    label: str = "main",
    name: str = "org-trail",
) -> str:
    """The ``aws_cloudtrail`` resource ``label`` with ``arguments`` after its name and bucket, then ``body``."""
    head = _aligned("  ", (f'name = "{name}"', f"s3_bucket_name = {bucket}", *arguments))
    return f'resource "aws_cloudtrail" "{label}" {{\n' + head + body + "}"


def event_selector(data_resource: str = "", *, management: bool = True) -> str:
    """The basic event selector (all read and write events, management events unless not
    ``management``), with a ``data_resource`` block if given."""
    return block(
        "event_selector",
        'read_write_type = "All"',
        f"include_management_events = {'true' if management else 'false'}",
        body=data_resource,
    )


def data_resource(resource_type: str, arn_prefix: str) -> str:
    """A basic selector's data resource covering every resource of ``resource_type``."""
    return block("data_resource", f'type = "{resource_type}"', f'values = ["{arn_prefix}"]', indent="    ")


def field_selector(field: str, equals: str) -> str:
    """An advanced selector's field selector; ``equals`` is the list's Terraform text."""
    return block("field_selector", f'field = "{field}"', f"equals = [{equals}]", indent="    ")


def advanced_selector(name: str, *field_selectors: str) -> str:
    """An advanced event selector named ``name`` with its field selectors."""
    return block("advanced_event_selector", f'name = "{name}"', body="".join(field_selectors))


def bucket_lifecycle(rule_id: str, *rule_blocks: str) -> str:
    """The trail bucket's lifecycle configuration: one rule ``rule_id`` over AWSLogs/ with ``rule_blocks``."""
    rule = block(
        "rule",
        f'id = "{rule_id}"',
        'status = "Enabled"',
        body=block("filter", 'prefix = "AWSLogs/"', indent="    ") + "".join(rule_blocks),
    )
    return (
        'resource "aws_s3_bucket_lifecycle_configuration" "cloudtrail" {\n'
        "  bucket = aws_s3_bucket.cloudtrail.id\n" + rule + "}"
    )


def transition(days: int, storage_class: str) -> str:
    """A lifecycle rule's transition of current objects to ``storage_class`` after ``days``."""
    return block("transition", f"days = {days}", f'storage_class = "{storage_class}"', indent="    ")


def put_advanced_selectors(name: str, *fields: tuple[str, list[str]]) -> str:
    """The CLI call giving the trail its management events plus the advanced selector ``name``,
    whose ``fields`` are (field, the values it must equal) in the selector's order."""
    selectors: list[dict[str, Any]] = [
        {"Name": "Management events", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
        {"Name": name, "FieldSelectors": [{"Field": f, "Equals": v} for f, v in fields]},
    ]
    return (
        "aws cloudtrail put-advanced-event-selectors --trail-name org-trail "
        f"--advanced-event-selectors '{json.dumps(selectors, separators=(',', ':'))}'"
    )

"""Amazon Resource Names: the one place an ARN is split into its fields.

``arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE``: the resource part may itself hold
colons (``log-group:NAME:*``) or a slash (``trail/NAME``), so only the first five
colons separate fields.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Region (and resource id) of things that are not regional: an account-wide verdict.
GLOBAL = "global"


@dataclass(frozen=True)
class Arn:
    """The five fields of an ARN."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    @classmethod
    def parse(cls, text: str) -> Arn:
        """The fields of ``text``; ValueError when it is not an ARN."""
        arn = parse_arn(text)
        if arn is None:
            raise ValueError(f"not an ARN: {text!r}")
        return arn

    @property
    def resource_name(self) -> str:
        """What follows the resource type: ``trail/NAME`` -> NAME ('' without a slash)."""
        return self.resource.partition("/")[2]


def parse_arn(text: str) -> Arn | None:
    """The fields of ``text``, or None when it is not an ARN (six colon-separated fields)."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])


def arn_part(arn: str, index: int) -> str:
    """Field ``index`` of an ARN (1 partition, 2 service, 3 region, 4 account), '' if absent.

    Lenient: a truncated ARN (``arn:aws:iam::*``) still gives its leading fields.
    """
    parts = arn.split(":", 5)
    return parts[index] if arn.startswith("arn:") and len(parts) > index else ""


def partition_of(arn: str | None, default: str = "aws") -> str:
    """The partition of ``arn`` (``aws``, ``aws-cn``, ``aws-us-gov``), ``default`` if none."""
    return arn_part(arn or "", 1) or default


def log_group_name(arn: Arn) -> str | None:
    """``...:log-group:NAME`` or ``...:log-group:NAME:*`` -> NAME; None otherwise."""
    kind, _, rest = arn.resource.partition(":")
    if kind != "log-group" or not rest:
        return None
    return rest[:-2] if rest.endswith(":*") else rest

"""What a trail's event selectors record: pure functions over :class:`EventSelectors`.

CloudTrail has two selector dialects. Basic selectors name a ReadWriteType,
whether management events are included, excluded management event sources and
data resources. Advanced selectors are lists of field conditions that are all
ANDed; a trail records an event when any selector matches it.

Every function here errs towards *less* coverage when a selector says
something it cannot evaluate exactly (an unknown field, an odd operator): a
check built on it may then FAIL a trail that in fact records everything, but it
can never PASS a trail that does not. That is the product's promise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from auditor.model.snapshot import (
    AdvancedEventSelector,
    BasicEventSelector,
    EventSelectors,
    FieldSelector,
)

#: The label used for "every event source not named by any selector".
OTHER_SOURCES = "all other event sources"

_S3_OBJECT = "AWS::S3::Object"
_PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc")
#: Basic DataResources values that mean "every bucket" (the documented forms).
_ALL_BUCKETS_VALUE = re.compile(r"^arn:aws(?:-[a-z]+)*:s3(?::{1,3})?$")
# A probe value that no real prefix or suffix condition can match.
_PROBE_OTHER = "\x00other"


# --------------------------------------------------------------------------- field matching


def field_matches(fs: FieldSelector, value: str) -> bool:
    """Whether ``value`` satisfies every operator of one field selector.

    Values within one operator are ORed; operators are ANDed (AWS documents
    multiple operators on one field as all having to hold).
    """
    if fs.equals and value not in fs.equals:
        return False
    if fs.starts_with and not any(value.startswith(p) for p in fs.starts_with):
        return False
    if fs.ends_with and not any(value.endswith(s) for s in fs.ends_with):
        return False
    if value in fs.not_equals:
        return False
    if any(value.startswith(p) for p in fs.not_starts_with):
        return False
    return not any(value.endswith(s) for s in fs.not_ends_with)


def _fields(selector: AdvancedEventSelector) -> dict[str, list[FieldSelector]]:
    out: dict[str, list[FieldSelector]] = {}
    for fs in selector.field_selectors:
        out.setdefault(fs.field, []).append(fs)
    return out


def _all_match(conditions: Sequence[FieldSelector], value: str) -> bool:
    return all(field_matches(fs, value) for fs in conditions)


def _read_write(conditions: Sequence[FieldSelector] | None) -> tuple[bool, bool]:
    """(records read events, records write events) under readOnly conditions; absent = both."""
    if not conditions:
        return True, True
    return _all_match(conditions, "true"), _all_match(conditions, "false")


def _values(conditions: Iterable[FieldSelector]) -> set[str]:
    vals: set[str] = set()
    for fs in conditions:
        for group in (fs.equals, fs.starts_with, fs.ends_with, fs.not_equals, fs.not_starts_with, fs.not_ends_with):
            vals.update(group)
    return vals


# --------------------------------------------------------------------------- management events


@dataclass(frozen=True)
class ManagementCoverage:
    """Which management events a trail's selectors record.

    ``read``/``write``: at least some read (write) management events are
    recorded. ``read_gaps``/``write_gaps``: event sources whose read (write)
    events are not recorded (``OTHER_SOURCES`` when a selector only records
    named sources). ``unevaluated``: conditions this module cannot evaluate,
    which therefore count as gaps.
    """

    read: bool
    write: bool
    read_gaps: tuple[str, ...] = ()
    write_gaps: tuple[str, ...] = ()
    unevaluated: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """Read and write management events from every source are recorded."""
        return self.read and self.write and not self.read_gaps and not self.write_gaps and not self.unevaluated

    @property
    def any(self) -> bool:
        """Some management events are recorded."""
        return self.read or self.write

    @property
    def excluded_sources(self) -> tuple[str, ...]:
        """Sources missing for read or write events (only meaningful when some are recorded)."""
        return tuple(sorted(set(self.read_gaps) | set(self.write_gaps)))

    def describe(self) -> str:
        """One human sentence: what is missing, or that nothing is."""
        if self.complete:
            return "records read and write management events from all sources"
        if not self.any:
            return "records no management events"
        parts: list[str] = []
        if not self.read:
            parts.append("records no read management events")
        elif self.read_gaps:
            parts.append("does not record read events from " + ", ".join(self.read_gaps))
        if not self.write:
            parts.append("records no write management events")
        elif self.write_gaps:
            parts.append("does not record write events from " + ", ".join(self.write_gaps))
        if self.unevaluated:
            parts.append(
                "has selector conditions that cannot be proven to record everything: " + "; ".join(self.unevaluated)
            )
        return "; ".join(parts)

    def as_evidence(self) -> dict[str, object]:
        """A JSON-ready summary for a result's evidence."""
        return {
            "read": self.read,
            "write": self.write,
            "read_gaps": list(self.read_gaps),
            "write_gaps": list(self.write_gaps),
            "unevaluated": list(self.unevaluated),
            "complete": self.complete,
        }


@dataclass(frozen=True)
class _MgmtRule:
    """One selector reduced to a predicate over (event source, read-only)."""

    read: bool
    write: bool
    source_conditions: tuple[FieldSelector, ...] = ()
    excluded: tuple[str, ...] = ()
    unevaluated: tuple[str, ...] = ()

    def covers(self, source: str, read_only: bool) -> bool:
        if not (self.read if read_only else self.write):
            return False
        if source in self.excluded:
            return False
        return _all_match(self.source_conditions, source)


def _basic_mgmt_rule(sel: BasicEventSelector) -> _MgmtRule | None:
    if not sel.include_management_events:
        return None
    rw = sel.read_write_type
    unevaluated: tuple[str, ...] = ()
    if rw not in ("All", "ReadOnly", "WriteOnly"):
        unevaluated = (f"unknown ReadWriteType {rw!r}",)
    return _MgmtRule(
        read=rw in ("All", "ReadOnly"),
        write=rw in ("All", "WriteOnly"),
        excluded=tuple(sel.exclude_management_event_sources),
        unevaluated=unevaluated,
    )


def _advanced_mgmt_rule(sel: AdvancedEventSelector) -> _MgmtRule | None:
    fields = _fields(sel)
    category = fields.pop("eventCategory", None)
    if not category or not _all_match(category, "Management"):
        return None
    read, write = _read_write(fields.pop("readOnly", None))
    sources = tuple(fields.pop("eventSource", ()))
    label = sel.name or "unnamed selector"
    unevaluated = tuple(f"{label}: condition on {name}" for name in sorted(fields))
    return _MgmtRule(read=read, write=write, source_conditions=sources, unevaluated=unevaluated)


def management_coverage(selectors: EventSelectors) -> ManagementCoverage:
    """Which management events the selectors record (basic or advanced)."""
    rules = [r for r in (_basic_mgmt_rule(s) for s in selectors.basic) if r is not None]
    rules += [r for r in (_advanced_mgmt_rule(s) for s in selectors.advanced) if r is not None]
    candidates = {_PROBE_OTHER}
    for rule in rules:
        candidates.update(rule.excluded)
        candidates.update(_values(rule.source_conditions))
    clean = [r for r in rules if not r.unevaluated]

    def label(src: str) -> str:
        return OTHER_SOURCES if src == _PROBE_OTHER else src

    def gaps(read_only: bool) -> tuple[str, ...]:
        missing = [label(c) for c in candidates if not any(r.covers(c, read_only) for r in clean)]
        return tuple(sorted(missing))

    read = any(r.covers(c, True) for r in rules for c in candidates)
    write = any(r.covers(c, False) for r in rules for c in candidates)
    unevaluated = tuple(u for r in rules for u in r.unevaluated)
    return ManagementCoverage(
        read=read,
        write=write,
        read_gaps=gaps(True) if read else (),
        write_gaps=gaps(False) if write else (),
        unevaluated=unevaluated,
    )


# --------------------------------------------------------------------------- S3 data events


@dataclass(frozen=True)
class S3DataCoverage:
    """Whether S3 object-level read/write events are recorded for *all* buckets.

    ``partial`` explains selectors that record S3 object events only for some
    buckets or some events: they do not count, but an auditor wants to see them.
    """

    read: bool
    write: bool
    partial: tuple[str, ...] = ()

    def as_evidence(self) -> dict[str, object]:
        """A JSON-ready summary for a result's evidence."""
        return {"read_all_buckets": self.read, "write_all_buckets": self.write, "partial": list(self.partial)}


def is_all_buckets_value(value: str) -> bool:
    """A basic DataResources value that selects every bucket ("arn:aws:s3", "arn:aws:s3:::")."""
    return bool(_ALL_BUCKETS_VALUE.match(value))


def _starts_with_cover(conditions: Sequence[FieldSelector], covers: Callable[[str], bool]) -> bool:
    """resources.ARN conditions that are StartsWith only, each with a value ``covers`` accepts."""
    for fs in conditions:
        if fs.equals or fs.ends_with or fs.not_equals or fs.not_starts_with or fs.not_ends_with:
            return False
        if not fs.starts_with:
            return False
        if not any(covers(v) for v in fs.starts_with):
            return False
    return True


def _arn_covers_all_buckets(conditions: Sequence[FieldSelector]) -> bool:
    """resources.ARN conditions that every S3 object ARN satisfies."""
    return _starts_with_cover(
        conditions,
        lambda v: is_all_buckets_value(v) or any(f"arn:{p}:s3:::".startswith(v) for p in _PARTITIONS),
    )


def _listed(values: Sequence[str]) -> str:
    """The first five values of a basic selector, and "..." when there are more."""
    return ", ".join(values[:5]) + (" ..." if len(values) > 5 else "")


def _unrestricted_data_selectors(
    selectors: EventSelectors,
    resource_type: str,
    event_source: str,
    arn_covers_all: Callable[[Sequence[FieldSelector]], bool],
    what: str,
    partial: list[str],
) -> Iterator[tuple[str, bool, bool]]:
    """(label, read, write) of each advanced selector that records ``resource_type`` data events for every resource.

    A selector that records them for some resources (``resources.ARN``, or a
    condition on another field) is noted in ``partial`` instead; ``what`` names
    the resources in that note.
    """
    for adv in selectors.advanced:
        fields = _fields(adv)
        label = adv.name or "unnamed advanced selector"
        category = fields.pop("eventCategory", None)
        rtype = fields.pop("resources.type", None)
        if not category or not _all_match(category, "Data"):
            continue
        if not rtype or not _all_match(rtype, resource_type):
            continue
        r, w = _read_write(fields.pop("readOnly", None))
        source = fields.pop("eventSource", None)
        if source and not _all_match(source, event_source):
            continue
        arn = fields.pop("resources.ARN", None)
        restrictions: list[str] = []
        if arn and not arn_covers_all(arn):
            restrictions.append(f"resources.ARN limits the {what}")
        restrictions.extend(f"condition on {name}" for name in sorted(fields))
        if restrictions:
            partial.append(f"{label}: " + "; ".join(restrictions))
            continue
        yield label, r, w


def s3_data_coverage(selectors: EventSelectors) -> S3DataCoverage:
    """Whether the selectors record S3 object read/write data events for all buckets."""
    read = write = False
    partial: list[str] = []
    for sel in selectors.basic:
        rw = sel.read_write_type
        for res in sel.data_resources:
            if res.type != _S3_OBJECT:
                continue
            if any(is_all_buckets_value(v) for v in res.values):
                read = read or rw in ("All", "ReadOnly")
                write = write or rw in ("All", "WriteOnly")
            else:
                partial.append("basic selector: S3 objects of " + _listed(res.values))
    advanced = _unrestricted_data_selectors(
        selectors, _S3_OBJECT, "s3.amazonaws.com", _arn_covers_all_buckets, "buckets", partial
    )
    for _label, r, w in advanced:
        read = read or r
        write = write or w
    return S3DataCoverage(read=read, write=write, partial=tuple(partial))


# --------------------------------------------------------------------------- other data events


@dataclass(frozen=True)
class DataResourceKind:
    """One data-event resource type and the forms that select every resource of it.

    ``service`` is the ARN service part ("lambda", "dynamodb"); a basic
    DataResources value ``arn:<partition>:<service>`` (optionally followed by ``:``)
    selects every resource, and an advanced ``resources.ARN`` StartsWith passes
    when every such ARN in every region and account starts with it.
    """

    resource_type: str
    service: str
    event_source: str
    label: str

    def all_resources_value(self, value: str) -> bool:
        """A basic DataResources value meaning "every resource of this type"."""
        return any(value in (f"arn:{p}:{self.service}", f"arn:{p}:{self.service}:") for p in _PARTITIONS)

    def arn_covers_all(self, conditions: Sequence[FieldSelector]) -> bool:
        """resources.ARN conditions that every ARN of this type satisfies."""
        return _starts_with_cover(
            conditions, lambda v: any(f"arn:{p}:{self.service}:".startswith(v) for p in _PARTITIONS)
        )


LAMBDA_FUNCTIONS = DataResourceKind("AWS::Lambda::Function", "lambda", "lambda.amazonaws.com", "Lambda functions")
DYNAMODB_TABLES = DataResourceKind("AWS::DynamoDB::Table", "dynamodb", "dynamodb.amazonaws.com", "DynamoDB tables")


@dataclass(frozen=True)
class DataCoverage:
    """Whether read and write data events of one resource kind are recorded for every resource.

    Read and write are judged separately, so a read-only selector and a
    write-only one together give full coverage, and either alone does not.
    ``partial`` explains selectors that record only some resources or events.
    """

    read: bool
    write: bool
    partial: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """Read and write events for every resource."""
        return self.read and self.write

    def as_evidence(self) -> dict[str, object]:
        """A JSON-ready summary for a result's evidence."""
        return {"read_all": self.read, "write_all": self.write, "partial": list(self.partial)}


def data_coverage(selectors: EventSelectors, kind: DataResourceKind) -> DataCoverage:
    """Whether the selectors record ``kind``'s read and write data events for all resources."""
    read = write = False
    partial: list[str] = []
    for sel in selectors.basic:
        rw = sel.read_write_type
        for res in sel.data_resources:
            if res.type != kind.resource_type:
                continue
            if any(kind.all_resources_value(v) for v in res.values):
                read = read or rw in ("All", "ReadOnly")
                write = write or rw in ("All", "WriteOnly")
                if rw not in ("All", "ReadOnly", "WriteOnly"):
                    partial.append(f"basic selector: unknown ReadWriteType {rw!r}")
                elif rw != "All":
                    partial.append(f"basic selector: {kind.label}, {rw} only")
            else:
                partial.append(f"basic selector: {kind.label} " + _listed(res.values))
    advanced = _unrestricted_data_selectors(
        selectors, kind.resource_type, kind.event_source, kind.arn_covers_all, kind.label, partial
    )
    for label, r, w in advanced:
        if r != w:
            partial.append(f"{label}: {'read' if r else 'write'} events only")
        read = read or r
        write = write or w
    return DataCoverage(read=read, write=write, partial=tuple(partial))


def network_activity_sources(selectors: EventSelectors) -> tuple[str, ...]:
    """Event sources whose network activity events (VPC endpoint) the advanced selectors record.

    A selector with ``eventCategory`` NetworkActivity must name its event
    sources (``eventSource`` Equals); other conditions (``errorCode``,
    ``vpcEndpointId``) narrow it but it still records something, so its
    sources are listed. Basic selectors cannot record network activity.
    """
    sources: set[str] = set()
    for adv in selectors.advanced:
        fields = _fields(adv)
        category = fields.get("eventCategory")
        if not category or not _all_match(category, "NetworkActivity"):
            continue
        for fs in fields.get("eventSource", ()):
            sources.update(fs.equals)
    return tuple(sorted(sources))

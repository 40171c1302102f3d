"""Two-tier reading of one CloudTrail file: a slim typed decode of every record,
a full parse only of the records some rule could match.

Building a Python dict for every field of every event (a full ``orjson``
parse) costs several times the decompression itself, yet the aggregations
need a dozen fields and the rules can only match a small, known set of events.
So each file is first decoded with msgspec into :class:`SlimRecord` (only the
hot fields; every other field is skipped by the C parser without building
objects), and only records passing a cheap necessary condition of some rule
(:class:`Plan`: their eventName, eventSource or userIdentity.type, an error
code) are parsed in full and handed to the reference pass
:func:`~auditor.logs.aggregate.process_events`, in file order.

Equivalence with the reference path (``parse.decode`` + ``process_events``)
is the contract, held by tests over every fixture. Whenever the fast path
cannot vouch for it (not ``{"Records": [...]}``, a record that is not an
object or lacks a string eventTime/eventName/eventSource, an eventTime that is not
a CloudTrail time, a key string longer than the clip bound, a log forwarder's
envelope key, a field of an unexpected type, invalid UTF-8, a full record that
orjson rejects), :func:`read_fast` returns None and the caller runs the
reference path, which reports the problem exactly as before.

Known, deliberate difference: a file that is valid JSON but which orjson
refuses only in a field the slim decode skips (nesting deeper than 1024
levels, a number overflowing a double) is read by the fast path instead of
being reported as invalid JSON.
"""

from __future__ import annotations

import heapq
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import chain, compress, count, groupby
from operator import attrgetter, itemgetter
from typing import Any

import msgspec
import orjson

from auditor.logs import sigma as sigma_mod
from auditor.logs.aggregate import (
    SAMPLES,
    Bucket,
    Matcher,
    Params,
    Partial,
    bucket_for,
    count_error,
    process_events,
    sample_of,
)
from auditor.logs.definitions import (
    READ_PREFIXES as _READ_PREFIXES,  # the write rule inlined below is definitions.is_write
)
from auditor.logs.parse import CLIP, EVENT_TIME, parse_file_name, valid_time
from auditor.logs.prefilter import SLIM_IDENTITY, SLIM_TOP, Plan, build_plan, necessary, relax
from auditor.semantics import filterpattern

__all__ = ["Plan", "build_plan", "necessary", "read_fast", "relax"]

_UNSET = msgspec.UNSET
_Absent = msgspec.UnsetType


class SlimIdentity(msgspec.Struct, gc=False):
    """The userIdentity field the pre-filters read (its type: a list or object declines the file)."""

    type: str | None = None


class SlimRecord(msgspec.Struct, gc=False, kw_only=True):
    """The hot fields of one CloudTrail record; all others are skipped unparsed.

    Fields are typed as CloudTrail writes them: a record that differs (no
    eventTime, a numeric region, a list as userIdentity.type) fails
    validation and sends the whole file to the reference path, which judges
    it. The forwarder envelope keys are typed :class:`msgspec.UnsetType`,
    which no JSON value satisfies: their mere presence does the same (the
    reference path unwraps such records). The fields only a sample shows
    (principal, source IP, user agent) are read later from the kept records'
    bytes (:class:`SampleRecord`), for the few events a sample is kept of.

    The fields are declared in the order CloudTrail writes them: msgspec looks
    each key up from the field after the last one found, so this order finds
    every known key at the first probe (measured: the decode costs 17% less
    than in alphabetical-ish order).
    """

    userIdentity: SlimIdentity | None = None
    eventTime: str
    eventSource: str
    eventName: str
    awsRegion: str | None = None
    errorCode: Any = None
    readOnly: bool | str | None = None
    eventType: str | None = None
    recipientAccountId: str | None = None
    # definitions.FORWARDER_KEYS: present => not a plain CloudTrail record
    evt: _Absent = _UNSET
    http: _Absent = _UNSET
    network: _Absent = _UNSET
    ddsource: _Absent = _UNSET
    ddtags: _Absent = _UNSET
    aws: _Absent = _UNSET
    at_timestamp: _Absent = msgspec.field(default=_UNSET, name="@timestamp")
    at_version: _Absent = msgspec.field(default=_UNSET, name="@version")
    # parse.EVENTBRIDGE_KEY: an EventBridge envelope, read from its detail by the reference path
    detail_type: _Absent = msgspec.field(default=_UNSET, name="detail-type")


class WideIdentity(SlimIdentity, gc=False):
    arn: Any = None
    principalId: Any = None
    accountId: Any = None


class WideRecord(SlimRecord, gc=False):
    """A slim record with every field a relaxed Sigma condition may read (:func:`slim_view`).

    Decoding the extra strings of every record costs about half the slim
    decode again, so it is used only when the plan has residual conditions.
    """

    sourceIPAddress: Any = None
    userAgent: Any = None
    eventID: Any = None
    userIdentity: WideIdentity | None = None


class SampleIdentity(msgspec.Struct, gc=False):
    type: Any = None
    principalId: Any = None
    arn: Any = None


class SampleRecord(msgspec.Struct, gc=False):
    """What :func:`auditor.logs.aggregate.sample` reads from one kept record's bytes (in CloudTrail's order)."""

    userIdentity: SampleIdentity | None = None
    eventTime: Any = None
    eventSource: Any = None
    eventName: Any = None
    awsRegion: Any = None
    sourceIPAddress: Any = None
    userAgent: Any = None
    errorCode: Any = None
    eventID: Any = None


class _SlimFile(msgspec.Struct, gc=False):
    Records: list[SlimRecord]


class _WideFile(msgspec.Struct, gc=False):
    Records: list[WideRecord]


class _RawFile(msgspec.Struct, gc=False):
    Records: list[msgspec.Raw]


_SLIM = msgspec.json.Decoder(_SlimFile)
_WIDE = msgspec.json.Decoder(_WideFile)
_RAW = msgspec.json.Decoder(_RawFile)
_SAMPLE = msgspec.json.Decoder(SampleRecord)


def slim_view(r: WideRecord) -> dict[str, Any]:
    """The wide record as an event dict for :func:`auditor.logs.sigma.evaluate` (nulls left out)."""
    view: dict[str, Any] = {}
    for k in SLIM_TOP:
        v = getattr(r, k)
        if v is not None:
            view[k] = v
    ident = r.userIdentity
    if ident is not None:
        view["userIdentity"] = {k: getattr(ident, k) for k in SLIM_IDENTITY if getattr(ident, k) is not None}
    return view


#: Key of a sample placeholder: the record's index in the file, until :func:`_fill_samples`.
_PENDING = "\x00pending"


def _placeholder(t: str, i: int) -> dict[str, Any]:
    """A kept sample's eventTime and where its record is; filled before any trim sorts it."""
    return {"eventTime": t, _PENDING: i}


def _sample_of(s: SampleRecord, path: str) -> dict[str, Any]:
    """:func:`auditor.logs.aggregate.sample` of a decoded :class:`SampleRecord`."""
    ident = s.userIdentity
    principal = None if ident is None else ident.arn or ident.principalId or ident.type
    return sample_of(
        s.eventTime,
        s.eventName,
        s.eventSource,
        principal,
        s.sourceIPAddress,
        s.userAgent,
        s.awsRegion,
        s.eventID,
        s.errorCode,
        path,
    )


def _fill_samples(part: Partial, raws: list[msgspec.Raw], path: str) -> None:
    """Replace the placeholders the pass kept (after trimming: only the earliest remain) by samples."""
    for buckets in (part.rules.values(), part.writes.values()):
        for b in buckets:
            evs = b.events
            for j, s in enumerate(evs):
                at = s.get(_PENDING)
                if at is not None:
                    evs[j] = _sample_of(_SAMPLE.decode(raws[at]), path)


#: Error records of one group: (account, region, their indices in the file).
_Errors = tuple[str, str, list[int]]


def _slim_error(err: Any, plan: Plan) -> bool:
    """Whether an error record (``err``: its truthy errorCode) is judged without the full parse.

    Only a string errorCode, and only when the plan allows it (:attr:`Plan.slim_errors`).
    """
    return plan.slim_errors and type(err) is str


def _error_view(s: SampleRecord) -> dict[str, Any]:
    """A decoded sample record as the event :func:`~auditor.logs.aggregate.count_error` reads."""
    ident = s.userIdentity
    return {
        "userIdentity": None
        if ident is None
        else {"type": ident.type, "principalId": ident.principalId, "arn": ident.arn},
        "eventTime": s.eventTime,
        "eventSource": s.eventSource,
        "eventName": s.eventName,
        "awsRegion": s.awsRegion,
        "sourceIPAddress": s.sourceIPAddress,
        "userAgent": s.userAgent,
        "errorCode": s.errorCode,
        "eventID": s.eventID,
    }


def _count_errors(
    part: Partial, raws: list[msgspec.Raw], errors: list[_Errors], path: str, matcher: Matcher, prior: Partial | None
) -> None:
    """The error and access-denied counts of the error records not parsed in full.

    Each is decoded into its sample fields only and judged by the reference's
    :func:`~auditor.logs.aggregate.count_error`; its counts and samples in its
    group's buckets were taken with the group's.
    """
    prior_denied = None if prior is None else prior.denied_samples
    for acct, region, at in errors:
        for i in at:
            ev = _error_view(_SAMPLE.decode(raws[i]))
            count_error(part, ev, ev["errorCode"], (acct, region), ev["eventTime"], path, matcher.denied, prior_denied)


class _Decline(Exception):
    """The fast path cannot vouch for this file: the reference path reads it."""


class _Group:
    """Records sharing every slim field a decision reads: they are judged once, counted together."""

    __slots__ = ("at", "count", "full", "sinks")

    def __init__(self, full: bool, count: tuple[str, str, str | None], sinks: tuple[_Sink, ...]) -> None:
        self.full = full
        #: (account, region, eventName of a write or None): what the hourly counts are keyed by
        self.count = count
        #: buckets each member feeds a sample to
        self.sinks = sinks
        #: indices (in the file) of the members judged here, in file order
        self.at: list[int] = []


#: A bucket a group's members go to: (write bucket?, its key in Partial.writes or Partial.rules).
_Sink = tuple[bool, tuple[str, ...]]
_GroupKey = tuple[str, str | None, str | None, bool | str | None, str | None, str, str | None]


def _group(k: _GroupKey, plan: Plan) -> _Group:
    """What the reference pass would do with any record of these slim fields (no errorCode, no residual)."""
    name, acct, region, ro, etype, src, utype = k
    if len(name) > CLIP or (acct is not None and len(acct) > CLIP) or (region is not None and len(region) > CLIP):
        raise _Decline  # keys the reference path clips (parse.clip)
    write = (ro is False or ro == "false" or (ro is None and not name.startswith(_READ_PREFIXES))) and (
        etype != "AwsServiceEvent"
    )
    full = (
        name in plan.names
        or name.lower() in plan.names_lower
        # a record without its own scope is placed by fields the slim record lacks
        or not acct
        or not region
        or (bool(plan.sources_lower) and src.lower() in plan.sources_lower)
        or (utype is not None and (utype in plan.types or utype.lower() in plan.types_lower))
    )
    if full:
        return _Group(True, ("", "", None), ())
    assert acct is not None and region is not None
    sinks: list[_Sink] = []
    ev = {"eventName": name, "eventSource": src}
    # rules judged on eventName/eventSource alone (aggregate.process_events, same order)
    for rule_id, pattern in plan.slim_rules.get(name, ()):
        if pattern is None or filterpattern.matches(pattern, ev):
            sinks.append((False, (rule_id, acct, region, "")))
    if write:
        sinks.append((True, (acct, region)))
    return _Group(False, (acct, region, name if write else None), tuple(sinks))


def read_fast(
    path: str,
    data: bytes | bytearray,
    params: Params,
    matcher: Matcher,
    plan: Plan,
    prior: Partial | None = None,
) -> Partial | None:
    """One file's partial aggregates from its JSON bytes, or None: use the reference path.

    Records are grouped by the slim fields the decisions read (:class:`_Group`):
    each group is judged once, and its members are counted per hour and
    sampled (the earliest few, as :class:`~auditor.logs.aggregate.Bucket`
    keeps them) after the pass. The grouping runs in C loops over the whole
    file (:func:`_by_columns`) when every record lies in the window, else record by
    record (:func:`_by_records`). The returned partial is trimmed (:meth:`Partial.trim`).

    ``prior`` is the partial this one will be merged into (the worker's batch so far):
    a bucket of it already holding its earliest samples keeps none later than its
    cutoff (:meth:`Bucket.merge`), so no sample is built for those here
    (:func:`~auditor.logs.aggregate.bucket_for`).
    """
    if plan.all_full:
        return None
    if not data.isascii():
        try:
            data.decode("utf-8")  # msgspec does not validate the strings it skips
        except UnicodeDecodeError:
            return None
    residual = plan.residual
    try:
        recs: Sequence[SlimRecord] = _WIDE.decode(data).Records if residual else _SLIM.decode(data).Records
    except (msgspec.DecodeError, RecursionError):
        return None
    times: list[str] = list(map(_TIME, recs))
    distinct = set(times)
    lo, hi = (min(distinct), max(distinct)) if distinct else ("", "")
    groups: list[_Group] = []
    errors: list[_Errors] = []
    outside = 0
    try:
        full_at = None
        if not residual and params.since <= lo and hi < params.until:
            if not _valid_times(distinct, lo, hi):
                return None  # a malformed record: the reference path reports it
            full_at = _by_columns(recs, plan, groups, errors)
        if full_at is None:
            groups.clear()
            errors.clear()
            got = _by_records(recs, params, plan, groups, errors)
            if got is None:
                return None
            full_at, outside = got
    except _Decline:
        return None
    part = Partial(files_read=1)
    fn = parse_file_name(path)
    if fn.account_id and fn.region and fn.stamp:
        part.file_hours.setdefault((fn.account_id, fn.region), set()).add(fn.stamp[:13])
    one_hour = lo[:13] if lo[:13] == hi[:13] else None
    pending = _count_and_sample(part, times, groups, one_hour, prior)
    part.events_outside_window += outside
    if full_at or pending or errors:
        try:
            raws = _RAW.decode(data).Records
            if len(raws) != len(recs):
                return None
            _count_errors(part, raws, errors, path, matcher, prior)
            if pending:  # before any trim: samples are ordered by all their fields
                _fill_samples(part, raws, path)
        except (msgspec.DecodeError, RecursionError):
            return None
        if full_at:
            try:
                evs = [orjson.loads(memoryview(raws[i])) for i in full_at]
            except orjson.JSONDecodeError:
                return None
            process_events(part, path, evs, params, matcher, fn, prior)
    return part.trim()


_TIME = attrgetter("eventTime")
#: The slim fields a group shares (:data:`_GroupKey`) and the errorCode (any error: full parse).
_KEY = attrgetter(
    "eventName",
    "recipientAccountId",
    "awsRegion",
    "readOnly",
    "eventType",
    "eventSource",
    "userIdentity.type",
    "errorCode",
)
_DAY = itemgetter(slice(0, 10))


def _valid_times(distinct: set[str], lo: str, hi: str) -> bool:
    """:func:`~auditor.logs.parse.valid_time` of every (distinct) eventTime, checked at once.

    ``lo`` and ``hi`` are the least and the greatest of them.
    """
    if set(map(len, distinct)) != {20}:
        return False
    if _EVENT_TIMES.fullmatch("".join(distinct)) is None:  # 20 characters each: one match per time
        return False
    # of times of one form, those between two of one day are of that day (most files hold one)
    days = {lo[:10]} if lo[:10] == hi[:10] else set(map(_DAY, distinct))
    return all(valid_time(d + "T00:00:00Z") for d in days if d[8:] >= "29" or d[:4] == "0000")


_EVENT_TIMES = re.compile(f"(?:{EVENT_TIME.pattern})*")


def _by_columns(
    recs: Sequence[SlimRecord], plan: Plan, groups: list[_Group], errors: list[_Errors] | None = None
) -> list[int] | None:
    """Group every record with C loops only; the indices of the records to parse in full (file order).

    Each distinct key gets the index of its first record as its id
    (``dict.setdefault`` over the keys), the ids sorted stably bring each
    group's members together in file order, and Python runs once per group.
    None when a key cannot be built (a null userIdentity, an unhashable
    errorCode): :func:`_by_records` judges such a file. The error records of
    groups judged here go to ``errors`` as well (:func:`_slim_error`).
    """
    first: dict[tuple[Any, ...], int] = {}
    try:
        gids = list(map(first.setdefault, map(_KEY, recs), count()))
    except (AttributeError, TypeError):
        return None
    full: list[int] = []
    order = sorted(range(len(gids)), key=gids.__getitem__)
    verdicts = {gid: _group(k[:7], plan) for k, gid in first.items()}
    slim = errors is not None
    is_error = {gid: slim and _slim_error(k[7], plan) for k, gid in first.items() if k[7]}
    for gid, members in groupby(order, gids.__getitem__):
        g = verdicts[gid]
        slim_error = is_error.get(gid)
        if g.full or slim_error is False:
            full.extend(members)
        else:
            g.at = list(members)
            groups.append(g)
            if slim_error and errors is not None:
                errors.append((g.count[0], g.count[1], g.at))
    full.sort()
    return full


def _by_records(
    recs: Sequence[SlimRecord], params: Params, plan: Plan, out: list[_Group], errors: list[_Errors]
) -> tuple[list[int], int] | None:
    """Group the records one by one (window edges, residual Sigma conditions); None: a malformed record.

    The records to parse in full (file order) and the number outside the window;
    the error records judged on their sample fields go to ``errors`` (:func:`_slim_error`).
    """
    since, until = params.since, params.until
    groups: dict[_GroupKey, _Group] = {}
    ok_times: set[str] = set()
    full_at: list[int] = []
    outside = 0
    residual = plan.residual
    evaluate = sigma_mod.evaluate
    for i, r in enumerate(recs):
        t = r.eventTime
        if t not in ok_times:
            if not valid_time(t):
                return None  # a malformed record: the reference path reports it
            ok_times.add(t)
        if t < since or t >= until:
            outside += 1
            continue
        ident = r.userIdentity
        k = (
            r.eventName,
            r.recipientAccountId,
            r.awsRegion,
            r.readOnly,
            r.eventType,
            r.eventSource,
            None if ident is None else ident.type,
        )
        g = groups.get(k)
        if g is None:
            g = groups[k] = _group(k, plan)
        err = r.errorCode
        if g.full or (err and not _slim_error(err, plan)):
            full_at.append(i)
            continue
        if residual:
            assert isinstance(r, WideRecord)
            view = slim_view(r)
            if any(evaluate(node, view) for node in residual):
                full_at.append(i)
                continue
        if err:
            errors.append((g.count[0], g.count[1], [i]))
        g.at.append(i)
    out.extend(groups.values())
    return full_at, outside


def _earliest(at: list[int], times: list[str]) -> list[int]:
    """The SAMPLES earliest of ``at`` by eventTime, and every other record of the last one's time.

    Records of one time are ordered by the rest of their samples (eventID
    first: :func:`~auditor.logs.aggregate.keep_earliest`), which placeholders
    do not hold: all of them are kept, and the trim after the samples are filled decides.
    """
    first = heapq.nsmallest(SAMPLES, at, key=times.__getitem__)
    edge = times[first[-1]]
    tied = list(map(times.__getitem__, at)).count(edge)
    if tied == list(map(times.__getitem__, first)).count(edge):
        return first  # no record left out shares the last one's time
    chosen = set(first)
    return first + [i for i in at if times[i] == edge and i not in chosen]


def _count_and_sample(
    part: Partial,
    times: list[str],
    groups: Iterable[_Group],
    one_hour: str | None,
    prior: Partial | None = None,
) -> bool:
    """Fold the groups' members into the partial, as the reference does record by record.

    Per (scope, hour, write API) counts feed the days, event hours and hourly
    write counts (``one_hour``: the hour of every record of the file, when they share one);
    each bucket a group feeds gets its count and a placeholder for
    each of its earliest members (filled by :func:`_fill_samples`), none later
    than the bucket's cutoff (from ``prior``: :func:`~auditor.logs.aggregate.bucket_for`).
    Whether any placeholder was kept.
    """
    counts: Counter[tuple[tuple[str, str, str | None], str]] = Counter()
    fed: dict[_Sink, list[list[int]]] = {}
    for g in groups:
        if not g.at:
            continue
        ck = g.count
        if one_hour is not None:
            counts[(ck, one_hour)] += len(g.at)
        else:
            # count whole eventTimes first (C code, hashes cached on the strings), then fold to hours
            for t, c in Counter(map(times.__getitem__, g.at)).items():
                counts[(ck, t[:13])] += c
        for sink in g.sinks:
            fed.setdefault(sink, []).append(g.at)
    days, event_hours, hourly = part.days, part.event_hours, part.hourly
    read = 0
    for ((acct, region, wname), hour), c in counts.items():
        ak = (acct, region)
        per_day = days.get(ak)
        if per_day is None:
            per_day = days[ak] = {}
            event_hours[ak] = set()
        event_hours[ak].add(hour)
        day = hour[:10]
        dc = per_day.get(day)
        if dc is None:
            dc = per_day[day] = [0, 0]
        dc[0] += c
        read += c
        if wname is not None:
            dc[1] += c
            hk = ("call", acct, region, wname)
            h = hourly.get(hk)
            if h is None:
                h = hourly[hk] = {}
            h[hour] = h.get(hour, 0) + c
    part.events_read += read

    kept = False
    for (is_write, key), lists in fed.items():
        at = lists[0] if len(lists) == 1 else sorted(chain.from_iterable(lists))  # file order
        into: dict[Any, Bucket] = part.writes if is_write else part.rules
        b = bucket_for(into, key, None if prior is None else prior.writes if is_write else prior.rules)
        b.total += len(at)
        cut = b.cutoff
        if cut is not None:  # only samples up to the cutoff can still enter the earliest
            at = list(compress(at, map(cut.__ge__, map(times.__getitem__, at))))
        if len(at) > SAMPLES:  # only the earliest can be kept: what Bucket.keep trims to
            at = _earliest(at, times)
            b.cutoff = times[at[SAMPLES - 1]]
        b.events.extend(_placeholder(times[i], i) for i in at)
        kept = kept or bool(at)
    return kept

"""One pass over the events: rule matches and aggregates, mergeable across files.

A :class:`Partial` holds everything the logs-* checks need from a set of files,
with memory bounded by the number of distinct keys (accounts, regions, hours,
principals, API names) and never by the number of events: each rule keeps a
count and its 50 earliest events. Workers build one Partial per file; the
parent merges them and turns the result into the evidence document
(:mod:`auditor.logs.document`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditor.logs import sigma as sigma_mod
from auditor.logs.definitions import (
    READ_PREFIXES as _READ_PREFIXES,  # the write rule inlined below is definitions.is_write
)
from auditor.logs.parse import (
    CLIP,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_VALUES,
    FileName,
    FileProblem,
    as_text,
    clip,
    get_path,
    parse_file_name,
)
from auditor.logs.rules import PREDICATES, RULES, Rule
from auditor.semantics import cis
from auditor.semantics.filterpattern import Pattern, compile_pattern, matches

SAMPLES = 50
PRINCIPAL_SAMPLES = 10
EVIDENCE_SCHEMA_VERSION = 1
_DENIED_EXCLUDED_IP = "delivery.logs.amazonaws.com"


@dataclass(frozen=True)
class Params:
    """Aggregation parameters (data, recorded in the evidence document)."""

    since: str
    until: str
    max_bytes: int = DEFAULT_MAX_BYTES
    max_values: int = DEFAULT_MAX_VALUES
    anomaly_k: float = 3.0
    anomaly_min_count: int = 20
    anomaly_min_hours: int = 24


def sample(event: dict[str, Any], path: str, resource: str | None = None) -> dict[str, Any]:
    """The fields an auditor needs to find one event again.

    Every value is :func:`~auditor.logs.parse.as_text`: text clipped to 2 KiB,
    other JSON values flattened to their clipped JSON text, so a sample costs a
    bounded size in the worker's pickled result, in the parent and in the
    results file, whatever the record holds.
    """
    ident = event.get("userIdentity")
    principal = None
    if isinstance(ident, dict):
        principal = ident.get("arn") or ident.get("principalId") or ident.get("type")
    get = event.get
    return sample_of(
        get("eventTime"),
        get("eventName"),
        get("eventSource"),
        principal,
        get("sourceIPAddress"),
        get("userAgent"),
        get("awsRegion"),
        get("eventID"),
        get("errorCode"),
        path,
        resource,
    )


def sample_of(
    t: Any,
    name: Any,
    source: Any,
    principal: Any,
    ip: Any,
    agent: Any,
    region: Any,
    eid: Any,
    error: Any,
    path: str,
    resource: str | None = None,
) -> dict[str, Any]:
    """:func:`sample` of the fields already taken from the event (the one definition of a sample).

    A string short enough is kept as it is without a call (what
    :func:`~auditor.logs.parse.as_text` returns for it): samples are built for
    a good share of the events read.
    """
    out: dict[str, Any] = {
        "eventTime": t if type(t) is str and len(t) <= CLIP else as_text(t),
        "eventName": name if type(name) is str and len(name) <= CLIP else as_text(name),
        "eventSource": source if type(source) is str and len(source) <= CLIP else as_text(source),
        "principal": principal if type(principal) is str and len(principal) <= CLIP else as_text(principal),
        "sourceIPAddress": ip if type(ip) is str and len(ip) <= CLIP else as_text(ip),
        "userAgent": agent if type(agent) is str and len(agent) <= CLIP else as_text(agent),
        "awsRegion": region if type(region) is str and len(region) <= CLIP else as_text(region),
        "eventID": eid if type(eid) is str and len(eid) <= CLIP else as_text(eid),
        "file": path,
    }
    if error:
        out["errorCode"] = as_text(error)
    if resource is not None:
        out["resource"] = resource
    return out


def _sample_key(s: dict[str, Any]) -> tuple[str, ...]:
    """The order of samples: by time and event id, then by file and the rest of the sample.

    A total order on the sample's content, so which samples are kept and in
    what order never depends on the order partials were merged in (workers
    finish in any order): CloudTrail delivers some events twice, in two files,
    with the same time and id.
    """
    get = s.get
    return (
        str(get("eventTime") or ""),
        str(get("eventID") or ""),
        str(get("file") or ""),
        str(get("eventName") or ""),
        str(get("eventSource") or ""),
        str(get("principal") or ""),
        str(get("sourceIPAddress") or ""),
        str(get("userAgent") or ""),
        str(get("awsRegion") or ""),
        str(get("errorCode") or ""),
        str(get("resource") or ""),
    )


def keep_earliest(samples: list[dict[str, Any]], limit: int = SAMPLES) -> list[dict[str, Any]]:
    """The ``limit`` earliest samples (:func:`_sample_key`), the same whatever the file and merge order."""
    samples.sort(key=_sample_key)
    del samples[limit:]
    return samples


@dataclass
class Bucket:
    """A count and its earliest events."""

    total: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    #: eventTime of the latest kept sample once the list has been trimmed: later events
    #: cannot enter the earliest-N, so no sample is even built for them.
    cutoff: str | None = None

    def wants(self, event_time: str) -> bool:
        """Count the event, and say whether its sample could be among the earliest."""
        self.total += 1
        return self.cutoff is None or event_time <= self.cutoff

    def keep(self, s: dict[str, Any], limit: int = SAMPLES) -> None:
        """Keep a sample (after :meth:`wants` said yes)."""
        self.events.append(s)
        if len(self.events) >= 2 * limit:
            keep_earliest(self.events, limit)
            self.cutoff = str(self.events[-1].get("eventTime") or "")

    def add(self, s: dict[str, Any], limit: int = SAMPLES) -> None:
        if self.wants(str(s.get("eventTime") or "")):
            self.keep(s, limit)

    def merge(self, other: Bucket, limit: int = SAMPLES) -> None:
        self.total += other.total
        evs = other.events
        cut = self.cutoff
        if cut is not None and len(self.events) >= limit:
            # already full: samples later than the cutoff cannot enter the earliest-N, and the
            # parent merges one partial per file, mostly later ones: skip the sort for them
            evs = [s for s in evs if str(s.get("eventTime") or "") <= cut]
            if not evs:
                return
        self.events.extend(evs)
        if len(self.events) < limit:
            # nothing to drop yet: sorting can wait until the bucket fills or is read, as
            # keep_earliest's sort is stable (sorting a sorted prefix first changes nothing)
            self.cutoff = None
            return
        keep_earliest(self.events, limit)
        self.cutoff = str(self.events[-1].get("eventTime") or "")


def bucket_for(into: dict[Any, Bucket], key: Any, prior: dict[Any, Bucket] | None, limit: int = SAMPLES) -> Bucket:
    """``into[key]``, created when missing; a new one starts at the cutoff of ``prior[key]`` when full.

    ``prior`` holds the buckets this partial will be merged into: where one
    already keeps its ``limit`` earliest samples, :meth:`Bucket.merge` drops
    every later one, so the new bucket counts them without building their samples.
    """
    b = into.get(key)
    if b is None:
        done = prior.get(key) if prior is not None else None
        cut = done.cutoff if done is not None and len(done.events) >= limit else None
        b = into[key] = Bucket(cutoff=cut)
    return b


@dataclass
class Partial:
    """Aggregates over some files; merge() is associative and commutative."""

    files_read: int = 0
    events_read: int = 0
    events_outside_window: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    #: (rule_id, account, region, resource) -> matches
    rules: dict[tuple[str, str, str, str], Bucket] = field(default_factory=dict)
    #: (sigma id, account, region) -> matches
    sigma: dict[tuple[str, str, str], Bucket] = field(default_factory=dict)
    #: (account, key_type, key) -> {minute: failures}
    login_failures: dict[tuple[str, str, str], dict[str, int]] = field(default_factory=dict)
    login_samples: dict[tuple[str, str, str], Bucket] = field(default_factory=dict)
    #: (account, principal) -> {hour: AccessDenied/UnauthorizedOperation count}
    denied: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    denied_samples: dict[tuple[str, str], Bucket] = field(default_factory=dict)
    #: (kind, account, region, name) -> {hour: count}; kind "call" (write API) or "error"
    hourly: dict[tuple[str, str, str, str], dict[str, int]] = field(default_factory=dict)
    #: (account, region) -> {day: [events, writes]}
    days: dict[tuple[str, str], dict[str, list[int]]] = field(default_factory=dict)
    #: (account, region) -> hours (YYYY-MM-DDTHH) with events / with delivered files
    event_hours: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    file_hours: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    #: (account, region) -> earliest write events
    writes: dict[tuple[str, str], Bucket] = field(default_factory=dict)
    #: Sigma correlation id -> its base rules' matches (bounded: sigma.MAX_CORRELATION_EVENTS)
    correlation: dict[str, list[sigma_mod.CorrelationEvent]] = field(default_factory=dict)
    #: Sigma correlation id -> matches not kept (over the bound): the correlation is incomplete
    correlation_dropped: dict[str, int] = field(default_factory=dict)

    def trim(self) -> Partial:
        """Drop samples that cannot be among the earliest (before a worker ships this partial).

        Halves what is pickled back to the parent; the result is the same, as
        :meth:`Bucket.merge` keeps only the earliest samples anyway.
        """
        for buckets, limit in (
            (self.rules.values(), SAMPLES),
            (self.sigma.values(), SAMPLES),
            (self.writes.values(), SAMPLES),
            (self.login_samples.values(), PRINCIPAL_SAMPLES),
            (self.denied_samples.values(), PRINCIPAL_SAMPLES),
        ):
            for b in buckets:
                if len(b.events) > limit:
                    keep_earliest(b.events, limit)
                    b.cutoff = str(b.events[-1].get("eventTime") or "")
        return self

    def merge(self, o: Partial) -> None:
        """Fold another partial into this one."""
        self.files_read += o.files_read
        self.events_read += o.events_read
        self.events_outside_window += o.events_outside_window
        self.problems.extend(o.problems)
        for rk, b in o.rules.items():
            self.rules.setdefault(rk, Bucket()).merge(b)
        for sk, b in o.sigma.items():
            self.sigma.setdefault(sk, Bucket()).merge(b)
        for lk, counts in o.login_failures.items():
            _add_counts(self.login_failures.setdefault(lk, {}), counts)
        for lk, b in o.login_samples.items():
            self.login_samples.setdefault(lk, Bucket()).merge(b, PRINCIPAL_SAMPLES)
        for dk, counts in o.denied.items():
            _add_counts(self.denied.setdefault(dk, {}), counts)
        for dk, b in o.denied_samples.items():
            self.denied_samples.setdefault(dk, Bucket()).merge(b, PRINCIPAL_SAMPLES)
        for hk, counts in o.hourly.items():
            _add_counts(self.hourly.setdefault(hk, {}), counts)
        for ak, per_day in o.days.items():
            mine = self.days.setdefault(ak, {})
            for day, (n, w) in per_day.items():
                cur = mine.setdefault(day, [0, 0])
                cur[0] += n
                cur[1] += w
        for ak, hours in o.event_hours.items():
            self.event_hours.setdefault(ak, set()).update(hours)
        for ak, hours in o.file_hours.items():
            self.file_hours.setdefault(ak, set()).update(hours)
        for ak, b in o.writes.items():
            self.writes.setdefault(ak, Bucket()).merge(b)
        for cid, evs in o.correlation.items():
            self.feed_correlation(cid, evs)
        for cid, n in o.correlation_dropped.items():
            self.correlation_dropped[cid] = self.correlation_dropped.get(cid, 0) + n

    def feed_correlation(self, cid: str, evs: Sequence[sigma_mod.CorrelationEvent]) -> None:
        """Keep base-rule matches of a correlation, up to the bound; count the rest as dropped."""
        mine = self.correlation.setdefault(cid, [])
        room = sigma_mod.MAX_CORRELATION_EVENTS - len(mine)
        mine.extend(evs[: max(room, 0)])
        if len(evs) > room:
            self.correlation_dropped[cid] = self.correlation_dropped.get(cid, 0) + len(evs) - max(room, 0)


def _add_counts(into: dict[str, int], other: dict[str, int]) -> None:
    for k, v in other.items():
        into[k] = into.get(k, 0) + v


# --------------------------------------------------------------------------- the event pass


@dataclass(frozen=True)
class _Compiled:
    rule: Rule
    pattern: Pattern | None
    predicate: Callable[[dict[str, Any]], bool] | None


class Matcher:
    """Compiled rules, indexed for one dictionary lookup per event."""

    def __init__(self, sigma_rules: Sequence[sigma_mod.SigmaRuleSpec] = ()) -> None:
        self.by_name: dict[str, list[_Compiled]] = {}
        self.by_field: list[tuple[tuple[str, ...], frozenset[str], _Compiled]] = []
        for r in RULES:
            c = _Compiled(
                r,
                compile_pattern(r.pattern) if r.pattern else None,
                PREDICATES[r.predicate] if r.predicate else None,
            )
            if r.names is not None:
                for n in r.names:
                    self.by_name.setdefault(n, []).append(c)
            elif r.field_filter is not None:
                self.by_field.append((r.field_filter[0], r.field_filter[1], c))
            else:
                raise ValueError(f"rule {r.id} has no pre-filter")
        self.denied = cis.compiled_intent(cis.item_by_number("4.1"))
        self.sigma_by_name: dict[str, list[sigma_mod.SigmaRuleSpec]] = {}
        self.sigma_any: list[sigma_mod.SigmaRuleSpec] = []
        for s in sigma_rules:
            if s.names is None:
                self.sigma_any.append(s)
            else:
                for n in s.names:
                    self.sigma_by_name.setdefault(n, []).append(s)

    def rules_for(self, event: dict[str, Any], name: str) -> list[_Compiled]:
        """Rules whose pattern and predicate match the event."""
        out: list[_Compiled] = []
        for c in self.by_name.get(name, ()):
            if (c.pattern is None or matches(c.pattern, event)) and (c.predicate is None or c.predicate(event)):
                out.append(c)
        for fpath, values, c in self.by_field:
            if (
                get_path(event, fpath) in values
                and (c.pattern is None or matches(c.pattern, event))
                and (c.predicate is None or c.predicate(event))
            ):
                out.append(c)
        return out

    def sigma_for(self, event: dict[str, Any], name: str) -> list[sigma_mod.SigmaRuleSpec]:
        """Sigma rules matching the event."""
        cands = self.sigma_by_name.get(name.lower(), [])
        if self.sigma_any:
            cands = [*cands, *self.sigma_any]
        return [s for s in cands if sigma_mod.evaluate(s.node, event)]


def _login_failed(event: dict[str, Any]) -> bool:
    return (
        get_path(event, ("responseElements", "ConsoleLogin")) == "Failure"
        or event.get("errorMessage") == "Failed authentication"
    )


def scope_of(event: dict[str, Any], fname_account: str | None, fname_region: str | None) -> tuple[str, str]:
    """(account, region) an event belongs to: the event's own fields first."""
    acct = event.get("recipientAccountId")
    if not isinstance(acct, str) or not acct:
        acct = get_path(event, ("userIdentity", "accountId"))
        if not isinstance(acct, str) or not acct:
            acct = fname_account or "unknown"
    region = event.get("awsRegion")
    if not isinstance(region, str) or not region:
        region = fname_region or "unknown"
    return clip(acct), clip(region)


def process_events(
    part: Partial,
    path: str,
    events: list[dict[str, Any]],
    params: Params,
    matcher: Matcher,
    fname: FileName | None = None,
    prior: Partial | None = None,
) -> None:
    """Fold one file's events into ``part`` (the reference pass over fully parsed events).

    ``fname`` is the already parsed file name, for callers that fold a file's
    events one at a time (:mod:`auditor.logs.fastpath`). ``prior`` is the
    partial ``part`` will be merged into, if known: no sample is built that it
    would drop (:func:`bucket_for`).
    """
    fn = fname if fname is not None else parse_file_name(path)
    if fn.account_id and fn.region and fn.stamp:
        part.file_hours.setdefault((fn.account_id, fn.region), set()).add(fn.stamp[:13])
    since, until = params.since, params.until
    days = part.days
    event_hours = part.event_hours
    hourly = part.hourly
    writes = part.writes
    by_name = matcher.by_name
    by_field = matcher.by_field
    use_sigma = bool(matcher.sigma_by_name or matcher.sigma_any)
    fa, fr = fn.account_id, fn.region
    prior_writes, prior_rules, prior_denied, prior_logins = (
        (None, None, None, None)
        if prior is None
        else (prior.writes, prior.rules, prior.denied_samples, prior.login_samples)
    )
    outside = read = 0
    # per-scope caches: most files hold one account and region
    last_ak: tuple[str, str] | None = None
    per_day: dict[str, list[int]] = {}
    hours_seen: set[str] = set()
    for ev in events:
        t: str = ev["eventTime"]
        if t < since or t >= until:
            outside += 1
            continue
        read += 1
        name: str = clip(ev["eventName"])
        acct = ev.get("recipientAccountId")
        region = ev.get("awsRegion")
        if type(acct) is not str or not acct or type(region) is not str or not region:
            acct, region = scope_of(ev, fa, fr)
        else:
            acct, region = clip(acct), clip(region)
        ak = (acct, region)
        if ak != last_ak:
            last_ak = ak
            got = days.get(ak)
            if got is None:
                got = days[ak] = {}
                event_hours[ak] = set()
            per_day = got
            hours_seen = event_hours[ak]
        hour = t[:13]
        day = t[:10]
        dc = per_day.get(day)
        if dc is None:
            dc = per_day[day] = [0, 0]
        dc[0] += 1
        hours_seen.add(hour)
        ro = ev.get("readOnly")
        if (ro is False or ro == "false" or (ro is None and not name.startswith(_READ_PREFIXES))) and ev.get(
            "eventType"
        ) != "AwsServiceEvent":
            dc[1] += 1
            hk = ("call", acct, region, name)
            h = hourly.get(hk)
            if h is None:
                h = hourly[hk] = {}
            h[hour] = h.get(hour, 0) + 1
            wb = writes.get(ak)
            if wb is None:
                wb = bucket_for(writes, ak, prior_writes)
            if wb.wants(t):
                wb.keep(sample(ev, path))
        err = ev.get("errorCode")
        if err:
            count_error(part, ev, err, (acct, region), t, path, matcher.denied, prior_denied)
        if name == "ConsoleLogin" and _login_failed(ev):
            minute = t[:16]
            login: dict[str, Any] | None = None  # one sample for both keys, built if either keeps it
            for key_type, key in (
                ("user", _login_user(ev)),
                ("ip", str(as_text(ev.get("sourceIPAddress")))),
            ):
                lk = (acct, key_type, key)
                lm = part.login_failures.setdefault(lk, {})
                lm[minute] = lm.get(minute, 0) + 1
                lb = bucket_for(part.login_samples, lk, prior_logins, PRINCIPAL_SAMPLES)
                if lb.wants(t):
                    login = login or sample(ev, path)
                    lb.keep(login, PRINCIPAL_SAMPLES)
        cands = by_name.get(name)
        for fpath, values, fc in by_field:
            if get_path(ev, fpath) in values:
                cands = [*(cands or ()), fc]
        for c in cands or ():
            if not ((c.pattern is None or matches(c.pattern, ev)) and (c.predicate is None or c.predicate(ev))):
                continue
            res = ""
            if c.rule.resource_field is not None:
                rv = get_path(ev, c.rule.resource_field)
                res = as_text(rv) or ""
            rk = (c.rule.id, acct, region, res)
            b = part.rules.get(rk)
            if b is None:
                b = bucket_for(part.rules, rk, prior_rules)
            if b.wants(t):
                b.keep(sample(ev, path, res or None))
        if use_sigma:
            for srule in matcher.sigma_for(ev, name):
                sk = (srule.id, acct, region)
                sb = part.sigma.get(sk)
                if sb is None:
                    sb = part.sigma[sk] = Bucket()
                s = sample(ev, path)
                sb.add(s)
                for cid, gpaths, vpath in srule.feeds:  # a correlation's base rule: keep the match
                    group = tuple(sigma_mod.group_value(ev, gp) for gp in gpaths)
                    value = sigma_mod.group_value(ev, vpath) if vpath is not None else None
                    part.feed_correlation(cid, [(t, s["eventID"] or "", srule.id, group, value, acct, region, s)])

    part.events_outside_window += outside
    part.events_read += read


def count_error(
    part: Partial,
    ev: dict[str, Any],
    err: Any,
    scope: tuple[str, str],
    t: str,
    path: str,
    denied: Pattern,
    prior_denied: dict[tuple[str, str], Bucket] | None,
) -> None:
    """One event's error (``err``, its errorCode): the hourly count per error code and, when
    access was denied (``denied``: CIS 4.1's pattern), the principal's denied count and sample.

    ``ev`` holds at least every field the pattern, the principal and the sample read
    (the fast path passes such a view of an error record, :mod:`auditor.logs.fastpath`).
    """
    acct, region = scope
    hour = t[:13]
    ek = ("error", acct, region, as_text(err) or "")
    h = part.hourly.get(ek)
    if h is None:
        h = part.hourly[ek] = {}
    h[hour] = h.get(hour, 0) + 1
    if matches(denied, ev):
        dk = (acct, _principal(ev))
        dh = part.denied.setdefault(dk, {})
        dh[hour] = dh.get(hour, 0) + 1
        db = bucket_for(part.denied_samples, dk, prior_denied, PRINCIPAL_SAMPLES)
        if db.wants(t):
            db.keep(sample(ev, path), PRINCIPAL_SAMPLES)


def _principal(ev: dict[str, Any]) -> str:
    ident = ev.get("userIdentity")
    if isinstance(ident, dict):
        for k in ("arn", "principalId", "type"):
            v = ident.get(k)
            if isinstance(v, str) and v:
                return clip(v)
    return "unknown"


def _login_user(ev: dict[str, Any]) -> str:
    ident = ev.get("userIdentity")
    if isinstance(ident, dict):
        for k in ("userName", "arn", "principalId"):
            v = ident.get(k)
            if isinstance(v, str) and v:
                return clip(v)
    return "unknown"


def add_problems(part: Partial, problems: Sequence[FileProblem]) -> None:
    """Record file problems with the scope the file name reveals."""
    for p in problems:
        fn = parse_file_name(p.path)
        part.problems.append({**p.to_dict(), "account_id": fn.account_id, "region": fn.region})

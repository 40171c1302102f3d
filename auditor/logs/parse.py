"""Turn the bytes of one log file into CloudTrail events, or say exactly why not.

Log files are hostile input: they may be truncated, not JSON, not UTF-8, a
gzip bomb, or something else than CloudTrail (an SNS notification, events
re-wrapped by a log forwarder). Every such case becomes a :class:`FileProblem`
value carried into the evidence document; nothing here raises on bad content
and nothing is skipped silently.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import orjson
from isal import isal_zlib

from auditor.logs.definitions import FORWARDER_KEYS

#: Default limit on one file's decompressed size. A real CloudTrail file is a few MB;
#: parsing costs several times the text (about 32x for ``[{},{},...]``), so the limit
#: bounds what one file may cost a worker (see docs/reliability.md, "Log files").
DEFAULT_MAX_BYTES = 128 * 1024 * 1024

#: Default limit on the JSON values (records, fields, list items) of one file, counted
#: from its separators before anything is parsed: the parse builds one object per value,
#: so this bounds a file's parse memory whatever its shape (about 100 bytes per value at
#: worst, ``[{},{},...]``). Real CloudTrail averages about 34 bytes of text per value
#: (37 values per record), so 2 million is a file of about 65 MiB of real records.
DEFAULT_MAX_VALUES = 2_000_000

#: Longest string taken from a log record into the evidence (sample fields, scope and
#: grouping keys); longer ones keep their first CLIP characters and a marker (:func:`clip`).
CLIP = 2048

#: Deepest nesting a sampled value keeps (deeper ones become their clipped JSON text).
SAMPLE_DEPTH = 8

#: The only eventTime form CloudTrail writes ("2026-11-02T08:00:00Z"); with :func:`valid_time`.
#: ASCII digits only: ``\d`` would accept "２０２６", which int() reads and text comparison misplaces.
EVENT_TIME = re.compile(
    r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z"
)

#: Fields without which an object is not a CloudTrail event we can judge.
REQUIRED_FIELDS = ("eventTime", "eventName", "eventSource")


#: The key of an Amazon EventBridge event's envelope (CloudTrail events forwarded by an
#: EventBridge rule, often on to S3 through Firehose as JSON lines); the record is its ``detail``.
EVENTBRIDGE_KEY = "detail-type"
#: The detail-types EventBridge gives CloudTrail records (API calls, console sign-ins,
#: service events, Insights).
EVENTBRIDGE_CLOUDTRAIL = frozenset(
    {
        "AWS API Call via CloudTrail",
        "AWS Console Sign In via CloudTrail",
        "AWS Service Event via CloudTrail",
        "AWS Insight via CloudTrail",
    }
)

_FILE_NAME = re.compile(r"(?P<account>\d{12})_CloudTrail(?:-Insight)?_(?P<region>[a-z0-9-]+)_(?P<stamp>\d{8}T\d{4}Z)")


@dataclass(frozen=True)
class FileProblem:
    """One file (or part of one) that could not be read as CloudTrail, and why.

    ``kind`` says how much was lost: ``unreadable`` (no event from this file was
    used), ``partial`` (some records were rejected, the rest were used) or
    ``normalised`` (every event was used after unwrapping a foreign envelope).
    """

    path: str
    reason: str
    kind: str = "unreadable"
    #: Records of this file that were malformed (not used), when records could be counted.
    records: int = 0

    def to_dict(self) -> dict[str, str | int]:
        """JSON-ready form."""
        out: dict[str, str | int] = {"path": self.path, "reason": self.reason, "kind": self.kind}
        if self.records:
            out["malformed_records"] = self.records
        return out


@dataclass(frozen=True)
class FileName:
    """What CloudTrail's object name says about a file (all optional)."""

    account_id: str | None = None
    region: str | None = None
    #: Delivery stamp as ISO text, e.g. "2023-07-10T12:20Z".
    stamp: str | None = None


@lru_cache(maxsize=4096)
def _valid_day(day: str) -> bool:
    try:
        date(int(day[0:4]), int(day[5:7]), int(day[8:10]))
    except ValueError:  # 2026-02-30, year 0000
        return False
    return True


def valid_time(t: str) -> bool:
    """Whether ``t`` is a CloudTrail eventTime of a real instant.

    The window and every per-hour and per-day aggregate compare event times
    as text, which is only sound for this one fixed form: anything else
    ("not-a-date", "", "2026-13-45", "9999-12-31T99:00:00Z") would be dropped
    or misplaced silently, so such a record is malformed.
    """
    # days 01 to 28 exist in every month: only 29, 30 and 31 need the calendar
    return (
        len(t) == 20
        and EVENT_TIME.fullmatch(t) is not None
        and (t[8:10] < "29" or _valid_day(t[:10]))
        and t[:4] != "0000"
    )


def clip(s: str) -> str:
    """``s`` bounded to :data:`CLIP` characters; a clipped string says so and how long it was.

    Log records are attacker-shaped: one 450 MB userAgent must not become a
    450 MB results file, nor a 450 MB dictionary key in the parent.
    """
    if len(s) <= CLIP:
        return s
    return f"{s[:CLIP]}...[truncated: {len(s)} characters]"


def bounded(value: Any, depth: int = SAMPLE_DEPTH) -> Any:
    """A JSON value from a log record made safe to keep: strings clipped, nesting bounded.

    Scalars are kept (integers beyond 64 bits become clipped text); a list or
    object is kept to ``depth`` levels, deeper ones become their clipped JSON
    text, so a value 500 levels deep can be pickled back from a worker and
    written to the results.
    """
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, str):
        return clip(value)
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**64 else clip(str(value))
    if depth <= 0 or not isinstance(value, list | dict):
        return _as_text(value)
    if isinstance(value, list):
        items = [bounded(v, depth - 1) for v in value[:SAMPLE_ITEMS]]
        if len(value) > SAMPLE_ITEMS:
            items.append(f"...[truncated: {len(value)} items]")
        return items
    out: dict[str, Any] = {}
    for i, (k, v) in enumerate(value.items()):
        if i >= SAMPLE_ITEMS:
            out["..."] = f"[truncated: {len(value)} keys]"
            break
        out[clip(str(k))] = bounded(v, depth - 1)
    return out


#: Items of one list or object a sampled value keeps.
SAMPLE_ITEMS = 32


def as_text(value: Any) -> str | None:
    """A value from a log record as the evidence keeps it: text of at most :data:`CLIP` characters.

    A string is clipped; null stays null; anything else (a number, a list, an
    object 500 levels deep) becomes the JSON text of its :func:`bounded` form,
    clipped: sample fields are strings in the evidence schema, and flattening
    is what keeps a hostile value picklable and small.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return clip(value)
    return _as_text(bounded(value))


def _as_text(value: Any) -> str:
    """A value too deep (or of no JSON type) to keep as is, as clipped JSON text."""
    try:
        text = orjson.dumps(value, default=str).decode()
    except (TypeError, orjson.JSONEncodeError, RecursionError):
        text = f"[{type(value).__name__} nested deeper than {SAMPLE_DEPTH} levels]"
    return clip(text)


def value_bound(text: bytes | bytearray) -> int:
    """An upper bound on the JSON values in ``text``, read from its separators (no parse).

    Every value after the first in an array or object follows a comma, and
    an array or object without commas holds at most one value, so commas +
    opening brackets + 1 bounds the values whatever the nesting (separators
    inside strings only raise it).
    """
    return text.count(b",") + text.count(b"{") + text.count(b"[") + 1


def parse_file_name(path: str) -> FileName:
    """Read account, region and delivery time from CloudTrail's file naming scheme."""
    m = _FILE_NAME.search(path.rsplit("/", 1)[-1])
    if m is None:
        return FileName()
    s = m.group("stamp")
    stamp = f"{s[0:4]}-{s[4:6]}-{s[6:8]}T{s[9:11]}:{s[11:13]}Z"
    return FileName(m.group("account"), m.group("region"), stamp)


class _TooLarge(Exception):
    pass


#: Output of the first inflate step. A file that inflates in one step (one gzip member, up
#: to this size: nearly every CloudTrail file) is returned as inflated, without a copy.
_FIRST_STEP = 8 * 1024 * 1024
#: Output of each later step (what a large file's buffer holds besides its text).
_INFLATE_STEP = 1024 * 1024


def decompress(data: bytes, max_bytes: int) -> bytes | bytearray:
    """Gunzip (possibly multi-member) with a hard bound on the output size.

    zlib's ``max_length`` stops inflating once the bound is reached, so a gzip
    bomb costs at most ``max_bytes`` of memory before it is rejected. A larger
    output goes into one buffer, sized from the gzip trailer's ISIZE (which an
    attacker may falsify: it is only a hint, capped at the limit) and filled
    step by step, so a worker holds the text once, not the pieces and their
    join as well (which cost twice the limit).

    ISA-L (python-isal) inflates first: 2.4x faster than zlib on CloudTrail
    files (crc32 alone was half of zlib's work), and the same output and size
    limit on every input zlib accepts. Where the two differ (ISA-L accepts a
    header with reserved flag bits set, which zlib rejects) or ISA-L fails,
    zlib decides, so that a rejected file gets zlib's own words.
    """
    try:
        return _inflate(isal_zlib, data, max_bytes)
    except (_ZlibDecides, _ISAL_ERROR, zlib.error, EOFError, ValueError):
        return _inflate(zlib, data, max_bytes)


#: isal_zlib.error (IsalError), which its stubs do not type as an exception class.
_ISAL_ERROR: type[Exception] = getattr(isal_zlib, "error")  # noqa: B009


class _ZlibDecides(Exception):
    """A gzip member header ISA-L would read but zlib rejects (reserved FLG bits)."""


def _inflate(lib: Any, data: bytes, max_bytes: int) -> bytes | bytearray:
    """:func:`decompress` with one inflater (``zlib`` or ``isal_zlib``: the same interface)."""
    if lib is not zlib and len(data) > 3 and data[3] & 0xE0:
        raise _ZlibDecides
    d = lib.decompressobj(16 + zlib.MAX_WBITS)
    chunk: bytes = d.decompress(data, min(_FIRST_STEP, max_bytes + 1))
    if len(chunk) > max_bytes:
        raise _TooLarge
    if d.eof and not d.unused_data.strip(b"\x00"):
        return chunk
    hint = min(int.from_bytes(data[-4:], "little"), max_bytes) if len(data) >= 18 else 0
    out = bytearray(max(hint, len(chunk)))
    pos = 0

    def take(piece: bytes) -> None:
        nonlocal pos
        out[pos : pos + len(piece)] = piece
        pos += len(piece)
        if pos > max_bytes:
            raise _TooLarge

    take(chunk)
    del chunk
    while True:
        while not d.eof:
            # an empty tail may still leave output pending in zlib: ask until nothing comes
            tail = d.unconsumed_tail
            piece = d.decompress(tail, min(_INFLATE_STEP, max_bytes - pos + 1))
            if not piece and len(d.unconsumed_tail) >= len(tail):
                break  # no progress: the input ends before the stream does
            take(piece)
        if not d.eof:
            raise zlib.error("compressed data ends before the end-of-stream marker (truncated)")
        data = d.unused_data.lstrip(b"\x00")
        if not data:
            break
        if lib is not zlib and len(data) > 3 and data[3] & 0xE0:
            raise _ZlibDecides
        d = lib.decompressobj(16 + zlib.MAX_WBITS)
        take(d.decompress(data, min(_INFLATE_STEP, max_bytes - pos + 1)))
    del out[pos:]
    return out


def is_gzip(data: bytes) -> bool:
    """gzip magic number."""
    return data[:2] == b"\x1f\x8b"


def file_text(
    path: str, raw: bytes, max_bytes: int = DEFAULT_MAX_BYTES, max_values: int = DEFAULT_MAX_VALUES
) -> bytes | bytearray | FileProblem:
    """One file's JSON bytes (gunzipped when gzip), or why they cannot be had.

    Both limits are checked before anything is parsed: past them the file is
    unreadable (its scope's checks are ERROR), whatever it holds.
    """
    text: bytes | bytearray
    if is_gzip(raw):
        try:
            text = decompress(raw, max_bytes)
        except _TooLarge:
            return FileProblem(path, f"decompressed size exceeds the limit of {max_bytes} bytes")
        except (zlib.error, EOFError) as exc:
            return FileProblem(path, f"corrupt or truncated gzip: {exc}")
    elif len(raw) > max_bytes:
        return FileProblem(path, f"file size {len(raw)} exceeds the limit of {max_bytes} bytes")
    else:
        text = raw
    # every JSON value takes at least two bytes with its separator: a file of up to twice
    # the limit in bytes cannot exceed it, and is not counted (nearly all CloudTrail files)
    values = value_bound(text) if len(text) // 2 + 1 > max_values else 0
    if values > max_values:
        return FileProblem(
            path,
            f"holds up to {values} JSON values (records and their fields), over the limit of "
            f"{max_values} that bounds one file's parse memory",
        )
    return text


def decode(
    path: str, raw: bytes, max_bytes: int = DEFAULT_MAX_BYTES, max_values: int = DEFAULT_MAX_VALUES
) -> tuple[list[dict[str, Any]], list[FileProblem]]:
    """The CloudTrail events in one file's bytes, plus what was wrong with it."""
    text = file_text(path, raw, max_bytes, max_values)
    if isinstance(text, FileProblem):
        return [], [text]
    return decode_text(path, text)


def decode_text(path: str, raw: bytes | bytearray) -> tuple[list[dict[str, Any]], list[FileProblem]]:
    """The CloudTrail events in one file's (decompressed) JSON bytes, plus what was wrong with it."""
    try:
        doc: Any = orjson.loads(raw)  # orjson rejects invalid UTF-8 itself
    except orjson.JSONDecodeError as exc:
        try:
            raw.decode("utf-8")  # only on the error path: tell encoding from syntax errors
        except UnicodeDecodeError as uexc:
            return [], [FileProblem(path, f"not UTF-8 text: invalid byte at offset {uexc.start}")]
        return _json_lines(path, raw, exc)
    return _from_document(path, doc)


def _json_lines(
    path: str, raw: bytes | bytearray, first_error: Exception
) -> tuple[list[dict[str, Any]], list[FileProblem]]:
    """JSON Lines (one event per line), else the original JSON error."""
    lines = [ln for ln in raw.split(b"\n") if ln.strip()]
    invalid = [FileProblem(path, f"invalid JSON: {first_error}")]
    if len(lines) < 2:
        back_to_back = _concatenated(raw)
        if back_to_back is None:
            return [], invalid
        return _from_records(path, back_to_back, "concatenated JSON")
    try:
        if not isinstance(orjson.loads(lines[0]), dict):
            return [], invalid
    except orjson.JSONDecodeError:
        return [], invalid  # not JSON lines either: the document itself is broken
    objs: list[Any] = []
    bad = 0
    for ln in lines:
        try:
            objs.append(orjson.loads(ln))
        except orjson.JSONDecodeError:
            bad += 1
    if bad == len(lines):
        return [], [FileProblem(path, f"invalid JSON: {first_error}")]
    events, problems = _from_records(path, objs, "JSON lines")
    if bad:
        problems.append(FileProblem(path, f"{bad} of {len(lines)} lines are not valid JSON", "partial", bad))
    return events, problems


def _concatenated(raw: bytes | bytearray) -> list[Any] | None:
    """Objects written back to back without a separator (``{...}{...}``, Kinesis Data Firehose's
    default when no newline delimiter is configured), or None when the text is not exactly that."""
    import json

    text = raw.decode("utf-8").strip()
    if not text.startswith("{") or "}{" not in text:
        return None
    dec = json.JSONDecoder()
    objs: list[Any] = []
    pos = 0
    try:
        while pos < len(text):
            obj, end = dec.raw_decode(text, pos)
            if not isinstance(obj, dict):
                return None
            objs.append(obj)
            while end < len(text) and text[end] in " \t\r\n":
                end += 1
            pos = end
    except (ValueError, RecursionError):
        return None
    return objs if len(objs) >= 2 else None


def _from_document(path: str, doc: Any) -> tuple[list[dict[str, Any]], list[FileProblem]]:
    if isinstance(doc, dict):
        records = doc.get("Records")
        if isinstance(records, list):
            return _from_records(path, records, "Records")
        if "Type" in doc and ("Message" in doc or "TopicArn" in doc):
            return [], [
                FileProblem(
                    path,
                    "an SNS/SQS notification, not a CloudTrail log file (it names log objects but carries no events)",
                )
            ]
        if all(k in doc for k in REQUIRED_FIELDS):
            return _from_records(path, [doc], "single event")
        if EVENTBRIDGE_KEY in doc:
            return _from_records(path, [doc], "EventBridge event")
        keys = ", ".join(clip(str(k)) for k in sorted(doc)[:8])
        return [], [
            FileProblem(
                path,
                f'unexpected JSON object (keys: {keys}); expected {{"Records": [...]}}, an array or JSON lines',
            )
        ]
    if isinstance(doc, list):
        return _from_records(path, doc, "array")
    return [], [FileProblem(path, f"unexpected JSON {type(doc).__name__}; expected CloudTrail records")]


def _from_records(path: str, records: list[Any], shape: str) -> tuple[list[dict[str, Any]], list[FileProblem]]:
    """Keep records that are CloudTrail events; unwrap forwarder envelopes; count the rest."""
    events: list[dict[str, Any]] = []
    rejected = 0
    unwrapped = 0
    bad_time = 0
    first_bad_time = ""
    missing: dict[str, int] = {}
    forwarder = FORWARDER_KEYS.isdisjoint
    bridged = bad_bridge = 0
    for rec in records:
        if not isinstance(rec, dict):
            rejected += 1
            continue
        if EVENTBRIDGE_KEY in rec:
            inner = eventbridge_detail(rec)
            if inner is None:
                bad_bridge += 1
                continue
            rec = inner
            bridged += 1
        elif not forwarder(rec):
            rec, ok = unwrap(rec)
            unwrapped += ok
        t = rec.get("eventTime")
        if type(t) is str and type(rec.get("eventName")) is str and type(rec.get("eventSource")) is str:
            if valid_time(t):
                events.append(rec)
            else:
                bad_time += 1
                first_bad_time = first_bad_time or repr(t[:40])
        else:
            rejected += 1
            for f in REQUIRED_FIELDS:
                if not isinstance(rec.get(f), str):
                    missing[f] = missing.get(f, 0) + 1
    problems: list[FileProblem] = []
    if not records:
        return events, problems
    kind = "unreadable" if not events else "partial"
    if bad_bridge:
        problems.append(
            FileProblem(
                path,
                f"{bad_bridge} of {len(records)} records ({shape}) are EventBridge events without a CloudTrail "
                'record (detail-type not "... via CloudTrail", or detail not an object with eventTime, '
                "eventName and eventSource): not judged",
                kind,
                bad_bridge,
            )
        )
    if bridged:
        problems.append(
            FileProblem(
                path,
                f"{bridged} events were EventBridge events (detail-type ... via CloudTrail); "
                "read from their detail, the CloudTrail record",
                "normalised",
            )
        )
    if rejected:
        why = ", ".join(f"{n} without {f}" for f, n in sorted(missing.items())) or "not objects"
        problems.append(
            FileProblem(
                path,
                f"{rejected} of {len(records)} records ({shape}) are not CloudTrail events ({why})",
                kind,
                rejected,
            )
        )
    if bad_time:
        problems.append(
            FileProblem(
                path,
                f"{bad_time} of {len(records)} records ({shape}) have an eventTime that is not a "
                f"CloudTrail time (first: {first_bad_time}): not judged",
                kind,
                bad_time,
            )
        )
    if unwrapped:
        problems.append(
            FileProblem(
                path,
                f"{unwrapped} events were wrapped by a log forwarder "
                "(extra envelope fields); unwrapped to the CloudTrail "
                "record",
                "normalised",
            )
        )
    return events, problems


def eventbridge_detail(rec: dict[str, Any]) -> dict[str, Any] | None:
    """The CloudTrail record inside an EventBridge event, or None when it holds none.

    Only the CloudTrail detail-types are read, and only a detail that is an
    object with string eventTime, eventName and eventSource: any other
    EventBridge event is malformed for a CloudTrail reader (fail closed).
    """
    detail = rec.get("detail")
    kind = rec.get(EVENTBRIDGE_KEY)
    if not isinstance(kind, str) or kind not in EVENTBRIDGE_CLOUDTRAIL or not isinstance(detail, dict):
        return None
    return detail if _is_event(detail) else None


def _is_event(rec: dict[str, Any]) -> bool:
    return all(isinstance(rec.get(f), str) for f in REQUIRED_FIELDS)


def unwrap(rec: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Undo a log forwarder's changes when the CloudTrail record is clearly inside.

    Handles two shapes seen in the wild: Datadog's forwarder (CloudTrail fields
    kept at top level, ``userAgent``/``sourceIPAddress`` moved to ``http`` and
    ``network``) and Logstash-style shippers (``@timestamp`` instead of
    ``eventTime``). Returns the record and 1 if it was changed.
    """
    out = {k: v for k, v in rec.items() if k not in FORWARDER_KEYS}
    for inner in ("detail", "message", "_source"):
        nested = rec.get(inner)
        if isinstance(nested, dict) and _is_event(nested):
            return dict(nested), 1
    if "userAgent" not in out:
        http = rec.get("http")
        if isinstance(http, dict) and isinstance(http.get("useragent"), str):
            out["userAgent"] = http["useragent"]
    if "sourceIPAddress" not in out:
        net = rec.get("network")
        client = net.get("client") if isinstance(net, dict) else None
        if isinstance(client, dict) and isinstance(client.get("ip"), str):
            out["sourceIPAddress"] = client["ip"]
    if "eventTime" not in out and isinstance(rec.get("@timestamp"), str):
        ts = rec["@timestamp"]
        out["eventTime"] = ts[:19] + "Z" if len(ts) >= 19 else ts
    if not all(isinstance(out.get(f), str) for f in ("eventName", "eventSource")):
        return rec, 0
    return out, 1


def get_path(event: dict[str, Any], dotted: tuple[str, ...]) -> Any:
    """A nested field, or None."""
    cur: Any = event
    for part in dotted:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur

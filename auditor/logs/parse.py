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
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

#: Default limit on one file's decompressed size (a real CloudTrail file is a few MB).
DEFAULT_MAX_BYTES = 512 * 1024 * 1024

#: Fields without which an object is not a CloudTrail event we can judge.
REQUIRED_FIELDS = ("eventTime", "eventName", "eventSource")

#: Keys a log forwarder adds beside (or around) the CloudTrail fields.
_FORWARDER_KEYS = frozenset({"evt", "http", "network", "@timestamp", "@version", "ddsource", "ddtags", "aws"})

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

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"path": self.path, "reason": self.reason, "kind": self.kind}


@dataclass(frozen=True)
class FileName:
    """What CloudTrail's object name says about a file (all optional)."""

    account_id: str | None = None
    region: str | None = None
    #: Delivery stamp as ISO text, e.g. "2023-07-10T12:20Z".
    stamp: str | None = None


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


def decompress(data: bytes, max_bytes: int) -> bytes:
    """Gunzip (possibly multi-member) with a hard bound on the output size.

    zlib's ``max_length`` stops inflating once the bound is reached, so a gzip
    bomb costs at most ``max_bytes`` of memory before it is rejected.
    """
    out: list[bytes] = []
    total = 0
    while data:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        chunk = d.decompress(data, max_bytes - total + 1)
        total += len(chunk)
        out.append(chunk)
        while d.unconsumed_tail and total <= max_bytes:
            chunk = d.decompress(d.unconsumed_tail, max_bytes - total + 1)
            total += len(chunk)
            out.append(chunk)
        if total > max_bytes:
            raise _TooLarge
        if not d.eof:
            raise zlib.error("compressed data ends before the end-of-stream marker (truncated)")
        data = d.unused_data.lstrip(b"\x00")
    return b"".join(out)


def is_gzip(data: bytes) -> bool:
    """gzip magic number."""
    return data[:2] == b"\x1f\x8b"


def file_text(path: str, raw: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes | FileProblem:
    """One file's JSON bytes (gunzipped when gzip), or why they cannot be had."""
    if is_gzip(raw):
        try:
            return decompress(raw, max_bytes)
        except _TooLarge:
            return FileProblem(path, f"decompressed size exceeds the limit of {max_bytes} bytes")
        except (zlib.error, EOFError) as exc:
            return FileProblem(path, f"corrupt or truncated gzip: {exc}")
    if len(raw) > max_bytes:
        return FileProblem(path, f"file size {len(raw)} exceeds the limit of {max_bytes} bytes")
    return raw


def decode(path: str, raw: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[list[dict[str, Any]], list[FileProblem]]:
    """The CloudTrail events in one file's bytes, plus what was wrong with it."""
    text = file_text(path, raw, max_bytes)
    if isinstance(text, FileProblem):
        return [], [text]
    return decode_text(path, text)


def decode_text(path: str, raw: bytes) -> tuple[list[dict[str, Any]], list[FileProblem]]:
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


def _json_lines(path: str, raw: bytes, first_error: Exception) -> tuple[list[dict[str, Any]], list[FileProblem]]:
    """JSON Lines (one event per line), else the original JSON error."""
    lines = [ln for ln in raw.split(b"\n") if ln.strip()]
    invalid = [FileProblem(path, f"invalid JSON: {first_error}")]
    if len(lines) < 2:
        return [], invalid
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
        problems.append(FileProblem(path, f"{bad} of {len(lines)} lines are not valid JSON", "partial"))
    return events, problems


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
        keys = ", ".join(sorted(str(k) for k in doc)[:8])
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
    missing: dict[str, int] = {}
    forwarder = _FORWARDER_KEYS.isdisjoint
    for rec in records:
        if not isinstance(rec, dict):
            rejected += 1
            continue
        if not forwarder(rec):
            rec, ok = unwrap(rec)
            unwrapped += ok
        if (
            type(rec.get("eventTime")) is str
            and type(rec.get("eventName")) is str
            and type(rec.get("eventSource")) is str
        ):
            events.append(rec)
        else:
            rejected += 1
            for f in REQUIRED_FIELDS:
                if not isinstance(rec.get(f), str):
                    missing[f] = missing.get(f, 0) + 1
    problems: list[FileProblem] = []
    if not records:
        return events, problems
    if rejected:
        why = ", ".join(f"{n} without {f}" for f, n in sorted(missing.items())) or "not objects"
        kind = "unreadable" if not events else "partial"
        problems.append(
            FileProblem(
                path,
                f"{rejected} of {len(records)} records ({shape}) are not CloudTrail events ({why})",
                kind,
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


def _is_event(rec: dict[str, Any]) -> bool:
    return all(isinstance(rec.get(f), str) for f in REQUIRED_FIELDS)


def unwrap(rec: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Undo a log forwarder's changes when the CloudTrail record is clearly inside.

    Handles two shapes seen in the wild: Datadog's forwarder (CloudTrail fields
    kept at top level, ``userAgent``/``sourceIPAddress`` moved to ``http`` and
    ``network``) and Logstash-style shippers (``@timestamp`` instead of
    ``eventTime``). Returns the record and 1 if it was changed.
    """
    out = {k: v for k, v in rec.items() if k not in _FORWARDER_KEYS}
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


def iter_events(path: str, raw: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[dict[str, Any]]:
    """Events only (for tools that do not need the problems)."""
    events, _ = decode(path, raw, max_bytes)
    yield from events

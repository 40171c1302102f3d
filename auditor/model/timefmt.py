"""ISO 8601 times, the one place they are parsed and written.

CloudTrail and the AWS APIs write UTC as ``2015-08-17T15:01:31Z`` (events, digests,
snapshots, reports) and ``20150817T150131Z`` (digest and log file names). Every
time in the tool is an aware UTC datetime in memory and one of these strings on disk.
"""

from __future__ import annotations

from datetime import UTC, datetime

#: ``2015-08-17T15:01:31Z``: events, digests, snapshots, reports.
ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
#: ``20150817T150131Z``: the stamp in digest and log file names.
KEY_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
#: ``2015-08-17T15:00:00Z``: the hour a log event falls in (log evidence buckets).
HOUR_FORMAT = "%Y-%m-%dT%H:00:00Z"


def aware(dt: datetime) -> datetime:
    """Treat a naive datetime as UTC; normalise aware ones to UTC."""
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC)


def parse_iso(value: str) -> datetime:
    """Parse an ISO 8601 time (Z, offset or naive = UTC) into an aware UTC datetime.

    Raises ValueError for text that is not ISO 8601 (callers say what they were reading).
    """
    return aware(datetime.fromisoformat(value.replace("Z", "+00:00")))


def parse_key_date(value: str) -> datetime:
    """Parse the ``20150817T150131Z`` stamp of a digest file name."""
    return datetime.strptime(value, KEY_DATE_FORMAT).replace(tzinfo=UTC)


def iso(dt: datetime) -> str:
    """Format as ``2015-08-17T15:01:31Z`` (naive is taken as UTC)."""
    return aware(dt).strftime(ISO_FORMAT)


def hour_stamp(dt: datetime) -> str:
    """The hour ``dt`` falls in, as ``2015-08-17T15:00:00Z``."""
    return aware(dt).strftime(HOUR_FORMAT)


def now_iso() -> str:
    """UTC now as ``2015-08-17T15:01:31Z``."""
    return iso(datetime.now(UTC))

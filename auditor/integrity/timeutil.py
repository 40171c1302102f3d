"""Time helpers: CloudTrail writes UTC as ``2015-08-17T15:01:31Z`` and ``20150817T150131Z``."""

from __future__ import annotations

from datetime import UTC, datetime

KEY_DATE_FORMAT = "%Y%m%dT%H%M%SZ"


def parse_iso(value: str) -> datetime:
    """Parse an ISO 8601 time (Z or offset) into an aware UTC datetime."""
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC)


def parse_key_date(value: str) -> datetime:
    """Parse the ``20150817T150131Z`` stamp of a digest file name."""
    return datetime.strptime(value, KEY_DATE_FORMAT).replace(tzinfo=UTC)


def iso(dt: datetime) -> str:
    """Format as ``2015-08-17T15:01:31Z`` (the digest's own format)."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def aware(dt: datetime) -> datetime:
    """Treat a naive datetime as UTC; normalise aware ones to UTC."""
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC)

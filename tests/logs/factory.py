"""Synthetic CloudTrail events and files for tests that need exact volumes."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from auditor.logs import LogWindow

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "logs"
WIDE = LogWindow(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
ACCOUNT = "111111111111"


def event(
    name: str,
    when: datetime,
    *,
    source: str = "ec2.amazonaws.com",
    region: str = "us-east-1",
    account: str = ACCOUNT,
    user: str = "alice",
    read_only: bool | None = False,
    **extra: Any,
) -> dict[str, Any]:
    """A plausible management event."""
    ev: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLE",
            "arn": f"arn:aws:iam::{account}:user/{user}",
            "accountId": account,
            "userName": user,
        },
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.15",
        "requestParameters": None,
        "responseElements": None,
        "eventID": f"{name}-{when.timestamp():.0f}-{region}-{user}",
        "eventType": "AwsApiCall",
        "recipientAccountId": account,
    }
    if read_only is not None:
        ev["readOnly"] = read_only
    ev.update(extra)
    return ev


def write_records(path: Path, events: list[dict[str, Any]], gz: bool = True) -> Path:
    """A CloudTrail-shaped file ({"Records": [...]})."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps({"Records": events}).encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def hours(start: datetime, n: int) -> list[datetime]:
    """n consecutive hours."""
    return [start + timedelta(hours=i) for i in range(n)]

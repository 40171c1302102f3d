"""List and fetch CloudTrail log objects from S3 (collection layer: boto3 lives here).

CloudTrail's key layout is
``[prefix/]AWSLogs/[o-orgid/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/file.json.gz``.
Accounts and regions are discovered with delimiter listings, and only the day
prefixes inside the window are listed, so a 30-day audit of a bucket holding
years of logs lists 30 prefixes per account and region, not the bucket. The
client is passed in by the caller (credentials, endpoint, retries are theirs);
only ListObjectsV2 and GetObject are called.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from auditor.logs.parse import FileProblem

FETCH_THREADS = 8
FETCH_CHUNK = 32


@dataclass(frozen=True)
class S3Object:
    """One log object to read."""

    key: str
    size: int


def _common_prefixes(client: Any, bucket: str, prefix: str) -> list[str]:
    out: list[str] = []
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        out.extend(cp["Prefix"] for cp in page.get("CommonPrefixes", []))
    return out


def _base(prefix: str) -> str:
    p = prefix.strip("/")
    if p.endswith("AWSLogs"):
        return p + "/"
    return (p + "/" if p else "") + "AWSLogs/"


def day_prefixes(since: datetime, until: datetime) -> list[str]:
    """YYYY/MM/DD/ for every day the window touches (a file is stamped at or after its events)."""
    day = since.date()
    last = (until + timedelta(minutes=30)).date()
    out = []
    while day <= last:
        out.append(day.strftime("%Y/%m/%d/"))
        day += timedelta(days=1)
    return out


def list_objects(
    client: Any,
    bucket: str,
    prefix: str,
    since: datetime,
    until: datetime,
    accounts: Sequence[str] | None = None,
    regions: Sequence[str] | None = None,
) -> tuple[list[S3Object], list[FileProblem], list[str]]:
    """The log objects in the window, problems met while listing, and the scopes listed."""
    problems: list[FileProblem] = []
    objects: list[S3Object] = []
    scopes: list[str] = []
    base = _base(prefix)
    try:
        level = _common_prefixes(client, bucket, base)
    except Exception as exc:  # botocore ClientError and endpoint errors alike
        return [], [FileProblem(f"s3://{bucket}/{base}", f"cannot list: {_reason(exc)}")], []
    account_prefixes: list[str] = []
    for p in level:
        name = p[len(base) :].strip("/")
        if name.startswith("o-"):
            try:
                account_prefixes.extend(_common_prefixes(client, bucket, p))
            except Exception as exc:
                problems.append(FileProblem(f"s3://{bucket}/{p}", f"cannot list: {_reason(exc)}"))
        else:
            account_prefixes.append(p)
    wanted_accounts = set(accounts) if accounts else None
    wanted_regions = set(regions) if regions else None
    days = day_prefixes(since, until)
    for ap in account_prefixes:
        account = ap.rstrip("/").rsplit("/", 1)[-1]
        if wanted_accounts is not None and account not in wanted_accounts:
            continue
        ct = ap + "CloudTrail/"
        try:
            region_prefixes = _common_prefixes(client, bucket, ct)
        except Exception as exc:
            problems.append(FileProblem(f"s3://{bucket}/{ct}", f"cannot list: {_reason(exc)}"))
            continue
        for rp in region_prefixes:
            region = rp.rstrip("/").rsplit("/", 1)[-1]
            if wanted_regions is not None and region not in wanted_regions:
                continue
            scopes.append(f"{account}/{region}")
            for day in days:
                dp = rp + day
                try:
                    paginator = client.get_paginator("list_objects_v2")
                    for page in paginator.paginate(Bucket=bucket, Prefix=dp):
                        for obj in page.get("Contents", []):
                            objects.append(S3Object(obj["Key"], int(obj.get("Size", 0))))
                except Exception as exc:
                    problems.append(FileProblem(f"s3://{bucket}/{dp}", f"cannot list: {_reason(exc)}"))
    return objects, problems, scopes


def _reason(exc: Exception) -> str:
    """Why a call failed, naming the call: S3 says only "Access Denied" or "Please reduce your request rate"."""
    resp = getattr(exc, "response", None)
    if isinstance(resp, dict):
        err = resp.get("Error", {})
        operation = getattr(exc, "operation_name", None)
        where = f"s3:{operation} " if operation else ""
        return f"{where}{err.get('Code', type(exc).__name__)}: {err.get('Message', '')}".strip()
    return f"{type(exc).__name__}: {exc}"


def fetch(
    client: Any,
    bucket: str,
    objects: Sequence[S3Object],
    max_bytes: int,
) -> Iterator[tuple[str, bytes | FileProblem]]:
    """(s3 URL, bytes or the problem) per object, fetched by a few threads, in bounded chunks."""

    def get(obj: S3Object) -> tuple[str, bytes | FileProblem]:
        url = f"s3://{bucket}/{obj.key}"
        if obj.size > max_bytes:
            return url, FileProblem(url, f"object size {obj.size} exceeds the limit of {max_bytes} bytes")
        try:
            body = client.get_object(Bucket=bucket, Key=obj.key)["Body"]
            data: bytes = body.read(max_bytes + 1)
        except Exception as exc:
            return url, FileProblem(url, f"cannot be read: {_reason(exc)}")
        if len(data) > max_bytes:
            return url, FileProblem(url, f"object exceeds the limit of {max_bytes} bytes")
        return url, data

    with ThreadPoolExecutor(max_workers=FETCH_THREADS) as pool:
        for i in range(0, len(objects), FETCH_CHUNK):
            yield from pool.map(get, objects[i : i + FETCH_CHUNK])

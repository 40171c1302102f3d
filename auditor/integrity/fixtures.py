"""Signed digest chains for tests and the demo (no AWS account, no real CloudTrail key).

No public digest file comes with its signature and signing key, so the demo and
the tests generate an RSA key and write log files and digests exactly as the
CloudTrail documentation describes them: gzipped JSON, hourly digests chained
by ``previousDigest*`` fields, the signature in the ``signature`` and
``signature-algorithm`` S3 metadata (sidecar files for a local folder).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from auditor.integrity.digest import SIGNATURE_ALGORITHM, string_to_sign
from auditor.integrity.store import SIDECAR_SUFFIX
from auditor.model.arn import Arn
from auditor.model.timefmt import KEY_DATE_FORMAT, aware, iso


def generate_demo_key(bits: int = 2048) -> tuple[rsa.RSAPrivateKey, list[dict[str, str]]]:
    """A fresh RSA key and its public half as ListPublicKeys would list it.

    The list is FileKeySource-compatible: Fingerprint (MD5 of the DER public
    key, 32 hex digits like CloudTrail's), Value (base64 of the PKCS #1 DER),
    ValidityStartTime/EndTime.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key, [public_key_entry(key)]


def public_key_entry(key: rsa.RSAPrivateKey) -> dict[str, str]:
    """The ListPublicKeys-shaped entry of a private key's public half."""
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    return {
        "Fingerprint": fingerprint_of(key),
        "Value": base64.b64encode(der).decode("ascii"),
        "ValidityStartTime": "2000-01-01T00:00:00Z",
        "ValidityEndTime": "2100-01-01T00:00:00Z",
    }


def fingerprint_of(key: rsa.RSAPrivateKey) -> str:
    """MD5 hex of the PKCS #1 DER public key."""
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    return hashlib.md5(der, usedforsecurity=False).hexdigest()


def sign_digest(key: rsa.RSAPrivateKey, digest: dict[str, Any], inflated: bytes) -> str:
    """Hex RSA-SHA256 signature of a digest's documented signing string."""
    return key.sign(string_to_sign(digest, inflated), padding.PKCS1v15(), hashes.SHA256()).hex()


@dataclass
class DemoObject:
    """One object to write: key, bytes and S3 user metadata."""

    key: str
    body: bytes
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass
class DemoChain:
    """A written (or ready to write) chain and what a test needs to know about it."""

    bucket: str
    prefix: str
    account_id: str
    region: str
    trail_arn: str
    objects: list[DemoObject]
    digest_keys: list[str]
    log_keys: list[str]
    #: digest key -> the log keys it lists
    logs_of: dict[str, list[str]]
    #: digest key -> its digest fields
    digests: dict[str, dict[str, Any]]

    def obj(self, key: str) -> DemoObject:
        """The object with this key."""
        for o in self.objects:
            if o.key == key:
                return o
        raise KeyError(key)


def _events(account_id: str, region: str, when: datetime, n: int, seed: str) -> list[dict[str, Any]]:
    names = ["DescribeInstances", "GetBucketAcl", "AssumeRole", "ListUsers", "PutObject"]
    out = []
    for i in range(n):
        t = when + timedelta(minutes=i)
        out.append(
            {
                "eventVersion": "1.09",
                "userIdentity": {
                    "type": "AssumedRole",
                    "accountId": account_id,
                    "arn": f"arn:aws:sts::{account_id}:assumed-role/ops/alice",
                },
                "eventTime": iso(t),
                "eventSource": "ec2.amazonaws.com",
                "eventName": names[i % len(names)],
                "awsRegion": region,
                "sourceIPAddress": "203.0.113.10",
                "userAgent": "aws-cli/2.15.0",
                "requestParameters": None,
                "responseElements": None,
                "requestID": hashlib.sha256(f"{seed}-{i}-r".encode()).hexdigest()[:36],
                "eventID": hashlib.sha256(f"{seed}-{i}-e".encode()).hexdigest()[:36],
                "readOnly": True,
                "eventType": "AwsApiCall",
                "managementEvent": True,
                "recipientAccountId": account_id,
                "eventCategory": "Management",
            }
        )
    return out


def build_chain(
    bucket: str,
    prefix: str | None,
    account_id: str,
    region: str,
    start: datetime,
    hours: int,
    private_key: rsa.RSAPrivateKey,
    *,
    trail_arn: str | None = None,
    org_id: str | None = None,
    logs_per_digest: int = 1,
    events_per_log: int = 3,
    off_hours: Collection[int] = (),
    backfill_hours: Collection[int] = (),
) -> DemoChain:
    """Hourly log files and signed digests, as CloudTrail delivers them.

    The digests are named for ``trail_arn`` (its name and home region; default
    a trail "org-trail" in ``region``) under ``AWSLogs/[org_id/]account_id/``.
    ``off_hours`` are hours (0-based) with logging stopped: no digest, and the
    next digest is a starting digest (previous fields null), as after
    StartLogging. ``backfill_hours`` add a ``_backfill`` digest for one more log
    file delivered late in that hour.
    """
    start = aware(start).replace(microsecond=0)
    named = Arn.parse(trail_arn) if trail_arn else None
    home, trail_name = (named.region, named.resource_name) if named else (region, "org-trail")
    base = f"{prefix.strip('/')}/" if prefix and prefix.strip("/") else ""
    org = f"{org_id}/" if org_id else ""
    trail_arn = f"arn:aws:cloudtrail:{home}:{account_id}:trail/{trail_name}"
    fp = fingerprint_of(private_key)
    objects: list[DemoObject] = []
    digest_keys: list[str] = []
    log_keys: list[str] = []
    logs_of: dict[str, list[str]] = {}
    digests: dict[str, dict[str, Any]] = {}
    previous: tuple[str, str, str] | None = None  # key, signature, hash

    def log_object(when: datetime, seed: str) -> tuple[DemoObject, dict[str, Any]]:
        suffix = hashlib.sha256(seed.encode()).hexdigest()[:16]
        key = (
            f"{base}AWSLogs/{org}{account_id}/CloudTrail/{region}/{when:%Y/%m/%d}/"
            f"{account_id}_CloudTrail_{region}_{when:%Y%m%dT%H%MZ}_{suffix}.json.gz"
        )
        records = _events(account_id, region, when - timedelta(minutes=5), events_per_log, seed)
        raw = json.dumps({"Records": records}, separators=(",", ":")).encode("utf-8")
        entry = {
            "s3Bucket": bucket,
            "s3Object": key,
            "hashValue": hashlib.sha256(raw).hexdigest(),
            "hashAlgorithm": "SHA-256",
            "newestEventTime": records[-1]["eventTime"],
            "oldestEventTime": records[0]["eventTime"],
        }
        return DemoObject(key, gzip.compress(raw, mtime=0)), entry

    def digest_object(
        dstart: datetime,
        dend: datetime,
        entries: list[dict[str, Any]],
        prev: tuple[str, str, str] | None,
        backfill: bool,
    ) -> tuple[DemoObject, dict[str, Any]]:
        name = (
            f"{account_id}_CloudTrail-Digest_{region}_{trail_name}_{home}_"
            f"{dend.strftime(KEY_DATE_FORMAT)}{'_backfill' if backfill else ''}.json.gz"
        )
        key = f"{base}AWSLogs/{org}{account_id}/CloudTrail-Digest/{region}/{dend:%Y/%m/%d}/{name}"
        times = sorted(e["newestEventTime"] for e in entries)
        digest: dict[str, Any] = {
            "awsAccountId": account_id,
            "digestStartTime": iso(dstart),
            "digestEndTime": iso(dend),
            "digestS3Bucket": bucket,
            "digestS3Object": key,
            "digestPublicKeyFingerprint": fp,
            "digestSignatureAlgorithm": SIGNATURE_ALGORITHM,
            "newestEventTime": times[-1] if times else None,
            "oldestEventTime": min(e["oldestEventTime"] for e in entries) if entries else None,
            "previousDigestS3Bucket": bucket if prev else None,
            "previousDigestS3Object": prev[0] if prev else None,
            "previousDigestHashValue": prev[2] if prev else None,
            "previousDigestHashAlgorithm": "SHA-256" if prev else None,
            "previousDigestSignature": prev[1] if prev else None,
            "logFiles": entries,
        }
        inflated = json.dumps(digest, separators=(",", ":")).encode("utf-8")
        signature = sign_digest(private_key, digest, inflated)
        obj = DemoObject(
            key,
            gzip.compress(inflated, mtime=0),
            {"signature": signature, "signature-algorithm": SIGNATURE_ALGORITHM},
        )
        return obj, digest

    for hour in range(hours):
        dstart = start + timedelta(hours=hour)
        dend = dstart + timedelta(hours=1)
        if hour in off_hours:
            previous = None
            continue
        entries = []
        for n in range(logs_per_digest):
            when = dstart + timedelta(minutes=5 + n * 50 // max(logs_per_digest, 1))
            lobj, entry = log_object(when, f"{account_id}-{region}-{hour}-{n}")
            objects.append(lobj)
            log_keys.append(lobj.key)
            entries.append(entry)
        dobj, digest = digest_object(dstart, dend, entries, previous, False)
        objects.append(dobj)
        digest_keys.append(dobj.key)
        logs_of[dobj.key] = [e["s3Object"] for e in entries]
        digests[dobj.key] = digest
        inflated = gzip.decompress(dobj.body)
        previous = (dobj.key, dobj.metadata["signature"], hashlib.sha256(inflated).hexdigest())
        if hour in backfill_hours:
            lobj, entry = log_object(dstart + timedelta(minutes=58), f"{account_id}-{region}-{hour}-late")
            objects.append(lobj)
            log_keys.append(lobj.key)
            bobj, bdigest = digest_object(dstart, dend + timedelta(minutes=20), [entry], None, True)
            objects.append(bobj)
            digest_keys.append(bobj.key)
            logs_of[bobj.key] = [entry["s3Object"]]
            digests[bobj.key] = bdigest
    return DemoChain(
        bucket,
        base.rstrip("/"),
        account_id,
        region,
        trail_arn,
        objects,
        digest_keys,
        log_keys,
        logs_of,
        digests,
    )


def tamper_chain(chain: DemoChain) -> dict[str, str]:
    """After signing: modify one log file and delete another (what the demo shows)."""
    regular = [k for k in chain.digest_keys if not k.endswith("_backfill.json.gz")]
    if len(regular) < 3:
        raise ValueError("tampering needs a chain of at least 3 digests")
    modified = chain.logs_of[regular[len(regular) // 3]][0]
    deleted = chain.logs_of[regular[2 * len(regular) // 3]][0]
    obj = chain.obj(modified)
    data = json.loads(gzip.decompress(obj.body))
    data["Records"] = [r for r in data["Records"] if r.get("eventName") != "AssumeRole"] or data["Records"][1:]
    obj.body = gzip.compress(json.dumps(data, separators=(",", ":")).encode("utf-8"), mtime=0)
    chain.objects = [o for o in chain.objects if o.key != deleted]
    return {"modified_log": modified, "deleted_log": deleted}


def put_objects(s3_client: Any, bucket: str, objects: Iterable[DemoObject]) -> None:
    """Write objects (with their metadata) to a bucket, creating it when missing."""
    try:
        s3_client.head_bucket(Bucket=bucket)
    except Exception:  # the demo and tests create their own bucket
        region = s3_client.meta.region_name
        if region and region != "us-east-1":
            s3_client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
        else:
            s3_client.create_bucket(Bucket=bucket)
    for o in objects:
        s3_client.put_object(Bucket=bucket, Key=o.key, Body=o.body, Metadata=o.metadata)


def write_objects(folder: Path, objects: Iterable[DemoObject]) -> None:
    """Write objects under a folder mirroring the bucket, metadata in sidecar files."""
    for o in objects:
        path = folder / o.key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(o.body)
        if o.metadata:
            path.with_name(path.name + SIDECAR_SUFFIX).write_text(json.dumps(o.metadata), encoding="utf-8")


def _summary(chain: DemoChain, tampered: dict[str, str]) -> dict[str, Any]:
    return {
        "bucket": chain.bucket,
        "prefix": chain.prefix or None,
        "account_id": chain.account_id,
        "region": chain.region,
        "trail_arn": chain.trail_arn,
        "digest_keys": list(chain.digest_keys),
        "log_keys": list(chain.log_keys),
        "tampered": tampered,
    }


def seed_signed_chain(s3_client: Any, chain: DemoChain, tamper: bool = False) -> dict[str, Any]:
    """Write a signed chain into S3 (moto in the demo); with tamper, break two log files.

    Returns bucket, prefix, account_id, region, trail_arn, digest_keys,
    log_keys and tampered ({"modified_log", "deleted_log"} or {}).
    """
    tampered = tamper_chain(chain) if tamper else {}
    put_objects(s3_client, chain.bucket, chain.objects)
    return _summary(chain, tampered)


def write_demo_chain(folder: Path, chain: DemoChain, tamper: bool = False) -> dict[str, Any]:
    """The same, written to a local folder (for ``verify-logs`` offline)."""
    tampered = tamper_chain(chain) if tamper else {}
    write_objects(Path(folder), chain.objects)
    return _summary(chain, tampered)


def utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    """Shorthand for tests."""
    return datetime(year, month, day, hour, tzinfo=UTC)

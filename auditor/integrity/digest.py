"""Digest files: where they sit (the key), what they say (parsing) and who wrote them (signature).

A digest's RSA signature (PKCS #1 v1.5, SHA-256, ``SHA256withRSA``) is over::

    digestEndTime + "\\n" + digestS3Bucket + "/" + digestS3Object + "\\n"
    + hex(SHA-256(uncompressed digest file)) + "\\n" + previousDigestSignature

(``"null"`` for a starting digest). The chain walk that uses these is
:mod:`auditor.integrity.chain`.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from auditor.model.timefmt import parse_key_date

SIGNATURE_ALGORITHM = "SHA256withRSA"

DIGEST_KEY_RE = re.compile(
    r"^(?P<prefix>(?:.*/)?)AWSLogs/(?:(?P<org>o-[a-z0-9]+)/)?(?P<account>\d{12})/CloudTrail-Digest/"
    r"(?P<dir_region>[^/]+)/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/"
    r"(?P=account)_CloudTrail-Digest_(?P<region>[^_/]+)_(?P<trail>[^/]+)_(?P<home>[^_/]+)_"
    r"(?P<stamp>\d{8}T\d{6}Z)(?P<backfill>_backfill)?\.json\.gz$"
)

REQUIRED_FIELDS = (
    "digestPublicKeyFingerprint",
    "digestS3Bucket",
    "digestS3Object",
    "previousDigestSignature",
    "digestEndTime",
    "digestStartTime",
)


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class DigestRef:
    """What a digest's key says about it."""

    key: str
    prefix: str
    org_id: str | None
    account_id: str
    region: str
    trail_name: str
    home_region: str
    end: datetime
    backfill: bool

    @property
    def group(self) -> tuple[str, str, str, str, str, str]:
        """One chain: same location, account, region and trail."""
        return (
            self.prefix,
            self.org_id or "",
            self.account_id,
            self.region,
            self.trail_name,
            self.home_region,
        )


def parse_digest_key(key: str) -> DigestRef | None:
    """Parse a digest object key, or None when the key is not a digest file's."""
    m = DIGEST_KEY_RE.match(key)
    if not m or m["dir_region"] != m["region"]:
        return None
    try:
        end = parse_key_date(m["stamp"])
    except ValueError:
        return None
    return DigestRef(
        key=key,
        prefix=m["prefix"],
        org_id=m["org"],
        account_id=m["account"],
        region=m["region"],
        trail_name=m["trail"],
        home_region=m["home"],
        end=end,
        backfill=bool(m["backfill"]),
    )


class DigestFormatError(ValueError):
    """The bytes are not a gzipped (or plain) JSON digest with the required fields."""


def parse_digest(raw: bytes) -> tuple[dict[str, Any], bytes]:
    """Decode a digest file: returns (fields, the uncompressed bytes that were signed).

    Gzipped as CloudTrail delivers it, or already uncompressed (a digest saved
    by hand). Raises DigestFormatError for anything else.
    """
    inflated = raw
    if raw[:2] == b"\x1f\x8b":
        try:
            inflated = zlib.decompress(raw, zlib.MAX_WBITS | 16)
        except zlib.error as exc:
            raise DigestFormatError(f"not a valid gzip file: {exc}") from exc
    try:
        data = json.loads(inflated.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DigestFormatError(f"not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise DigestFormatError("not a JSON object")
    missing = [f for f in REQUIRED_FIELDS if f not in data]
    if missing:
        raise DigestFormatError(f"required fields missing: {', '.join(missing)}")
    for name in ("digestS3Bucket", "digestS3Object", "digestEndTime", "digestPublicKeyFingerprint"):
        if not isinstance(data[name], str):
            raise DigestFormatError(f"field {name} is not a string")
    if not isinstance(data.get("logFiles", []), list):
        raise DigestFormatError("field logFiles is not a list")
    return data, inflated


def string_to_sign(data: Mapping[str, Any], inflated: bytes) -> bytes:
    """The documented data signing string of a digest."""
    previous = data.get("previousDigestSignature")
    return "{}\n{}/{}\n{}\n{}".format(
        data["digestEndTime"],
        data["digestS3Bucket"],
        data["digestS3Object"],
        hashlib.sha256(inflated).hexdigest(),
        "null" if previous is None else previous,
    ).encode("utf-8")


def verify_signature(public_key: RSAPublicKey, signature_hex: str, data: Mapping[str, Any], inflated: bytes) -> bool:
    """RSA PKCS #1 v1.5 over SHA-256 of the signing string (SHA256withRSA)."""
    try:
        signature = bytes.fromhex(signature_hex)
    except ValueError:
        return False
    try:
        public_key.verify(signature, string_to_sign(data, inflated), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True

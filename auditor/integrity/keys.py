"""Where the CloudTrail public keys come from: the API, or a file saved from it.

Digest files name the key that signed them by ``digestPublicKeyFingerprint``.
Keys are fetched once per validation run for its whole time range, behind one
small protocol, so that offline validation (``--public-keys FILE``) and online
validation share every line of the verification code.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from auditor.model.errors import AuditorError
from auditor.model.timefmt import aware, parse_iso

#: DER bytes (as ListPublicKeys returns, PKCS #1 or SubjectPublicKeyInfo) or PEM text.
KeyMaterial = bytes | str


class PublicKeySource(Protocol):
    """Supplies the public keys whose private keys signed digests in a time range."""

    def keys_for(self, start: datetime, end: datetime) -> dict[str, KeyMaterial]:
        """Fingerprint -> key material, for keys valid at any time in [start, end]."""
        ...


class KeyLoadError(AuditorError):
    """A key could not be loaded as an RSA public key."""


def load_public_key(material: KeyMaterial) -> RSAPublicKey:
    """Load DER (PKCS #1 or SubjectPublicKeyInfo) or PEM into an RSA public key."""
    try:
        if isinstance(material, str):
            text = material.strip()
            if text.startswith("-----BEGIN"):
                key = serialization.load_pem_public_key(text.encode("ascii"))
            else:
                key = serialization.load_der_public_key(base64.b64decode(text, validate=True))
        else:
            key = serialization.load_der_public_key(material)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise KeyLoadError(f"unable to load PKCS #1 public key: {exc}") from exc
    if not isinstance(key, RSAPublicKey):
        raise KeyLoadError("public key is not an RSA key")
    return key


def _as_time(value: Any) -> datetime | None:
    """ListPublicKeys times: datetimes (boto3), epoch seconds ("1436317441.0") or ISO text."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return aware(value)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), tz=UTC)
    text = str(value).strip()
    try:
        return datetime.fromtimestamp(float(text), tz=UTC)
    except ValueError:
        return parse_iso(text)


def _overlaps(entry: Mapping[str, Any], start: datetime, end: datetime) -> bool:
    vstart = _as_time(entry.get("ValidityStartTime"))
    vend = _as_time(entry.get("ValidityEndTime"))
    return (vstart is None or vstart <= end) and (vend is None or vend >= start)


def _entries_to_keys(entries: Iterable[Mapping[str, Any]], start: datetime, end: datetime) -> dict[str, KeyMaterial]:
    keys: dict[str, KeyMaterial] = {}
    for entry in entries:
        fingerprint = entry.get("Fingerprint")
        value = entry.get("Value")
        if not isinstance(fingerprint, str) or not isinstance(value, bytes | str):
            continue
        if _overlaps(entry, start, end):
            keys[fingerprint] = value
    return keys


class FileKeySource:
    """Keys saved from ``aws cloudtrail list-public-keys`` (offline validation).

    Accepts the CLI's output as is (``{"PublicKeyList": [...]}``, any key case)
    or a bare list of ``{"Fingerprint", "Value" (base64 DER),
    "ValidityStartTime", "ValidityEndTime"}``.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise AuditorError(f"{self.path}: cannot read public keys: {exc.strerror}") from exc
        except json.JSONDecodeError as exc:
            raise AuditorError(f"{self.path}: public keys file is not JSON: {exc}") from exc
        self.entries = _entries_from_json(data, str(self.path))

    @classmethod
    def from_entries(cls, entries: Iterable[Mapping[str, Any]]) -> FileKeySource:
        """Build from already-parsed entries (tests, the demo)."""
        obj = cls.__new__(cls)
        obj.path = Path("<memory>")
        obj.entries = _entries_from_json(list(entries), "<memory>")
        return obj

    def keys_for(self, start: datetime, end: datetime) -> dict[str, KeyMaterial]:
        """Keys whose validity overlaps [start, end]."""
        return _entries_to_keys(self.entries, aware(start), aware(end))


def _entries_from_json(data: Any, where: str) -> list[Mapping[str, Any]]:
    if isinstance(data, Mapping):
        for name in ("PublicKeyList", "publicKeyList"):
            if isinstance(data.get(name), list):
                data = data[name]
                break
    if not isinstance(data, list) or not all(isinstance(e, Mapping) for e in data):
        raise AuditorError(f"{where}: expected a list of public keys (the output of aws cloudtrail list-public-keys)")
    for i, entry in enumerate(data):
        for name in ("Fingerprint", "Value"):
            if not isinstance(entry.get(name), str):
                raise AuditorError(f"{where}: public key #{i}: field {name} missing or not a string")
    return list(data)


class CloudTrailKeySource:
    """Keys from CloudTrail ListPublicKeys, in the region of the digests to validate.

    Keys are per region: pass a client created in the trail's region. The
    client is any object with botocore's ``list_public_keys`` (this module
    never imports boto3).
    """

    def __init__(self, cloudtrail_client: Any) -> None:
        self._client = cloudtrail_client
        #: Keys already listed, by time range: an organisation trail validates each member
        #: account's chains over the same range with the same source (failures are not kept).
        self._listed: dict[tuple[datetime, datetime], dict[str, KeyMaterial]] = {}

    def keys_for(self, start: datetime, end: datetime) -> dict[str, KeyMaterial]:
        """Call ListPublicKeys(StartTime, EndTime), following NextToken (once per range)."""
        listed = self._listed.get((start, end))
        if listed is None:
            listed = self._listed[(start, end)] = self._list(start, end)
        return dict(listed)

    def _list(self, start: datetime, end: datetime) -> dict[str, KeyMaterial]:
        entries: list[Mapping[str, Any]] = []
        kwargs: dict[str, Any] = {"StartTime": aware(start), "EndTime": aware(end)}
        while True:
            page = self._client.list_public_keys(**kwargs)
            entries.extend(page.get("PublicKeyList", []))
            token = page.get("NextToken")
            if not token:
                break
            kwargs["NextToken"] = token
        # The API already filtered by time; keep every key it returned.
        return {
            str(e["Fingerprint"]): e["Value"]
            for e in entries
            if isinstance(e.get("Fingerprint"), str) and isinstance(e.get("Value"), bytes | str)
        }


class CombinedKeySource:
    """Several sources as one: keys are per region, a multi-region run needs each region's."""

    def __init__(self, *sources: PublicKeySource) -> None:
        self._sources = sources

    def keys_for(self, start: datetime, end: datetime) -> dict[str, KeyMaterial]:
        """The union of every source's keys."""
        keys: dict[str, KeyMaterial] = {}
        for source in self._sources:
            keys.update(source.keys_for(start, end))
        return keys

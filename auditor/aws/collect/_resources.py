"""Trail destinations read once per scan: S3 buckets and KMS keys.

Several trails (and, in an organisation, several accounts) often share one log
bucket and one key. Each is read once, with the credentials of the account
that owns it when that account is in scope, because only the owner can read a
bucket's policy, ACL and lifecycle. A bucket no scanned account owns is either
missing (a finding) or out of scope (a CollectionError that tells the user
which account to add).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from auditor.aws.collect import _parse as parse
from auditor.aws.collect._aws import AccountAccess, Aws, not_collected
from auditor.model.arn import arn_part
from auditor.model.snapshot import Bucket, CollectionError, KmsKey

_MISSING_BUCKET_CODES = frozenset({"404", "NoSuchBucket", "NotFound"})

_BUCKET_FIELDS = (
    "region",
    "policy",
    "acl",
    "public_access_block",
    "versioning",
    "object_lock",
    "lifecycle",
    "logging",
    "encryption",
    "size_bytes",
)

#: (field, operation, "not configured" codes, parser) for a readable bucket.
_BUCKET_READS: tuple[tuple[str, str, tuple[str, ...], Callable[[Any], Any]], ...] = (
    ("policy", "GetBucketPolicy", ("NoSuchBucketPolicy",), parse.bucket_policy),
    ("acl", "GetBucketAcl", (), parse.bucket_acl),
    (
        "public_access_block",
        "GetPublicAccessBlock",
        ("NoSuchPublicAccessBlockConfiguration",),
        parse.public_access_block,
    ),
    ("versioning", "GetBucketVersioning", (), parse.versioning),
    ("object_lock", "GetObjectLockConfiguration", ("ObjectLockConfigurationNotFoundError",), parse.object_lock),
    ("lifecycle", "GetBucketLifecycleConfiguration", ("NoSuchLifecycleConfiguration",), parse.lifecycle),
    ("logging", "GetBucketLogging", (), parse.bucket_logging),
    (
        "encryption",
        "GetBucketEncryption",
        ("ServerSideEncryptionConfigurationNotFoundError",),
        parse.bucket_encryption,
    ),
)

#: How many whole days back to look for S3's daily storage metric: it is published
#: once a day and can arrive up to two days late, so four days hold the latest one.
SIZE_LOOKBACK_DAYS = 4

#: Only S3 Standard bytes are counted: they are what an archival transition would move
#: and what bucket-archival-lifecycle's saving estimate prices. Bytes already in other
#: classes (each its own StorageType, about twenty of them) would need one more call
#: per class and would overstate the saving.
SIZE_STORAGE_TYPE = "StandardStorage"

Submit = Callable[[str, Callable[[], None]], None]


def size_window(now: datetime) -> tuple[datetime, datetime]:
    """The [start, end) of the BucketSizeBytes query: the last whole UTC days before today.

    Ending at today's 00:00 keeps every request made on one day the same request
    (the collection benchmark replays recorded answers by request body) and one
    scan's figure stable through the day; the day that has not ended adds nothing
    a cost estimate needs. (moto also synthesises a datapoint for today from the
    bytes it stores; this window leaves it out, so tests and the demo see only
    the datapoints they put.)
    """
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=SIZE_LOOKBACK_DAYS), today


@dataclass(eq=False, repr=False)  # identity, not value: it holds locks, live state and credentials
class Resources:
    """Schedules each distinct bucket and key once, then freezes what was read."""

    aws: Aws
    partition: str
    home: str
    trusted_accounts: tuple[str, ...]
    submit: Submit
    #: The scanned account that owns each bucket (from its ListBuckets).
    bucket_owners: Mapping[str, AccountAccess]
    #: Scanned accounts whose ListBuckets failed: they may own an unlisted bucket.
    unlisted_accounts: tuple[str, ...]
    accessible: Mapping[str, AccountAccess]
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _buckets: dict[str, dict[str, Any]] = field(default_factory=dict, init=False, repr=False)
    _keys: dict[str, dict[str, Any]] = field(default_factory=dict, init=False, repr=False)

    # ------------------------------------------------------------------ requests

    def request_bucket(self, name: str, requester: AccountAccess) -> None:
        """Read this bucket unless already scheduled; ``requester`` names it in a trail."""
        with self._lock:
            if name in self._buckets:
                return
            state: dict[str, Any] = {}
            self._buckets[name] = state
        self.submit(f"bucket {name}", partial(self._bucket, name, requester, state))

    def request_key(self, key_ref: str, requester: AccountAccess, trail_home: str) -> None:
        """Read this key unless already scheduled."""
        with self._lock:
            if key_ref in self._keys:
                return
            state: dict[str, Any] = {}
            self._keys[key_ref] = state
        self.submit(f"key {key_ref}", partial(self._key, key_ref, requester, trail_home, state))

    # ------------------------------------------------------------------ results

    def buckets(self) -> tuple[Bucket, ...]:
        """Every requested bucket, sorted by name (call after all tasks finished)."""
        return tuple(self._freeze_bucket(n) for n in sorted(self._buckets))

    def keys(self) -> tuple[KmsKey, ...]:
        """Every requested key, sorted by reference."""
        return tuple(self._freeze_key(k) for k in sorted(self._keys))

    # ------------------------------------------------------------------ buckets

    def _bucket(self, name: str, requester: AccountAccess, state: dict[str, Any]) -> None:
        owner = self.bucket_owners.get(name)
        if owner is None:
            self._unowned_bucket(name, requester, state)
            return
        state["existence"] = "exists"
        state["owner_account_id"] = owner.account_id
        resource = f"arn:{self.partition}:s3:::{name}"
        loc = self.aws.read(
            owner, "s3", self.home, "GetBucketLocation", parse.bucket_region, resource=resource, Bucket=name
        )
        state["region"] = loc
        if isinstance(loc, CollectionError):
            # CloudWatch keeps the size in the bucket's region only: asking another
            # region would answer "no datapoint", which reads as a fact.
            state["size_bytes"] = loc
            region = self.home
        else:
            region = loc
            self.submit(f"bucket size {name}", partial(self._bucket_size, state, owner, region, name, resource))
        for fld, op, absent, parser in _BUCKET_READS:
            read = partial(self._bucket_read, state, owner, region, name, resource, fld, op, absent, parser)
            self.submit(f"bucket {op} {name}", read)

    def _bucket_read(
        self,
        state: dict[str, Any],
        access: AccountAccess,
        region: str,
        name: str,
        resource: str,
        fld: str,
        operation: str,
        absent: tuple[str, ...],
        parser: Callable[[Any], Any],
    ) -> None:
        state[fld] = self.aws.read(
            access, "s3", region, operation, parser, resource=resource, not_configured=absent, absent=None, Bucket=name
        )

    def _bucket_size(self, state: dict[str, Any], access: AccountAccess, region: str, name: str, resource: str) -> None:
        """The bucket's S3 Standard bytes from CloudWatch's daily storage metric.

        Informational only (a cost estimate): a refused or failed call leaves a
        CollectionError that bucket-archival-lifecycle quotes as the reason the
        size is unknown, and no check's verdict depends on it.
        """
        start, end = size_window(datetime.now(UTC))
        state["size_bytes"] = self.aws.read(
            access,
            "cloudwatch",
            region,
            "GetMetricStatistics",
            parse.bucket_size_bytes,
            resource=resource,
            Namespace="AWS/S3",
            MetricName="BucketSizeBytes",
            Dimensions=[
                {"Name": "BucketName", "Value": name},
                {"Name": "StorageType", "Value": SIZE_STORAGE_TYPE},
            ],
            StartTime=start,
            EndTime=end,
            Period=86400,
            Statistics=["Average"],
        )

    def _unowned_bucket(self, name: str, requester: AccountAccess, state: dict[str, Any]) -> None:
        resource = f"arn:{self.partition}:s3:::{name}"
        head = self.aws.call(requester, "s3", self.home, "HeadBucket", resource=resource, record=False, Bucket=name)
        if isinstance(head, CollectionError) and head.error_code in _MISSING_BUCKET_CODES:
            state["existence"] = "missing"  # a fact: the trail writes nowhere
            for fld in _BUCKET_FIELDS:
                state[fld] = None
            return
        trusted_owner = None
        for trusted in self.trusted_accounts:
            probe = self.aws.call(
                requester,
                "s3",
                self.home,
                "HeadBucket",
                resource=resource,
                record=False,
                Bucket=name,
                ExpectedBucketOwner=trusted,
            )
            if isinstance(probe, dict):
                trusted_owner = trusted
                break
        if self.unlisted_accounts:
            code = "OwnerUnknown"
            message = (
                f"bucket {name} is not owned by any scanned account whose bucket list could be"
                f" read; S3 ListBuckets failed in {', '.join(self.unlisted_accounts)}, which may own it"
            )
        else:
            code = "OutOfScope"
            where = f"trusted account {trusted_owner}" if trusted_owner else "an account"
            message = (
                f"bucket {name} belongs to {where} outside the scan's scope, so its"
                " configuration cannot be read; include the account that owns it (for example"
                " the log archive account) with --accounts or --organization"
            )
        err = CollectionError(
            account_id=requester.account_id,
            region=self.home,
            service="s3",
            operation="ListBuckets",
            error_code=code,
            message=message,
            resource=resource,
        )
        self.aws.report(err)
        if trusted_owner:
            state["existence"] = "exists"
            state["owner_account_id"] = trusted_owner
        else:
            state["existence"] = err
        for fld in _BUCKET_FIELDS:
            state[fld] = err

    def _freeze_bucket(self, name: str) -> Bucket:
        state = self._buckets[name]
        a = str(state.get("owner_account_id") or "")
        fields = {fld: state.get(fld, not_collected(a, self.home, "s3", fld)) for fld in _BUCKET_FIELDS}
        return Bucket(
            name=name,
            existence=state.get("existence", not_collected(a, self.home, "s3", "ListBuckets")),
            owner_account_id=state.get("owner_account_id"),
            **fields,
        )

    # ------------------------------------------------------------------ keys

    def _key(self, key_ref: str, requester: AccountAccess, trail_home: str, state: dict[str, Any]) -> None:
        key_account = arn_part(key_ref, 4) or requester.account_id
        region = arn_part(key_ref, 3) or trail_home
        access = self.accessible.get(key_account) or requester
        state["account_id"], state["region"] = key_account, region
        meta = self.aws.read(access, "kms", region, "DescribeKey", parse.key_metadata, resource=key_ref, KeyId=key_ref)
        state["metadata"] = meta
        if isinstance(meta, CollectionError):
            state["rotation"] = meta
        elif meta.key_manager == "CUSTOMER" and meta.key_spec == "SYMMETRIC_DEFAULT" and meta.origin == "AWS_KMS":
            state["rotation"] = self.aws.read(
                access,
                "kms",
                region,
                "GetKeyRotationStatus",
                lambda res: bool(res.get("KeyRotationEnabled", False)),
                resource=key_ref,
                KeyId=meta.arn,
            )
        else:
            state["rotation"] = None  # not applicable unless a customer-managed symmetric key
        state["policy"] = self.aws.read(
            access,
            "kms",
            region,
            "GetKeyPolicy",
            parse.key_policy,
            resource=key_ref,
            KeyId=key_ref,
            PolicyName="default",
        )

    def _freeze_key(self, key_ref: str) -> KmsKey:
        state = self._keys[key_ref]
        account = str(state.get("account_id", ""))
        region = str(state.get("region", ""))
        return KmsKey(
            key_ref=key_ref,
            account_id=account,
            region=region,
            metadata=state.get("metadata", not_collected(account, region, "kms", "DescribeKey")),
            rotation_enabled=state.get("rotation", not_collected(account, region, "kms", "GetKeyRotationStatus")),
            policy=state.get("policy", not_collected(account, region, "kms", "GetKeyPolicy")),
        )

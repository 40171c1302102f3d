"""Digest-chain validation: prove CloudTrail log files were not changed or removed.

Public API (what the CLI calls)::

    verify_bucket(store_for, DigestScope(bucket, prefix, account_id, regions, start, end, ...), keys)
    verify_local(folder, start, end, keys)
    summary_lines(report)
    CloudTrailKeySource(cloudtrail_client), FileKeySource(path), CombinedKeySource(*sources)

Reading digests from S3 is AWS glue: ``auditor.aws.digest_source.verify_s3``
opens the buckets and calls ``verify_bucket``. The modules: ``digest`` (a
digest's key, fields and signature), ``chain`` (the chain walk), ``verify``
(the entry points), ``model`` (the report), ``keys``, ``store``.

The report (:class:`IntegrityReport`, ``to_dict()``) goes into
``Snapshot.integrity``; ``logs-digest-integrity`` judges it.
"""

from __future__ import annotations

from auditor.integrity.digest import parse_digest
from auditor.integrity.fixtures import generate_demo_key, seed_signed_chain, write_demo_chain
from auditor.integrity.keys import (
    CloudTrailKeySource,
    CombinedKeySource,
    FileKeySource,
    PublicKeySource,
)
from auditor.integrity.model import (
    DigestGap,
    FailureKind,
    FileResult,
    FileStatus,
    IntegrityReport,
    Scope,
)
from auditor.integrity.verify import (
    DigestScope,
    merge_reports,
    summary_lines,
    verify_bucket,
    verify_local,
)

__all__ = [
    "CloudTrailKeySource",
    "CombinedKeySource",
    "DigestGap",
    "DigestScope",
    "FailureKind",
    "FileKeySource",
    "FileResult",
    "FileStatus",
    "IntegrityReport",
    "PublicKeySource",
    "Scope",
    "generate_demo_key",
    "merge_reports",
    "parse_digest",
    "seed_signed_chain",
    "summary_lines",
    "verify_bucket",
    "verify_local",
    "write_demo_chain",
]

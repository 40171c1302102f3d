"""Digest-chain validation: prove CloudTrail log files were not changed or removed.

Public API (what the CLI calls)::

    verify_s3(s3_client, bucket, prefix, account_id, regions, start, end, keys, ...)
    verify_local(folder, start, end, keys)
    summary_lines(report)
    CloudTrailKeySource(cloudtrail_client), FileKeySource(path), CombinedKeySource(*sources)

The report (:class:`IntegrityReport`, ``to_dict()``) goes into
``Snapshot.integrity``; ``logs-digest-integrity`` judges it.
"""

from __future__ import annotations

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
    merge_reports,
    parse_digest,
    summary_lines,
    verify_local,
    verify_s3,
)

__all__ = [
    "CloudTrailKeySource",
    "CombinedKeySource",
    "DigestGap",
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
    "verify_local",
    "verify_s3",
    "write_demo_chain",
]

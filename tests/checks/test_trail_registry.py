"""The trail-* checks are discovered, and their metadata is complete."""

from __future__ import annotations

import pytest

from auditor.engine.checkapi import Check, Severity
from auditor.engine.registry import builtin_checks

EXPECTED = {
    "trail-enabled": Severity.CRITICAL,
    "trail-multi-region": Severity.HIGH,
    "trail-management-events": Severity.HIGH,
    "trail-global-service-events": Severity.MEDIUM,
    "trail-organization": Severity.MEDIUM,
    "trail-log-file-validation": Severity.MEDIUM,
    "trail-kms-encryption": Severity.MEDIUM,
    "trail-kms-key-health": Severity.HIGH,
    "trail-kms-key-rotation": Severity.MEDIUM,
    "trail-kms-key-policy": Severity.MEDIUM,
    "trail-delivery-health": Severity.HIGH,
    "trail-cloudwatch-logs": Severity.LOW,
    "trail-s3-data-events-write": Severity.MEDIUM,
    "trail-s3-data-events-read": Severity.MEDIUM,
    "trail-insights": Severity.LOW,
    "trail-duplicate-management-copies": Severity.LOW,
    "trail-tags": Severity.LOW,
    "trail-sns-notification": Severity.LOW,
    "trail-lambda-data-events": Severity.LOW,
    "trail-dynamodb-data-events": Severity.LOW,
    "trail-network-activity-events": Severity.INFO,
}


def trail_checks() -> dict[str, Check]:
    return {c.meta.id: c for c in builtin_checks() if c.meta.id.startswith("trail-")}


def test_all_trail_checks_are_discovered() -> None:
    assert set(trail_checks()) == set(EXPECTED)


@pytest.mark.parametrize("check_id", sorted(EXPECTED))
def test_metadata_is_complete(check_id: str) -> None:
    meta = trail_checks()[check_id].meta
    assert meta.severity is EXPECTED[check_id]
    assert meta.section == "trail"
    assert meta.resource_type in ("AwsCloudTrailTrail", "AwsAccount", "AwsKmsKey")
    assert meta.rationale.count(".") >= 2
    assert meta.remediation.summary
    assert meta.remediation.cli.startswith("aws ")
    assert 'resource "aws_' in meta.remediation.terraform
    assert meta.references
    assert meta.permissions and all(":" in p for p in meta.permissions)
    assert meta.notes

"""The check catalogue of /work/shared/spec/checks.md, frozen here as the expected set.

Mappings are tested against this list rather than the registry alone, because
the registry only holds the checks whose modules exist yet; the catalogue is
the public interface the mappings must cover.
"""

from __future__ import annotations

#: CloudTrail Lake event data stores (issue 14), catalogued with the trail checks.
LAKE = (
    "lake-kms-encryption",
    "lake-multi-region",
    "lake-organization",
    "lake-retention",
    "lake-termination-protection",
    "lake-ingestion",
)
TRAIL = (
    "trail-enabled",
    "trail-multi-region",
    "trail-management-events",
    "trail-global-service-events",
    "trail-organization",
    "trail-log-file-validation",
    "trail-kms-encryption",
    "trail-kms-key-health",
    "trail-kms-key-rotation",
    "trail-kms-key-policy",
    "trail-delivery-health",
    "trail-cloudwatch-logs",
    "trail-s3-data-events-write",
    "trail-s3-data-events-read",
    "trail-insights",
    "trail-duplicate-management-copies",
    # Coverage wave 2 (issue 14), beyond checks.md (which allows new ids).
    "trail-tags",
    "trail-sns-notification",
    "trail-lambda-data-events",
    "trail-dynamodb-data-events",
    "trail-network-activity-events",
    *LAKE,
)
BUCKET = (
    "bucket-exists",
    "bucket-not-public",
    "bucket-policy-tls-only",
    "bucket-policy-source-arn",
    "bucket-access-logging",
    "bucket-versioning",
    "bucket-mfa-delete",
    "bucket-object-lock",
    "bucket-retention",
    "bucket-hot-retention",
    "bucket-archival-lifecycle",
    "bucket-default-encryption",
)
#: CIS 4.1 to 4.15, in order.
ALARMS = (
    "alarm-unauthorized-api-calls",
    "alarm-console-login-no-mfa",
    "alarm-root-usage",
    "alarm-iam-policy-changes",
    "alarm-cloudtrail-changes",
    "alarm-console-auth-failures",
    "alarm-cmk-disable-deletion",
    "alarm-s3-bucket-policy-changes",
    "alarm-config-changes",
    "alarm-security-group-changes",
    "alarm-nacl-changes",
    "alarm-network-gateway-changes",
    "alarm-route-table-changes",
    "alarm-vpc-changes",
    "alarm-organizations-changes",
)
MONITORING = ("loggroup-retention", "loggroup-kms-encryption", "loggroup-resource-policy", *ALARMS)
ACCOUNT = ("config-recorder-all-regions",)
LOGS = (
    "logs-delivery-continuity",
    "logs-digest-integrity",
    "logs-trail-tampering",
    "logs-bucket-tampering",
    "logs-key-tampering",
    "logs-root-activity",
    "logs-console-login-no-mfa",
    "logs-console-login-failures",
    "logs-unauthorized-api-calls",
    "logs-iam-policy-changes",
    "logs-network-changes",
    "logs-privilege-escalation",
    "logs-unused-region-activity",
    "logs-api-call-rate-anomaly",
    "logs-api-error-rate-anomaly",
    # Added beyond checks.md (which allows new ids): Sigma detections as findings.
    "logs-sigma-matches",
)

CATALOGUE: frozenset[str] = frozenset((*TRAIL, *BUCKET, *MONITORING, *ACCOUNT, *LOGS))

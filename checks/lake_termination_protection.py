"""lake-termination-protection: CloudTrail Lake event data stores have termination protection on."""

from __future__ import annotations

from auditor.engine.checkapi import Severity
from auditor.engine.lake import flag_check, lake_meta, store_remediation

META = lake_meta(
    id="lake-termination-protection",
    title="CloudTrail Lake event data stores have termination protection enabled",
    severity=Severity.MEDIUM,
    rationale=(
        "Without termination protection one DeleteEventDataStore call starts deleting the "
        "stored history of the organisation's activity; with it, the protection must be "
        "turned off first, a separate and logged change."
    ),
    remediation=store_remediation(
        "Turn termination protection on (AWS's default for a new store).",
        "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/query-eds-termination-protection.html",
        option="--termination-protection-enabled",
        setting="termination_protection_enabled = true",
    ),
    references=("CloudTrail Lake CreateEventDataStore TerminationProtectionEnabled",),
    notes="TerminationProtectionEnabled from GetEventDataStore.",
)


CHECK = flag_check(
    META,
    lambda cfg: cfg.termination_protection_enabled,
    "termination_protection_enabled",
    "termination protection is on",
    "termination protection is off: one DeleteEventDataStore call deletes it",
)

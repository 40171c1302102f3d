"""lake-multi-region: CloudTrail Lake event data stores collect events from every region."""

from __future__ import annotations

from auditor.engine.checkapi import Severity
from auditor.engine.lake import flag_check, lake_meta, store_remediation

META = lake_meta(
    id="lake-multi-region",
    title="CloudTrail Lake event data stores collect events from all regions",
    severity=Severity.MEDIUM,
    rationale=(
        "A single-region event data store misses activity in every other region, including "
        "regions an attacker chooses because nobody watches them."
    ),
    remediation=store_remediation(
        "Make the event data store multi-region.",
        "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/query-event-data-store.html",
        option="--multi-region-enabled",
        setting="multi_region_enabled = true",
    ),
    references=("CloudTrail Lake CreateEventDataStore MultiRegionEnabled",),
    notes="MultiRegionEnabled from GetEventDataStore; AWS's default for a new store is multi-region.",
)


CHECK = flag_check(
    META,
    lambda cfg: cfg.multi_region_enabled,
    "multi_region_enabled",
    "collects events from all regions",
    "collects events only in {region}",
)

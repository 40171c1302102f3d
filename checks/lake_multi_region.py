"""lake-multi-region: CloudTrail Lake event data stores collect events from every region."""

from __future__ import annotations

from auditor.engine.checkapi import CheckContext, Severity
from auditor.engine.judgement import Judgement
from auditor.engine.lake import lake_check, lake_meta, store_remediation
from auditor.model.snapshot import AccountSnapshot, EventDataStore, EventDataStoreConfig

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


def _judge(ctx: CheckContext, account: AccountSnapshot, store: EventDataStore, cfg: EventDataStoreConfig) -> Judgement:
    ok = bool(cfg.multi_region_enabled)
    return Judgement.either(
        ok, "collects events from all regions", f"collects events only in {store.region}", {"multi_region_enabled": ok}
    )


CHECK = lake_check(META, _judge)

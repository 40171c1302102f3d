"""lake-multi-region: CloudTrail Lake event data stores collect events from every region."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Remediation, Severity, Status
from auditor.engine.lake import RESOURCE_TYPE, per_event_data_store, store_result
from auditor.model.snapshot import AccountSnapshot, EventDataStore, EventDataStoreConfig

META = CheckMeta(
    id="lake-multi-region",
    title="CloudTrail Lake event data stores collect events from all regions",
    severity=Severity.MEDIUM,
    section="trail",
    resource_type=RESOURCE_TYPE,
    rationale=(
        "A single-region event data store misses activity in every other region, including "
        "regions an attacker chooses because nobody watches them."
    ),
    remediation=Remediation(
        summary=("Make the event data store multi-region."),
        cli="aws cloudtrail update-event-data-store --event-data-store <arn> --multi-region-enabled",
        terraform=(
            'resource "aws_cloudtrail_event_data_store" "main" {\n'
            '  name = "org-events"\n'
            "  multi_region_enabled = true\n"
            "}"
        ),
        url="https://docs.aws.amazon.com/awscloudtrail/latest/userguide/query-event-data-store.html",
    ),
    references=("CloudTrail Lake CreateEventDataStore MultiRegionEnabled",),
    permissions=("cloudtrail:ListEventDataStores", "cloudtrail:GetEventDataStore"),
    notes=("MultiRegionEnabled from GetEventDataStore; AWS's default for a new store is multi-region."),
)


def _judge(
    ctx: CheckContext, account: AccountSnapshot, store: EventDataStore, cfg: EventDataStoreConfig
) -> CheckResult:
    if cfg.multi_region_enabled:
        return store_result(
            ctx, account, store, Status.PASS, "collects events from all regions", {"multi_region_enabled": True}
        )
    return store_result(
        ctx, account, store, Status.FAIL, f"collects events only in {store.region}", {"multi_region_enabled": False}
    )


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per event data store; NOT_APPLICABLE for an account without one."""
    yield from per_event_data_store(ctx, lambda acc, store, cfg: _judge(ctx, acc, store, cfg))


CHECK = Check(META, evaluate)

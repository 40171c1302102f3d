"""lake-ingestion: CloudTrail Lake event data stores are ingesting events."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Remediation, Severity, Status
from auditor.engine.lake import RESOURCE_TYPE, per_event_data_store, store_result
from auditor.model.snapshot import AccountSnapshot, EventDataStore, EventDataStoreConfig

META = CheckMeta(
    id="lake-ingestion",
    title="CloudTrail Lake event data stores are ingesting events",
    severity=Severity.HIGH,
    section="trail",
    resource_type=RESOURCE_TYPE,
    rationale=(
        "An event data store whose ingestion was stopped keeps its history but records "
        "nothing new: queries over it quietly stop at the moment ingestion stopped, which is "
        "exactly what an attacker stopping it wants."
    ),
    remediation=Remediation(
        summary=(
            "Start ingestion again (and find out who stopped it: StopEventDataStoreIngestion is "
            "in the trail's management events)."
        ),
        cli="aws cloudtrail start-event-data-store-ingestion --event-data-store <arn>",
        terraform=(
            'resource "aws_cloudtrail_event_data_store" "main" {\n'
            '  name = "org-events"\n'
            "  # ingestion is on while the store exists and has not been stopped\n"
            "}"
        ),
        url="https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_StartEventDataStoreIngestion.html",
    ),
    references=("CloudTrail Lake GetEventDataStore Status",),
    permissions=("cloudtrail:ListEventDataStores", "cloudtrail:GetEventDataStore"),
    notes=(
        "PASS only on Status ENABLED. CREATED, STARTING_INGESTION, STOPPING_INGESTION, "
        "STOPPED_INGESTION and PENDING_DELETION all FAIL: none of them proves that events are "
        "being recorded now."
    ),
)


def _judge(
    ctx: CheckContext, account: AccountSnapshot, store: EventDataStore, cfg: EventDataStoreConfig
) -> CheckResult:
    ev = {"status": cfg.status}
    if cfg.status == "ENABLED":
        return store_result(ctx, account, store, Status.PASS, "ingesting events (ENABLED)", ev)
    return store_result(
        ctx, account, store, Status.FAIL, f"not ingesting events (status {cfg.status or 'unknown'})", ev
    )


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per event data store; NOT_APPLICABLE for an account without one."""
    yield from per_event_data_store(ctx, lambda acc, store, cfg: _judge(ctx, acc, store, cfg))


CHECK = Check(META, evaluate)

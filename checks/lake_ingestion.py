"""lake-ingestion: CloudTrail Lake event data stores are ingesting events."""

from __future__ import annotations

from auditor.engine.checkapi import CheckContext, Severity
from auditor.engine.judgement import Judgement
from auditor.engine.lake import lake_check, lake_meta, store_remediation
from auditor.model.snapshot import AccountSnapshot, EventDataStore, EventDataStoreConfig

META = lake_meta(
    id="lake-ingestion",
    title="CloudTrail Lake event data stores are ingesting events",
    severity=Severity.HIGH,
    rationale=(
        "An event data store whose ingestion was stopped keeps its history but records "
        "nothing new: queries over it quietly stop at the moment ingestion stopped, which is "
        "exactly what an attacker stopping it wants."
    ),
    remediation=store_remediation(
        "Start ingestion again (and find out who stopped it: StopEventDataStoreIngestion is "
        "in the trail's management events).",
        "https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_StartEventDataStoreIngestion.html",
        cli="aws cloudtrail start-event-data-store-ingestion --event-data-store <arn>",
        setting="# ingestion is on while the store exists and has not been stopped",
    ),
    references=("CloudTrail Lake GetEventDataStore Status",),
    notes=(
        "PASS only on Status ENABLED. CREATED, STARTING_INGESTION, STOPPING_INGESTION, "
        "STOPPED_INGESTION and PENDING_DELETION all FAIL: none of them proves that events are "
        "being recorded now."
    ),
)


def _judge(ctx: CheckContext, account: AccountSnapshot, store: EventDataStore, cfg: EventDataStoreConfig) -> Judgement:
    return Judgement.either(
        cfg.status == "ENABLED",
        "ingesting events (ENABLED)",
        f"not ingesting events (status {cfg.status or 'unknown'})",
        {"status": cfg.status},
    )


CHECK = lake_check(META, _judge)

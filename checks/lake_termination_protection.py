"""lake-termination-protection: CloudTrail Lake event data stores have termination protection on."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Remediation, Severity, Status
from auditor.engine.lake import RESOURCE_TYPE, per_event_data_store, store_result
from auditor.model.snapshot import AccountSnapshot, EventDataStore, EventDataStoreConfig

META = CheckMeta(
    id="lake-termination-protection",
    title="CloudTrail Lake event data stores have termination protection enabled",
    severity=Severity.MEDIUM,
    section="trail",
    resource_type=RESOURCE_TYPE,
    rationale=(
        "Without termination protection one DeleteEventDataStore call starts deleting the "
        "stored history of the organisation's activity; with it, the protection must be "
        "turned off first, a separate and logged change."
    ),
    remediation=Remediation(
        summary=("Turn termination protection on (AWS's default for a new store)."),
        cli="aws cloudtrail update-event-data-store --event-data-store <arn> --termination-protection-enabled",
        terraform=(
            'resource "aws_cloudtrail_event_data_store" "main" {\n'
            '  name = "org-events"\n'
            "  termination_protection_enabled = true\n"
            "}"
        ),
        url="https://docs.aws.amazon.com/awscloudtrail/latest/userguide/query-eds-termination-protection.html",
    ),
    references=("CloudTrail Lake CreateEventDataStore TerminationProtectionEnabled",),
    permissions=("cloudtrail:ListEventDataStores", "cloudtrail:GetEventDataStore"),
    notes=("TerminationProtectionEnabled from GetEventDataStore."),
)


def _judge(
    ctx: CheckContext, account: AccountSnapshot, store: EventDataStore, cfg: EventDataStoreConfig
) -> CheckResult:
    if cfg.termination_protection_enabled:
        return store_result(
            ctx, account, store, Status.PASS, "termination protection is on", {"termination_protection_enabled": True}
        )
    return store_result(
        ctx,
        account,
        store,
        Status.FAIL,
        "termination protection is off: one DeleteEventDataStore call deletes it",
        {"termination_protection_enabled": False},
    )


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per event data store; NOT_APPLICABLE for an account without one."""
    yield from per_event_data_store(ctx, lambda acc, store, cfg: _judge(ctx, acc, store, cfg))


CHECK = Check(META, evaluate)

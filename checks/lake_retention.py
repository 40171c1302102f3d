"""lake-retention: CloudTrail Lake event data stores keep events at least as long as the retention profile requires."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Remediation, Severity, Status
from auditor.engine.lake import RESOURCE_TYPE, per_event_data_store, store_result
from auditor.model.snapshot import AccountSnapshot, EventDataStore, EventDataStoreConfig

META = CheckMeta(
    id="lake-retention",
    title="CloudTrail Lake event data stores keep events for the required retention",
    severity=Severity.MEDIUM,
    section="trail",
    resource_type=RESOURCE_TYPE,
    rationale=(
        "Events an event data store has expired cannot be queried or produced for an "
        "investigation or an auditor; its retention must meet the same requirement as the "
        "trail's log bucket."
    ),
    remediation=Remediation(
        summary=(
            "Raise the event data store's retention period to at least the profile's days (up to "
            "3653 days with extendable retention pricing, 2557 with fixed)."
        ),
        cli="aws cloudtrail update-event-data-store --event-data-store <arn> --retention-period 2190",
        terraform=(
            'resource "aws_cloudtrail_event_data_store" "main" {\n  name = "org-events"\n  retention_period = 2190\n}'
        ),
        url="https://docs.aws.amazon.com/awscloudtrail/latest/userguide/query-event-data-store-retention.html",
    ),
    references=("PCI DSS 10.5.1", "HIPAA 164.316(b)(2)"),
    permissions=("cloudtrail:ListEventDataStores", "cloudtrail:GetEventDataStore"),
    notes=(
        "The required days are the retention profile's (bucket-retention's: pci 365, hipaa "
        "2190, or the baseline's retention_days). A store whose RetentionPeriod AWS did not "
        "return is ERROR, not PASS."
    ),
)


def _judge(
    ctx: CheckContext, account: AccountSnapshot, store: EventDataStore, cfg: EventDataStoreConfig
) -> CheckResult:
    need = ctx.settings.retention_days
    ev = {"retention_days": cfg.retention_days, "required_days": need, "profile": ctx.settings.profile}
    if cfg.retention_days is None:
        return store_result(
            ctx,
            account,
            store,
            Status.ERROR,
            "GetEventDataStore returned no retention period; nothing can be concluded",
            ev,
        )
    if cfg.retention_days >= need:
        return store_result(
            ctx, account, store, Status.PASS, f"keeps events {cfg.retention_days} days (required {need})", ev
        )
    return store_result(
        ctx, account, store, Status.FAIL, f"keeps events only {cfg.retention_days} days (required {need})", ev
    )


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per event data store; NOT_APPLICABLE for an account without one."""
    yield from per_event_data_store(ctx, lambda acc, store, cfg: _judge(ctx, acc, store, cfg))


CHECK = Check(META, evaluate)

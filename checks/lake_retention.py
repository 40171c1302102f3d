"""lake-retention: CloudTrail Lake event data stores keep events at least as long as the retention profile requires."""

from __future__ import annotations

from auditor.engine.checkapi import CheckContext, Severity, Status
from auditor.engine.judgement import Judgement
from auditor.engine.lake import lake_check, lake_meta, store_remediation
from auditor.model.snapshot import AccountSnapshot, EventDataStore, EventDataStoreConfig

META = lake_meta(
    id="lake-retention",
    title="CloudTrail Lake event data stores keep events for the required retention",
    severity=Severity.MEDIUM,
    rationale=(
        "Events an event data store has expired cannot be queried or produced for an "
        "investigation or an auditor; its retention must meet the same requirement as the "
        "trail's log bucket."
    ),
    remediation=store_remediation(
        "Raise the event data store's retention period to at least the profile's days (up to "
        "3653 days with extendable retention pricing, 2557 with fixed).",
        "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/query-event-data-store-retention.html",
        option="--retention-period 2190",
        setting="retention_period = 2190",
    ),
    references=("PCI DSS 10.5.1", "HIPAA 164.316(b)(2)"),
    notes=(
        "The required days are the retention profile's (bucket-retention's: pci 365, hipaa "
        "2190, or the baseline's retention_days). A store whose RetentionPeriod AWS did not "
        "return is ERROR, not PASS."
    ),
)


def _judge(ctx: CheckContext, account: AccountSnapshot, store: EventDataStore, cfg: EventDataStoreConfig) -> Judgement:
    need, days = ctx.settings.retention_days, cfg.retention_days
    ev = {"retention_days": days, "required_days": need, "profile": ctx.settings.profile}
    if days is None:
        return Judgement(Status.ERROR, "GetEventDataStore returned no retention period; nothing can be concluded", ev)
    return Judgement.either(
        days >= need,
        f"keeps events {days} days (required {need})",
        f"keeps events only {days} days (required {need})",
        ev,
    )


CHECK = lake_check(META, _judge)

"""No tampering with the trail's KMS key in the logs.

Disabling the key, scheduling its deletion or replacing its policy stops
CloudTrail from writing (or anyone from reading) encrypted logs.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.engine import logjudge as judge
from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Remediation, Severity
from auditor.engine.logchecks import LOG_PERMISSIONS, narrowed_rules
from auditor.model.log_evidence import LogRuleMatch

META = CheckMeta(
    id="logs-key-tampering",
    title="No tampering with the trail's KMS key in the logs",
    severity=Severity.HIGH,
    section="logs",
    resource_type="AwsAccount",
    rationale=(
        "DisableKey, ScheduleKeyDeletion or PutKeyPolicy on the trail's key can stop log "
        "delivery or make delivered logs unreadable (CIS 4.7)."
    ),
    remediation=Remediation(
        summary="Cancel a scheduled deletion, re-enable the key and restore its policy; deny "
        "these actions with an SCP.",
        cli="aws kms cancel-key-deletion --key-id KEY && aws kms enable-key --key-id KEY",
    ),
    references=("CIS AWS 4.7",),
    permissions=LOG_PERMISSIONS,
    notes="Restricted to the trails' keys (ARN or id) when the snapshot has trails.",
)


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per account and region: FAIL listing changes to the trail key."""
    keys = judge.trail_keys(ctx)

    def keep(r: LogRuleMatch) -> bool:
        res = r.resource if isinstance(r.resource, str) else ""
        return res in keys or res.rsplit("/", 1)[-1] in keys

    yield from narrowed_rules(
        ctx,
        bool(keys),
        keep,
        "trail key changes",
        "KMS key changes",
        "no trail key known: changes to any key are listed",
    )


CHECK = Check(META, evaluate)

"""No CloudTrail tampering in the logs.

StopLogging, DeleteTrail, UpdateTrail, PutEventSelectors, PutInsightSelectors or event
data store deletion blinds the audit trail; attackers do it first.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.engine import logjudge as judge
from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Remediation, Severity

META = CheckMeta(
    id="logs-trail-tampering",
    title="No CloudTrail tampering in the logs",
    severity=Severity.CRITICAL,
    section="logs",
    resource_type="AwsAccount",
    rationale=(
        "StopLogging, DeleteTrail, UpdateTrail, PutEventSelectors, PutInsightSelectors or event "
        "data store deletion blinds the audit trail; attackers do it first."
    ),
    remediation=Remediation(
        summary=(
            "Confirm each change with its author; restore logging (StartLogging) and the intended"
            " selectors; restrict "
            "cloudtrail:StopLogging/DeleteTrail/UpdateTrail/PutEventSelectors with an SCP."
        ),
        cli="aws cloudtrail start-logging --name TRAIL",
    ),
    references=("CIS AWS 4.5", "PCI DSS 10.2.1.6"),
    permissions=("cloudtrail:DescribeTrails", "s3:GetObject", "s3:ListBucket"),
    notes=(
        "Every successful call is listed: whether PutEventSelectors reduced coverage cannot be "
        "told from one event, so the reviewer judges."
    ),
)


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per account and region: FAIL listing the matching events."""
    yield from judge.judge_rules(ctx, META.id, "CloudTrail configuration changes")


CHECK = Check(META, evaluate)

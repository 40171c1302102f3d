"""No privilege escalation patterns in the logs.

AdministratorAccess attachments, inline *:* policies, credentials created for another user
and trust policies opened to other accounts are the common escalation and persistence
moves.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.engine import logjudge as judge
from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Remediation, Severity

META = CheckMeta(
    id="logs-privilege-escalation",
    title="No privilege escalation patterns in the logs",
    severity=Severity.HIGH,
    section="logs",
    resource_type="AwsAccount",
    rationale=(
        "AdministratorAccess attachments, inline *:* policies, credentials created for another "
        "user and trust policies opened to other accounts are the common escalation and "
        "persistence moves."
    ),
    remediation=Remediation(
        summary=(
            "Verify each event with its author; remove unintended policies, keys, login profiles "
            "and trust relationships."
        ),
        cli="",
    ),
    references=("MITRE ATT&CK T1098",),
    permissions=("cloudtrail:DescribeTrails", "s3:GetObject", "s3:ListBucket"),
    notes="Inline policies and trust policies are parsed from requestParameters.policyDocument.",
)


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per account and region: FAIL listing the matching events."""
    yield from judge.judge_rules(ctx, META.id, "privilege escalation events")


CHECK = Check(META, evaluate)

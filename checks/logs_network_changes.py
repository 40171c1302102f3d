"""Network configuration changes listed for review.

Security group, NACL, gateway, route table and VPC changes (CIS 4.10-4.14) change
exposure; they are listed for review.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.engine import logjudge as judge
from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Remediation, Severity

META = CheckMeta(
    id="logs-network-changes",
    title="Network configuration changes listed for review",
    severity=Severity.INFO,
    section="logs",
    resource_type="AwsAccount",
    rationale=(
        "Security group, NACL, gateway, route table and VPC changes (CIS 4.10-4.14) change "
        "exposure; they are listed for review."
    ),
    remediation=Remediation(
        summary="Review each listed change against approved change records.",
        cli="",
    ),
    references=("CIS AWS 4.10", "CIS AWS 4.11", "CIS AWS 4.12", "CIS AWS 4.13", "CIS AWS 4.14"),
    permissions=("cloudtrail:DescribeTrails", "s3:GetObject", "s3:ListBucket"),
    notes="FAIL (info) means 'changes exist to review', not a defect.",
)


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per account and region: FAIL listing the matching events."""
    yield from judge.judge_rules(ctx, META.id, "network configuration changes")


CHECK = Check(META, evaluate)

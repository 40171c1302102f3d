"""IAM policy changes listed for review.

PCI DSS 10.4.1 asks that security events be reviewed; IAM policy changes (CIS 4.4) are
listed so a reviewer can confirm each.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.engine import logjudge as judge
from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Remediation, Severity

META = CheckMeta(
    id="logs-iam-policy-changes",
    title="IAM policy changes listed for review",
    severity=Severity.INFO,
    section="logs",
    resource_type="AwsAccount",
    rationale=(
        "PCI DSS 10.4.1 asks that security events be reviewed; IAM policy changes (CIS 4.4) are "
        "listed so a reviewer can confirm each."
    ),
    remediation=Remediation(
        summary="Review each listed change against approved change records.",
        cli="",
    ),
    references=("CIS AWS 4.4", "PCI DSS 10.4.1"),
    permissions=("cloudtrail:DescribeTrails", "s3:GetObject", "s3:ListBucket"),
    notes="FAIL (info) means 'changes exist to review', not a defect.",
)


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per account and region: FAIL listing the matching events."""
    yield from judge.judge_rules(ctx, META.id, "IAM policy changes")


CHECK = Check(META, evaluate)

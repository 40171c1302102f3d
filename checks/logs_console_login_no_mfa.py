"""No console login without MFA.

A successful console sign-in by an IAM user without MFA means a password alone protects
the account (CIS 4.2).
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.engine import logjudge as judge
from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Remediation, Severity

META = CheckMeta(
    id="logs-console-login-no-mfa",
    title="No console login without MFA",
    severity=Severity.HIGH,
    section="logs",
    resource_type="AwsAccount",
    rationale=(
        "A successful console sign-in by an IAM user without MFA means a password alone protects "
        "the account (CIS 4.2)."
    ),
    remediation=Remediation(
        summary="Enforce MFA for every IAM user with console access (or use IAM Identity Center).",
        cli="",
    ),
    references=("CIS AWS 4.2", "PCI DSS 8.4.2"),
    permissions=("cloudtrail:DescribeTrails", "s3:GetObject", "s3:ListBucket"),
    notes="CIS 4.2 pattern, restricted to successful sign-ins by IAM users.",
)


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per account and region: FAIL listing the matching events."""
    yield from judge.judge_rules(ctx, META.id, "successful console logins without MFA")


CHECK = Check(META, evaluate)

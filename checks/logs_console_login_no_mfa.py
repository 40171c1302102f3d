"""No console login without MFA.

A successful console sign-in by an IAM user without MFA means a password alone protects
the account (CIS 4.2).
"""

from __future__ import annotations

from auditor.engine.checkapi import CheckMeta, Remediation, Severity
from auditor.engine.logchecks import LOG_PERMISSIONS, rules_check

META = CheckMeta(
    id="logs-console-login-no-mfa",
    title="No console login without MFA",
    severity=Severity.HIGH,
    section="logs",
    resource_type="AwsAccount",
    rationale=(
        "A successful console sign-in by an IAM user without MFA means a password alone protects the account (CIS 4.2)."
    ),
    remediation=Remediation(
        summary="Enforce MFA for every IAM user with console access (or use IAM Identity Center).",
        cli="",
    ),
    references=("CIS AWS 4.2", "PCI DSS 8.4.2"),
    permissions=LOG_PERMISSIONS,
    notes="CIS 4.2 pattern, restricted to successful sign-ins by IAM users.",
)


CHECK = rules_check(META, "successful console logins without MFA")

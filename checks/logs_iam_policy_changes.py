"""IAM policy changes listed for review.

PCI DSS 10.4.1 asks that security events be reviewed; IAM policy changes (CIS 4.4) are
listed so a reviewer can confirm each.
"""

from __future__ import annotations

from auditor.engine.checkapi import CheckMeta, Remediation, Severity
from auditor.engine.logchecks import LOG_PERMISSIONS, rules_check

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
    permissions=LOG_PERMISSIONS,
    notes="FAIL (info) means 'changes exist to review', not a defect.",
)


CHECK = rules_check(META, "IAM policy changes")

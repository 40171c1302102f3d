"""Network configuration changes listed for review.

Security group, NACL, gateway, route table and VPC changes (CIS 4.10-4.14) change
exposure; they are listed for review.
"""

from __future__ import annotations

from auditor.engine.checkapi import CheckMeta, Remediation, Severity
from auditor.engine.logchecks import LOG_PERMISSIONS, rules_check

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
    permissions=LOG_PERMISSIONS,
    notes="FAIL (info) means 'changes exist to review', not a defect.",
)


CHECK = rules_check(META, "network configuration changes")

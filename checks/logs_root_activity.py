"""No root user activity in the logs.

The root user cannot be restricted by IAM; any use not invoked by an AWS service should be
rare and reviewed (CIS 4.3).
"""

from __future__ import annotations

from auditor.engine.checkapi import CheckMeta, Remediation, Severity
from auditor.engine.logchecks import LOG_PERMISSIONS, rules_check

META = CheckMeta(
    id="logs-root-activity",
    title="No root user activity in the logs",
    severity=Severity.HIGH,
    section="logs",
    resource_type="AwsAccount",
    rationale=(
        "The root user cannot be restricted by IAM; any use not invoked by an AWS service should "
        "be rare and reviewed (CIS 4.3)."
    ),
    remediation=Remediation(
        summary=("Review each root action; lock the root user away with hardware MFA and no access keys."),
        cli="",
    ),
    references=("CIS AWS 4.3", "CIS AWS 1.7"),
    permissions=LOG_PERMISSIONS,
    notes=(
        "CIS 4.3's intent evaluated on each event: a root identity outside AwsServiceEvent is "
        "human use unless userIdentity.invokedBy names an AWS service acting for root "
        "(a *.amazonaws.com service principal or AWS Internal); signin.amazonaws.com and the "
        "console count as human use, unlike the CIS pattern, which excludes any invokedBy. "
        "The alarm check alarm-root-usage still judges the CIS pattern exactly."
    ),
)


CHECK = rules_check(META, "root user actions")

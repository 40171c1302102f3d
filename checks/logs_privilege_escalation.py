"""No privilege escalation patterns in the logs.

AdministratorAccess attachments, inline *:* policies, credentials created for another user
and trust policies opened to other accounts are the common escalation and persistence
moves.
"""

from __future__ import annotations

from auditor.engine.checkapi import CheckMeta, Remediation, Severity
from auditor.engine.logchecks import LOG_PERMISSIONS, rules_check

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
    permissions=LOG_PERMISSIONS,
    notes="Inline policies and trust policies are parsed from requestParameters.policyDocument.",
)


CHECK = rules_check(META, "privilege escalation events")

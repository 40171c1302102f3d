"""No CloudTrail tampering in the logs.

StopLogging, DeleteTrail, UpdateTrail, PutEventSelectors, PutInsightSelectors or event
data store deletion blinds the audit trail; attackers do it first.
"""

from __future__ import annotations

from auditor.engine.checkapi import CheckMeta, Remediation, Severity
from auditor.engine.logchecks import LOG_PERMISSIONS, rules_check

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
    permissions=LOG_PERMISSIONS,
    notes=(
        "Every successful call is listed: whether PutEventSelectors reduced coverage cannot be "
        "told from one event, so the reviewer judges."
    ),
)


CHECK = rules_check(META, "CloudTrail configuration changes")

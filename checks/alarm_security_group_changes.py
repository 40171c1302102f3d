"""alarm-security-group-changes: CIS 4.10, Security group changes are alarmed."""

from __future__ import annotations

from auditor.engine.alarms import alarm_evaluator, alarm_meta
from auditor.engine.checkapi import Check

META = alarm_meta(
    "4.10",
    rationale=(
        "Security groups are the instance-level firewall; opening one to the internet is a common "
        "cause of compromise, so every change should be reviewed as it happens."
    ),
)

evaluate = alarm_evaluator("4.10")

CHECK = Check(META, evaluate)

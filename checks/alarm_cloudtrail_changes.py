"""alarm-cloudtrail-changes: CIS 4.5, CloudTrail configuration changes are alarmed."""

from __future__ import annotations

from auditor.engine.alarms import alarm_evaluator, alarm_meta
from auditor.engine.checkapi import Check

META = alarm_meta(
    "4.5",
    rationale=(
        "Creating, updating, deleting or stopping a trail changes what is recorded: an attacker's "
        "first step is often to blind the audit trail, so every change must notify someone."
    ),
)

evaluate = alarm_evaluator("4.5")

CHECK = Check(META, evaluate)

"""alarm-iam-policy-changes: CIS 4.4, IAM policy changes are alarmed."""

from __future__ import annotations

from auditor.engine.alarms import alarm_evaluator, alarm_meta
from auditor.engine.checkapi import Check

META = alarm_meta(
    "4.4",
    rationale=(
        "Changes to IAM policies grant or remove permissions; alarming on them detects privilege "
        "escalation and accidental over-permissioning while it can still be reverted."
    ),
)

evaluate = alarm_evaluator("4.4")

CHECK = Check(META, evaluate)

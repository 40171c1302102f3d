"""alarm-config-changes: CIS 4.9, AWS Config configuration changes are alarmed."""

from __future__ import annotations

from auditor.engine.alarms import alarm_evaluator, alarm_meta
from auditor.engine.checkapi import Check

META = alarm_meta(
    "4.9",
    rationale=(
        "Stopping the AWS Config recorder or changing its delivery channel removes configuration "
        "history; alarming on it keeps the configuration record trustworthy."
    ),
)

evaluate = alarm_evaluator("4.9")

CHECK = Check(META, evaluate)

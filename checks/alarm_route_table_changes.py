"""alarm-route-table-changes: CIS 4.13, Route table changes are alarmed."""

from __future__ import annotations

from auditor.engine.alarms import alarm_evaluator, alarm_meta
from auditor.engine.checkapi import Check

META = alarm_meta(
    "4.13",
    rationale=(
        "Route table changes can send traffic to unintended destinations or around inspection "
        "points; alarming on them detects traffic redirection."
    ),
)

evaluate = alarm_evaluator("4.13")

CHECK = Check(META, evaluate)

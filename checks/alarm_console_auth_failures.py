"""alarm-console-auth-failures: CIS 4.6, Console authentication failures are alarmed."""

from __future__ import annotations

from auditor.engine.alarms import alarm_evaluator, alarm_meta
from auditor.engine.checkapi import Check

META = alarm_meta(
    "4.6",
    rationale=(
        "Repeated failed console sign-ins indicate password guessing or credential stuffing; an "
        "alarm shortens the time to lock the targeted user or source."
    ),
)

evaluate = alarm_evaluator("4.6")

CHECK = Check(META, evaluate)

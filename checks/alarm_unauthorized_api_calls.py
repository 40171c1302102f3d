"""alarm-unauthorized-api-calls: CIS 4.1, Unauthorized API calls are alarmed."""

from __future__ import annotations

from auditor.engine.alarms import alarm_evaluator, alarm_meta
from auditor.engine.checkapi import Check

META = alarm_meta(
    "4.1",
    rationale=(
        "Bursts of AccessDenied and UnauthorizedOperation errors are how credential misuse, "
        "privilege probing and misconfigured automation first show; an alarm turns them into a "
        "prompt response instead of a finding in next month's review."
    ),
)

evaluate = alarm_evaluator("4.1")

CHECK = Check(META, evaluate)

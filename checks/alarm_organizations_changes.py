"""alarm-organizations-changes: CIS 4.15, AWS Organizations changes are alarmed."""

from __future__ import annotations

from auditor.engine.alarms import alarm_evaluator, alarm_meta
from auditor.engine.checkapi import Check

META = alarm_meta(
    "4.15",
    rationale=(
        "AWS Organizations changes (accounts joining or leaving, policies attached or detached, "
        "SCPs disabled) change the guard rails of every account; they must be alerted on."
    ),
)

evaluate = alarm_evaluator("4.15")

CHECK = Check(META, evaluate)

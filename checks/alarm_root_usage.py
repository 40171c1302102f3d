"""alarm-root-usage: CIS 4.3, Root account usage is alarmed."""

from __future__ import annotations

from auditor.engine.alarms import alarm_evaluator, alarm_meta
from auditor.engine.checkapi import Check

META = alarm_meta(
    "4.3",
    rationale=(
        "The root user cannot be restricted by IAM policies; any use of it that an AWS service "
        "did not invoke should be rare, deliberate and immediately visible."
    ),
)

evaluate = alarm_evaluator("4.3")

CHECK = Check(META, evaluate)

"""alarm-cmk-disable-deletion: CIS 4.7, disabling or deleting customer managed keys is alarmed."""

from __future__ import annotations

from auditor.engine.alarms import alarm_evaluator, alarm_meta
from auditor.engine.checkapi import Check

META = alarm_meta(
    "4.7",
    rationale=(
        "Disabling or scheduling the deletion of a customer managed key makes the data it "
        "encrypts (including encrypted CloudTrail logs) unreadable; such changes must be noticed "
        "within the waiting period."
    ),
)

evaluate = alarm_evaluator("4.7")

CHECK = Check(META, evaluate)

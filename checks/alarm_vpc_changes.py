"""alarm-vpc-changes: CIS 4.14, VPC changes are alarmed."""

from __future__ import annotations

from auditor.engine.alarms import alarm_evaluator, alarm_meta
from auditor.engine.checkapi import Check

META = alarm_meta(
    "4.14",
    rationale=(
        "VPC, peering and ClassicLink changes alter network boundaries between environments and "
        "accounts; they should never go unnoticed."
    ),
)

evaluate = alarm_evaluator("4.14")

CHECK = Check(META, evaluate)

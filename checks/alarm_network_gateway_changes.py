"""alarm-network-gateway-changes: CIS 4.12, Network gateway changes are alarmed."""

from __future__ import annotations

from auditor.engine.alarms import alarm_evaluator, alarm_meta
from auditor.engine.checkapi import Check

META = alarm_meta(
    "4.12",
    rationale=(
        "Customer and internet gateways are the doors between a VPC and the outside; attaching or "
        "changing one can open a network path that must be authorised."
    ),
)

evaluate = alarm_evaluator("4.12")

CHECK = Check(META, evaluate)

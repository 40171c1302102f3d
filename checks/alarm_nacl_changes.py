"""alarm-nacl-changes: CIS 4.11, Network ACL changes are alarmed."""

from __future__ import annotations

from auditor.engine.alarms import alarm_evaluator, alarm_meta
from auditor.engine.checkapi import Check

META = alarm_meta(
    "4.11",
    rationale=(
        "Network ACLs filter subnet traffic; changes to them can expose whole subnets and should "
        "be reviewed as they happen."
    ),
)

evaluate = alarm_evaluator("4.11")

CHECK = Check(META, evaluate)

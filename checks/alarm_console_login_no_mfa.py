"""alarm-console-login-no-mfa: CIS 4.2, Console sign-in without MFA is alarmed."""

from __future__ import annotations

from auditor.engine.alarms import alarm_evaluator, alarm_meta
from auditor.engine.checkapi import Check

META = alarm_meta(
    "4.2",
    rationale=(
        "A console sign-in without MFA means one stolen password was enough; alarming on it "
        "detects accounts that bypass the MFA policy and compromised passwords used from the "
        "console."
    ),
)

evaluate = alarm_evaluator("4.2")

CHECK = Check(META, evaluate)

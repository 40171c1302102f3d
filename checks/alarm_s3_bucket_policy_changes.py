"""alarm-s3-bucket-policy-changes: CIS 4.8, S3 bucket policy changes are alarmed."""

from __future__ import annotations

from auditor.engine.alarms import alarm_evaluator, alarm_meta
from auditor.engine.checkapi import Check

META = alarm_meta(
    "4.8",
    rationale=(
        "Bucket policy, ACL, CORS, lifecycle and replication changes can expose data or delete it "
        "(including log buckets); alarming on them detects exposure early."
    ),
)

evaluate = alarm_evaluator("4.8")

CHECK = Check(META, evaluate)

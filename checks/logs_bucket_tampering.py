"""No tampering with the log bucket in the logs.

Policy, ACL, lifecycle, versioning (suspend) changes, bucket deletion and
deletion of CloudTrail log objects on the trail's bucket can hide or destroy
the audit trail. With trails in the snapshot only their buckets are judged;
on log files alone every bucket is (and the result says so).
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.engine import logjudge as judge
from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Remediation, Severity
from auditor.engine.logchecks import LOG_PERMISSIONS, narrowed_rules

META = CheckMeta(
    id="logs-bucket-tampering",
    title="No tampering with the log bucket in the logs",
    severity=Severity.HIGH,
    section="logs",
    resource_type="AwsAccount",
    rationale=(
        "Changing the log bucket's policy, ACL, lifecycle or versioning, deleting the bucket "
        "or deleting log objects can make logs unavailable or let them be altered unseen."
    ),
    remediation=Remediation(
        summary="Review each change with its author; protect the bucket with Object Lock, an "
        "SCP denying these actions and MFA delete.",
    ),
    references=("CIS AWS 4.8", "PCI DSS 10.3.2"),
    permissions=LOG_PERMISSIONS,
    notes="DeleteObject is matched only for keys under AWSLogs/ (CloudTrail's layout); "
    "PutBucketVersioning only when it suspends versioning.",
)


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per account and region: FAIL listing changes to the log bucket."""
    buckets = judge.trail_buckets(ctx)
    yield from narrowed_rules(
        ctx,
        bool(buckets),
        lambda r: r.resource in buckets,
        "log bucket changes",
        "bucket changes",
        "no trail known: changes to any bucket are listed",
    )


CHECK = Check(META, evaluate)

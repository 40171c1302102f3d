"""bucket-archival-lifecycle: old logs move to a cheaper storage class (cost finding)."""

from __future__ import annotations

from typing import Any

from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity, Status
from auditor.engine.judgement import Judgement
from auditor.engine.lifecycle import log_rules, rule_name
from auditor.engine.policies import LogBucketTarget, bucket_check
from auditor.model.snapshot import Bucket, CollectionError

from ._snippets import bucket_lifecycle, transition

#: us-east-1 list prices, USD per GB-month (S3 pricing page), used for the estimate only.
#: S3 bills a "GB" of 2**30 bytes, so sizes are shown in GiB and priced per GiB.
STANDARD_PRICE = 0.023
GLACIER_IR_PRICE = 0.004
GIB = 1024**3

META = CheckMeta(
    id="bucket-archival-lifecycle",
    title="A lifecycle rule moves old trail logs to a cheaper storage class",
    severity=Severity.LOW,
    section="bucket",
    resource_type="AwsS3Bucket",
    rationale=(
        "Audit logs are written once and rarely read after the first weeks, yet must be kept "
        "for years. Keeping them all in S3 Standard costs several times what an archival class "
        "does; a transition rule is the usual way to afford long retention. This is a cost "
        "finding, not a security one."
    ),
    remediation=Remediation(
        summary="Add an enabled lifecycle transition for the AWSLogs/ prefix, e.g. to "
        "GLACIER_IR after 30 days (still immediately readable).",
        cli="aws s3api put-bucket-lifecycle-configuration --bucket <bucket> "
        '--lifecycle-configuration \'{"Rules":[{"ID":"archive","Status":"Enabled",'
        '"Filter":{"Prefix":"AWSLogs/"},"Transitions":[{"Days":30,'
        '"StorageClass":"GLACIER_IR"}]}]}\'',
        terraform=bucket_lifecycle("archive", transition(30, "GLACIER_IR")),
        url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html",
    ),
    references=("Security Hub S3.13", "AWS Config s3-lifecycle-policy-check", "AWS Well-Architected COST04-BP05"),
    permissions=(
        "cloudtrail:DescribeTrails",
        "s3:ListAllMyBuckets",
        "s3:GetLifecycleConfiguration",
        "cloudwatch:GetMetricStatistics",
    ),
    notes=(
        "Any enabled transition of current versions in a rule that reaches the log prefix "
        "passes. The saving estimate uses us-east-1 list prices (S3 Standard $0.023 vs Glacier "
        "Instant Retrieval $0.004 per GB-month) on the bucket's S3 Standard bytes (CloudWatch "
        "AWS/S3 BucketSizeBytes, StorageType StandardStorage, latest daily datapoint) and "
        "ignores transition request charges and the minimum storage duration. The size is "
        "informational: when CloudWatch has no datapoint (a new bucket) or "
        "cloudwatch:GetMetricStatistics is refused, the result says the size is unknown and "
        "why, and its status does not change."
    ),
)


def _judge(ctx: CheckContext, target: LogBucketTarget, bucket: Bucket) -> Judgement | CollectionError:
    if isinstance(bucket.lifecycle, CollectionError):
        return bucket.lifecycle
    rules = [rule_name(r) for r in log_rules(target, bucket.lifecycle) if r.transitions]
    evidence: dict[str, Any] = {"transition_rules": rules, **_size_evidence(bucket.size_bytes)}
    if rules:
        return Judgement(
            Status.PASS, f"bucket {bucket.name} moves logs to a cheaper class (rule {', '.join(rules)})", evidence
        )
    prices = (
        f"S3 Standard ${STANDARD_PRICE}/GB-month vs Glacier Instant Retrieval "
        f"${GLACIER_IR_PRICE}/GB-month, us-east-1 list prices"
    )
    size = bucket.size_bytes
    if isinstance(size, CollectionError):
        saving = f"the bucket size is unknown ({size.reason()}), so no saving is estimated ({prices})"
    elif size is None:
        saving = (
            "the bucket size is unknown (CloudWatch has no recent BucketSizeBytes datapoint "
            f"for it), so no saving is estimated ({prices})"
        )
    else:
        gib = size / GIB
        monthly = gib * (STANDARD_PRICE - GLACIER_IR_PRICE)
        evidence["estimated_monthly_saving_usd"] = round(monthly, 2)
        saving = f"moving its {gib:,.1f} GiB in S3 Standard would save about ${monthly:,.2f} per month ({prices})"
    return Judgement(Status.FAIL, f"bucket {bucket.name} has no lifecycle transition for its logs: " + saving, evidence)


def _size_evidence(size: int | CollectionError | None) -> dict[str, Any]:
    """The size as evidence; an unreadable size is its reason, never an ERROR (cost only)."""
    if isinstance(size, CollectionError):
        return {"size_bytes": None, "size_unknown_reason": size.reason()}
    if size is None:
        return {"size_bytes": None}
    return {"size_bytes": size, "size_gib": round(size / GIB, 1)}


CHECK = bucket_check(META, _judge)

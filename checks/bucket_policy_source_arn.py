"""bucket-policy-source-arn: CloudTrail's write grant is pinned to our trails (confused deputy)."""

from __future__ import annotations

from typing import Any

from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity, Status
from auditor.engine.judgement import Judgement
from auditor.engine.policies import (
    LogBucketTarget,
    actions_cover,
    bucket_check,
    has_service_principal,
    is_allow,
    restricting_conditions,
    statements,
)
from auditor.model.snapshot import Bucket, CollectionError

SERVICE = "cloudtrail.amazonaws.com"
SOURCE_KEYS = frozenset({"aws:sourcearn", "aws:sourceaccount"})

META = CheckMeta(
    id="bucket-policy-source-arn",
    title="The bucket policy limits CloudTrail writes with aws:SourceArn or aws:SourceAccount",
    severity=Severity.MEDIUM,
    section="bucket",
    resource_type="AwsS3Bucket",
    rationale=(
        "A statement that lets cloudtrail.amazonaws.com write to the bucket without naming the "
        "source trail or account lets any AWS customer's trail deliver into it (the confused "
        "deputy problem): an outsider can flood the bucket, raise its cost, and mix forged "
        "records with the organisation's evidence. AWS documents aws:SourceArn as the fix."
    ),
    remediation=Remediation(
        summary=(
            "Add a StringEquals condition on aws:SourceArn (the trail ARN, or the organisation "
            "trail ARN) or aws:SourceAccount to every Allow statement that grants "
            "cloudtrail.amazonaws.com s3:PutObject."
        ),
        cli=(
            "aws s3api get-bucket-policy --bucket <bucket> --query Policy --output text > "
            "policy.json  # add the condition, then:\n"
            "aws s3api put-bucket-policy --bucket <bucket> --policy file://policy.json"
        ),
        terraform=(
            'data "aws_iam_policy_document" "cloudtrail_bucket" {\n'
            "  statement {\n"
            '    sid       = "AWSCloudTrailWrite"\n'
            '    actions   = ["s3:PutObject"]\n'
            '    resources = ["${aws_s3_bucket.cloudtrail.arn}/AWSLogs/*"]\n'
            "    principals {\n"
            '      type        = "Service"\n'
            '      identifiers = ["cloudtrail.amazonaws.com"]\n'
            "    }\n"
            "    condition {\n"
            '      test     = "StringEquals"\n'
            '      variable = "aws:SourceArn"\n'
            "      values   = [aws_cloudtrail.main.arn]\n"
            "    }\n"
            "  }\n"
            "}"
        ),
        url="https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html",
    ),
    references=(
        "AWS CloudTrail User Guide: Amazon S3 bucket policy for CloudTrail (aws:SourceArn)",
        "AWS IAM User Guide: the confused deputy problem",
        "PCI DSS 10.3.2",
    ),
    permissions=(
        "cloudtrail:DescribeTrails",
        "s3:ListAllMyBuckets",
        "s3:GetBucketPolicy",
    ),
    notes=(
        "Every Allow statement naming the cloudtrail.amazonaws.com service principal with an "
        "action covering s3:PutObject needs a positive, concrete aws:SourceArn or "
        "aws:SourceAccount condition. When no statement lets CloudTrail write at all (or there "
        "is no policy) we FAIL: CloudTrail cannot deliver to a bucket without such a grant "
        "(trail-delivery-health shows the symptom), unless writes come through a wildcard "
        "principal, which bucket-not-public judges."
    ),
)


def _judge(ctx: CheckContext, target: LogBucketTarget, bucket: Bucket) -> Judgement | CollectionError:
    if isinstance(bucket.policy, CollectionError):
        return bucket.policy
    grants: list[tuple[str, bool]] = []
    for i, stmt in enumerate(statements(bucket.policy)):
        if is_allow(stmt) and has_service_principal(stmt, SERVICE) and actions_cover(stmt, "s3:PutObject"):
            pinned = bool(restricting_conditions(stmt, SOURCE_KEYS))
            grants.append((str(stmt.get("Sid", f"#{i}")), pinned))
    evidence: dict[str, Any] = {
        "cloudtrail_write_statements": [{"sid": sid, "source_condition": ok} for sid, ok in grants],
    }
    if not grants:
        what = (
            "has no bucket policy"
            if bucket.policy is None
            else "has no policy statement allowing cloudtrail.amazonaws.com to s3:PutObject"
        )
        return Judgement(
            Status.FAIL,
            f"bucket {bucket.name} {what}: CloudTrail cannot deliver "
            "here through a pinned grant (if delivery works, it goes through a "
            "broader statement; see bucket-not-public and trail-delivery-health)",
            evidence,
        )
    loose = [sid for sid, ok in grants if not ok]
    if loose:
        return Judgement(
            Status.FAIL,
            f"bucket {bucket.name}: statement(s) {', '.join(loose)} let "
            "cloudtrail.amazonaws.com write without an aws:SourceArn or "
            "aws:SourceAccount condition, so any account's trail can deliver here",
            evidence,
        )
    return Judgement(
        Status.PASS, f"bucket {bucket.name}: CloudTrail writes are limited by aws:SourceArn/aws:SourceAccount", evidence
    )


CHECK = bucket_check(META, _judge)

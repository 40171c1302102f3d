"""bucket-policy-tls-only: the log bucket's policy denies requests that do not use TLS."""

from __future__ import annotations

from typing import Any

from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity, Status
from auditor.engine.judgement import Judgement
from auditor.engine.policies import (
    LogBucketTarget,
    actions_cover,
    bucket_check,
    condition_entries,
    is_deny,
    is_wildcard_principal,
    requires_bool,
    resources_cover,
    statements,
)
from auditor.model.snapshot import Bucket, CollectionError

#: Reading logs and writing objects are what must never travel in clear text.
REQUIRED_ACTIONS = ("s3:GetObject", "s3:PutObject")

META = CheckMeta(
    id="bucket-policy-tls-only",
    title="The trail's S3 bucket policy denies requests without TLS",
    severity=Severity.MEDIUM,
    section="bucket",
    resource_type="AwsS3Bucket",
    rationale=(
        "S3 accepts plain HTTP unless the bucket policy refuses it. Audit logs read or written "
        "over HTTP can be observed or altered in transit, which defeats the protections PCI DSS "
        "10.3.2 asks for. A Deny on aws:SecureTransport = false is the documented control."
    ),
    remediation=Remediation(
        summary=(
            'Add a Deny statement for Principal "*", Action s3:*, on the bucket and its '
            "objects, with Condition Bool aws:SecureTransport = false."
        ),
        cli=(
            "aws s3api put-bucket-policy --bucket <bucket> --policy file://policy.json  "
            "# policy.json keeps the CloudTrail statements and adds the DenyInsecureTransport "
            "statement"
        ),
        terraform=(
            'data "aws_iam_policy_document" "cloudtrail_bucket" {\n'
            "  statement {\n"
            '    sid     = "DenyInsecureTransport"\n'
            '    effect  = "Deny"\n'
            '    actions = ["s3:*"]\n'
            "    resources = [\n"
            "      aws_s3_bucket.cloudtrail.arn,\n"
            '      "${aws_s3_bucket.cloudtrail.arn}/*",\n'
            "    ]\n"
            "    principals {\n"
            '      type        = "*"\n'
            '      identifiers = ["*"]\n'
            "    }\n"
            "    condition {\n"
            '      test     = "Bool"\n'
            '      variable = "aws:SecureTransport"\n'
            '      values   = ["false"]\n'
            "    }\n"
            "  }\n"
            "}"
        ),
        url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html",
    ),
    references=(
        "Security Hub S3.5",
        "AWS Config s3-bucket-ssl-requests-only",
        "PCI DSS 10.3.2",
        "CIS AWS Foundations 2.1.1 (S3 buckets deny HTTP requests)",
    ),
    permissions=(
        "cloudtrail:DescribeTrails",
        "s3:ListAllMyBuckets",
        "s3:GetBucketPolicy",
    ),
    notes=(
        'PASS needs Deny statements for Principal "*" that together cover s3:GetObject and '
        "s3:PutObject on the log objects (s3:* does), conditioned on Bool or BoolIfExists "
        "aws:SecureTransport = false and nothing else: an extra condition narrows the Deny, so "
        "such a statement is not counted. No bucket policy at all fails."
    ),
)


def _judge(ctx: CheckContext, target: LogBucketTarget, bucket: Bucket) -> Judgement | CollectionError:
    if isinstance(bucket.policy, CollectionError):
        return bucket.policy
    if bucket.policy is None:
        return Judgement(
            Status.FAIL, f"bucket {bucket.name} has no bucket policy, so requests over plain HTTP are accepted"
        )
    partition = ctx.snapshot.partition
    objects = [f"arn:{partition}:s3:::{bucket.name}/{p}x" for p in target.log_prefixes()]
    covered: set[str] = set()
    sids: list[str] = []
    for i, stmt in enumerate(statements(bucket.policy)):
        if not (is_deny(stmt) and is_wildcard_principal(stmt)):
            continue
        if not requires_bool(stmt, "aws:SecureTransport", False):
            continue
        if len(condition_entries(stmt)) != 1:
            continue
        if not all(resources_cover(stmt, arn) for arn in objects):
            continue
        hit = {a for a in REQUIRED_ACTIONS if actions_cover(stmt, a)}
        if hit:
            covered |= hit
            sids.append(str(stmt.get("Sid", f"#{i}")))
    missing = [a for a in REQUIRED_ACTIONS if a not in covered]
    evidence: dict[str, Any] = {"deny_statements": sids, "uncovered_actions": missing}
    if not missing:
        return Judgement(
            Status.PASS, f"bucket {bucket.name} denies non-TLS requests (statement {', '.join(sids)})", evidence
        )
    if sids:
        return Judgement(
            Status.FAIL,
            f"bucket {bucket.name}: the aws:SecureTransport Deny does not "
            f"cover {', '.join(missing)} on the log objects",
            evidence,
        )
    return Judgement(
        Status.FAIL,
        f"bucket {bucket.name} has no Deny statement on "
        "aws:SecureTransport = false: requests over plain HTTP are accepted",
        evidence,
    )


CHECK = bucket_check(META, _judge)

"""bucket-not-public: the log bucket grants nothing to everyone, by ACL or by policy."""

from __future__ import annotations

from typing import Any

from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity, Status
from auditor.engine.judgement import Judgement
from auditor.engine.policies import (
    PUBLIC_GRANTEE_URIS,
    LogBucketTarget,
    bucket_check,
    effective_block,
    public_allow_statements,
)
from auditor.model.snapshot import Bucket, CollectionError

META = CheckMeta(
    id="bucket-not-public",
    title="The trail's S3 bucket is not publicly accessible",
    severity=Severity.CRITICAL,
    section="bucket",
    resource_type="AwsS3Bucket",
    rationale=(
        "CloudTrail logs describe the whole estate: principals, resources, source addresses and "
        "failed attempts. A log bucket readable by everyone hands that map to an attacker, and "
        "one writable by everyone lets anyone plant or overwrite evidence. PCI DSS 10.3.1 and "
        "10.3.2 require audit logs to be readable only by those who need them and protected "
        "from modification."
    ),
    remediation=Remediation(
        summary=(
            "Turn on all four Block Public Access settings on the bucket (and the account), "
            "remove AllUsers/AuthenticatedUsers ACL grants, and restrict any wildcard-principal "
            "Allow statement with aws:SourceArn, aws:SourceAccount or aws:PrincipalOrgID."
        ),
        cli=(
            "aws s3api put-public-access-block --bucket <bucket> "
            "--public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,"
            "BlockPublicPolicy=true,RestrictPublicBuckets=true\n"
            "aws s3api put-bucket-acl --bucket <bucket> --acl private"
        ),
        terraform=(
            'resource "aws_s3_bucket_public_access_block" "cloudtrail" {\n'
            "  bucket                  = aws_s3_bucket.cloudtrail.id\n"
            "  block_public_acls       = true\n"
            "  ignore_public_acls      = true\n"
            "  block_public_policy     = true\n"
            "  restrict_public_buckets = true\n"
            "}"
        ),
        url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html",
    ),
    references=(
        "CIS AWS Foundations v1.4 3.3 (dropped from v3.0)",
        "Security Hub CloudTrail.6",
        "Security Hub S3.1",
        "Security Hub S3.2",
        "Security Hub S3.3",
        "Security Hub S3.8",
        "AWS Config s3-bucket-public-read-prohibited",
        "AWS Config s3-bucket-public-write-prohibited",
        "AWS Config cloudtrail-s3-bucket-public-access-prohibited",
        "PCI DSS 10.3.1",
        "PCI DSS 10.3.2",
    ),
    permissions=(
        "cloudtrail:DescribeTrails",
        "s3:ListAllMyBuckets",
        "s3:GetBucketAcl",
        "s3:GetBucketPolicy",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetAccountPublicAccessBlock",
    ),
    notes=(
        "The catalogue says FAIL when Block Public Access is not fully on and a public grant "
        "exists. We judge the settings that actually neutralise each grant, as S3 does: "
        "IgnorePublicAcls (bucket or account) masks public ACL grants, RestrictPublicBuckets "
        "masks public policies; all four on at either level passes even when ACL or policy "
        'could not be read. A statement with Principal "*" is not public when a positive '
        "condition pins a concrete aws:SourceArn, SourceAccount, SourceVpc(e), SourceIp, "
        "PrincipalOrgID, PrincipalAccount, PrincipalArn or userid; IfExists and negated "
        "operators do not restrict."
    ),
)


def _judge(ctx: CheckContext, target: LogBucketTarget, bucket: Bucket) -> Judgement | CollectionError:
    owner = ctx.snapshot.account(bucket.owner_account_id or target.trail_account_id)
    if owner is None:
        account_bpa: Any = CollectionError(
            bucket.owner_account_id or target.trail_account_id,
            "global",
            "s3control",
            "GetPublicAccessBlock",
            "OutOfScope",
            "the bucket owner's account is not in the scan, so its account-level Block Public Access is unknown",
        )
    elif owner.access_error is not None:
        account_bpa = owner.access_error
    else:
        account_bpa = owner.s3_account_public_access_block
    block, block_errors = effective_block(bucket.public_access_block, account_bpa)
    evidence: dict[str, Any] = {"effective_block_public_access": block}
    problems: list[str] = []
    unknown: list[CollectionError] = []

    if block["ignore_public_acls"] is not True:
        if isinstance(bucket.acl, CollectionError):
            unknown.append(bucket.acl)
        elif bucket.acl is not None:
            public = [g for g in bucket.acl.grants if g.grantee_uri in PUBLIC_GRANTEE_URIS]
            if public:
                grants = [f"{g.permission} to {g.grantee_uri}" for g in public]
                evidence["public_acl_grants"] = grants
                if block["ignore_public_acls"] is False:
                    problems.append("ACL grants " + "; ".join(grants))
                else:
                    unknown.extend(block_errors)
    if block["restrict_public_buckets"] is not True:
        if isinstance(bucket.policy, CollectionError):
            unknown.append(bucket.policy)
        else:
            stmts = public_allow_statements(bucket.policy)
            if stmts:
                sids = [str(s.get("Sid", f"#{i}")) for i, s in enumerate(stmts)]
                evidence["public_statements"] = [dict(s) for s in stmts]
                if block["restrict_public_buckets"] is False:
                    problems.append(
                        "policy statement(s) "
                        + ", ".join(sids)
                        + ' allow Principal "*" without a restricting condition'
                    )
                else:
                    unknown.extend(block_errors)
    if problems:
        return Judgement(
            Status.FAIL,
            f"bucket {bucket.name} is public: "
            + " and ".join(problems)
            + " (Block Public Access does not neutralise them)",
            evidence,
        )
    if unknown:
        err = unknown[0]
        return Judgement(
            Status.ERROR,
            f"bucket {bucket.name} may be public: Block Public Access is not fully on "
            f"and evidence could not be collected: {err.reason()}",
            {**evidence, "collection_errors": [e.reason() for e in unknown]},
        )
    if block["ignore_public_acls"] and block["restrict_public_buckets"]:
        return Judgement(
            Status.PASS, f"bucket {bucket.name}: Block Public Access neutralises public ACLs and policies", evidence
        )
    return Judgement(
        Status.PASS,
        f"bucket {bucket.name} has no public ACL grant or unrestricted wildcard-principal Allow statement",
        evidence,
    )


CHECK = bucket_check(META, _judge)

"""bucket-exists: every trail's destination bucket exists and is owned inside the trusted scope."""

from __future__ import annotations

from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity, Status
from auditor.engine.judgement import Judgement
from auditor.engine.policies import LogBucketTarget, bucket_check, out_of_scope_message
from auditor.model.snapshot import Bucket, CollectionError

META = CheckMeta(
    id="bucket-exists",
    title="The trail's S3 bucket exists and is owned by a scanned or trusted account",
    severity=Severity.CRITICAL,
    section="bucket",
    resource_type="AwsS3Bucket",
    rationale=(
        "A trail whose bucket was deleted delivers nothing: every API call goes unrecorded. "
        "Worse, bucket names are global, so anyone can re-create the deleted name and receive "
        "the organisation's audit logs, or a trail may already deliver to a bucket owned by an "
        "unknown account. Auditors need proof that the logs land in a bucket the organisation "
        "controls."
    ),
    remediation=Remediation(
        summary=(
            "Create the bucket in the log-archive account (with the CloudTrail bucket policy) or "
            "point the trail at a bucket you own; add a log-archive account outside the scan "
            "to the trusted accounts only after verifying it."
        ),
        cli=(
            "aws s3api create-bucket --bucket <bucket> --region <region> "
            "--create-bucket-configuration LocationConstraint=<region>\n"
            "aws cloudtrail update-trail --name <trail> --s3-bucket-name <bucket>"
        ),
        terraform=(
            'resource "aws_s3_bucket" "cloudtrail" {\n'
            '  bucket = "acme-cloudtrail-logs"\n'
            "}\n\n"
            'resource "aws_cloudtrail" "main" {\n'
            '  name           = "org-trail"\n'
            "  s3_bucket_name = aws_s3_bucket.cloudtrail.id\n"
            "}"
        ),
        url="https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html",
    ),
    references=("AWS CloudTrail User Guide: Amazon S3 bucket policy for CloudTrail", "PCI DSS 10.3.3"),
    permissions=("cloudtrail:DescribeTrails", "s3:ListAllMyBuckets", "s3:ListBucket"),
    notes=(
        "No public benchmark has this control; it is the precondition of every other bucket "
        "check. A bucket the scan could not read because its owner is outside the scope is "
        "ERROR (never PASS), unless the collector proved its owner, in which case a trusted "
        "owner passes and any other owner fails."
    ),
)


def _judge(ctx: CheckContext, target: LogBucketTarget, bucket: Bucket) -> Judgement | CollectionError:
    scanned = {a.account_id for a in ctx.snapshot.accounts}
    trusted = set(ctx.settings.trusted_accounts)
    owner = bucket.owner_account_id
    evidence = {"owner_account_id": owner, "trusted_accounts": sorted(trusted)}
    if isinstance(bucket.existence, CollectionError):
        err = bucket.existence
        if err.error_code != "OutOfScope":
            return err
        if owner and owner in trusted:
            return Judgement(
                Status.PASS,
                f"bucket {bucket.name} is owned by trusted account {owner} (outside "
                "the scan, so its configuration is not judged here)",
                evidence,
            )
        if owner and owner not in scanned:
            return Judgement(
                Status.FAIL,
                f"bucket {bucket.name} is owned by account {owner}, which is neither "
                "scanned nor trusted: the logs may be read or lost by a third party",
                evidence,
            )
        return Judgement(
            Status.ERROR,
            out_of_scope_message(bucket, err)
            + (
                f"; its owner could not be proved to be one of the trusted accounts {', '.join(sorted(trusted))}"
                if trusted
                else ""
            ),
            evidence,
        )
    if bucket.existence == "missing":
        return Judgement(
            Status.FAIL,
            f"bucket {bucket.name} does not exist: the trail delivers nothing and "
            "anyone can create the name and receive the logs",
            evidence,
        )
    if bucket.existence != "exists":
        return Judgement(
            Status.ERROR, f"bucket {bucket.name} has an unknown existence state {bucket.existence!r}", evidence
        )
    if owner is None:
        if trusted:
            return Judgement(
                Status.ERROR,
                f"bucket {bucket.name} exists but its owner was not reported, so it "
                "cannot be proved to be a scanned or trusted account",
                evidence,
            )
        return Judgement(
            Status.PASS,
            f"bucket {bucket.name} exists and was read with scanned credentials (owner not reported)",
            evidence,
        )
    if owner in scanned or owner in trusted:
        where = "a scanned" if owner in scanned else "a trusted"
        return Judgement(Status.PASS, f"bucket {bucket.name} exists, owned by {where} account {owner}", evidence)
    return Judgement(
        Status.FAIL, f"bucket {bucket.name} is owned by account {owner}, which is neither scanned nor trusted", evidence
    )


CHECK = bucket_check(META, _judge, judge_existence=True)

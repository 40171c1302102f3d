"""Build the demo organisation inside moto: three accounts, several regions, sound and broken.

This module WRITES to (simulated) AWS and is only ever run against moto by
``trail-auditor demo`` and the tests; the scanner itself never calls it. The
scenario is chosen so that most checks have something to say:

- management account: an organisation trail (multi-region, validated, KMS,
  tagged, notifying SNS, CloudWatch Logs into a KMS-encrypted log group) with
  some CIS metric filters and alarms, one alarm without an action, one filter
  missing a clause; S3 data events, and Lambda invoke events for one function
  only; no Insights; AWS Config only in the first region.
- log-archive account: the organisation trail's bucket, versioned and private,
  its writes restricted to the trail, but no TLS-only statement and a lifecycle
  that moves logs to Glacier after 30 days and expires them after 400 (fine for
  PCI, short for HIPAA), no access logging.
- workload account: its own single-region trail, unvalidated, unencrypted and
  untagged, into a bucket with a public-read ACL and no versioning, delivering
  to an unencrypted log group that a resource policy lets another account write
  to; a second, multi-region trail for data events only (advanced selectors:
  every Lambda function, every DynamoDB table through a read-only plus a
  write-only selector, VPC endpoint network activity); no AWS Config.

- CloudTrail Lake (simulated: moto lacks it, see auditor/aws/demo_moto.py): the
  management account's organisation event data store is sound; the log archive
  account, CloudTrail's delegated administrator, has a store for itself only; the
  workload's store is single-region, short-lived, unprotected and stopped.

Log files with attack-like events and a signed digest chain (one log file
modified and one deleted after signing) are written to the log bucket.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from auditor.aws.demo_moto import CLOUDTRAIL_PRINCIPAL

MANAGEMENT_ACCOUNT = "123456789012"
#: An account outside the organisation that the workload's log group is shared with.
PARTNER_ACCOUNT = "999988887777"
ROLE_NAME = "OrganizationAccountAccessRole"
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
HOME = "us-east-1"
#: The demo's log window: long enough for the story, short enough to seed and verify quickly.
WINDOW_HOURS = 30
#: S3 Standard bytes the demo's log buckets report to CloudWatch (BucketSizeBytes): what
#: buckets holding a few years of an organisation's logs would, so that
#: bucket-archival-lifecycle has a size to show and a saving to estimate.
ORG_BUCKET_BYTES = 1_800 * 1024**3
WORKLOAD_BUCKET_BYTES = 250 * 1024**3


@dataclass
class DemoOrg:
    """Ids and names of what was seeded."""

    org_id: str
    management: str
    log_archive: str
    workload: str
    org_bucket: str
    workload_bucket: str
    org_trail_arn: str
    key_arn: str
    regions: tuple[str, ...] = REGIONS
    notes: list[str] = field(default_factory=list)


def local_s3control(client: Any) -> None:
    """Let s3control reach a local endpoint (moto_server, LocalStack).

    Its endpoint rules prefix the host with the account id
    (``123456789012.127.0.0.1``), which a loopback endpoint cannot resolve; with an
    endpoint override in effect the prefix is removed before the request is sent.
    """
    endpoint = client.meta.endpoint_url or ""
    if endpoint.endswith(".amazonaws.com") or "amazonaws.com.cn" in endpoint:
        return

    def _strip(request: Any, **_: Any) -> None:
        scheme, sep, rest = request.url.partition("://")
        host, slash, path = rest.partition("/")
        label, dot, remainder = host.partition(".")
        if label.isdigit() and len(label) == 12 and dot:
            request.url = f"{scheme}{sep}{remainder}{slash}{path}"

    client.meta.events.register("before-send.s3-control.*", _strip)


def session_for(account_id: str) -> boto3.Session:
    if account_id == MANAGEMENT_ACCOUNT:
        return boto3.Session(region_name=HOME)
    sts = boto3.client("sts", region_name=HOME)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/{ROLE_NAME}", RoleSessionName="demo-seed")[
        "Credentials"
    ]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=HOME,
    )


CIS_FILTERS: dict[str, str] = {
    "unauthorized-api-calls": '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") '
    '&& ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }',
    # Missing the MFA clause on purpose: alarm-console-login-no-mfa must FAIL.
    "console-login-no-mfa": '{ ($.eventName = "ConsoleLogin") }',
    "root-usage": '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS '
    '&& $.eventType != "AwsServiceEvent" }',
    "iam-policy-changes": "{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||"
    "($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||"
    "($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||"
    "($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||"
    "($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||"
    "($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}",
    "cloudtrail-changes": "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || "
    "($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }",
}
#: Filters whose alarm notifies the confirmed topic; cloudtrail-changes gets an alarm without action.
ALARMED = ("unauthorized-api-calls", "console-login-no-mfa", "root-usage", "iam-policy-changes")


def seed_organization(regions: tuple[str, ...] = REGIONS) -> DemoOrg:
    """Create the organisation, accounts and their logging configuration in moto."""
    org = boto3.client("organizations", region_name=HOME)
    org_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    ids = {}
    for name in ("log-archive", "workload-prod"):
        status = org.create_account(Email=f"{name}@example.com", AccountName=name)
        ids[name] = status["CreateAccountStatus"]["AccountId"]
    log_archive, workload = ids["log-archive"], ids["workload-prod"]
    # The log archive account administers CloudTrail for the organisation (moto lacks this
    # principal; the demo simulates it: auditor/aws/demo_moto.py).
    org.register_delegated_administrator(AccountId=log_archive, ServicePrincipal=CLOUDTRAIL_PRINCIPAL)
    mgmt = session_for(MANAGEMENT_ACCOUNT)
    archive = session_for(log_archive)
    work = session_for(workload)

    org_bucket = f"demo-org-trail-logs-{log_archive}"
    trail_arn = f"arn:aws:cloudtrail:{HOME}:{MANAGEMENT_ACCOUNT}:trail/org-trail"
    _seed_log_archive(archive, org_bucket, trail_arn, org_id)
    seed_bucket_size(archive, org_bucket, HOME, ORG_BUCKET_BYTES)
    key_arn = _seed_management(mgmt, org_bucket, trail_arn, regions)
    workload_bucket = f"demo-workload-trail-{workload}"
    _seed_workload(work, workload_bucket, workload)
    _seed_lake(mgmt, archive, work, key_arn)
    seed_bucket_size(work, workload_bucket, "eu-west-1", WORKLOAD_BUCKET_BYTES)
    return DemoOrg(
        org_id=org_id,
        management=MANAGEMENT_ACCOUNT,
        log_archive=log_archive,
        workload=workload,
        org_bucket=org_bucket,
        workload_bucket=workload_bucket,
        org_trail_arn=trail_arn,
        key_arn=key_arn,
        regions=regions,
    )


def seed_bucket_size(sess: boto3.Session, bucket: str, region: str, size_bytes: int) -> None:
    """Publish the daily AWS/S3 BucketSizeBytes datapoints S3 would, for the last three days.

    In the bucket's region and its owner's account, timestamped 00:00 UTC as S3
    does. moto synthesises only today's datapoint (from the bytes it holds),
    which the collector does not read; these are the ones it finds.
    """
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    dimensions = [{"Name": "BucketName", "Value": bucket}, {"Name": "StorageType", "Value": "StandardStorage"}]
    growth = size_bytes // 200  # a log bucket grows a little every day
    sess.client("cloudwatch", region_name=region).put_metric_data(
        Namespace="AWS/S3",
        MetricData=[
            {
                "MetricName": "BucketSizeBytes",
                "Dimensions": dimensions,
                "Unit": "Bytes",
                "Timestamp": today - timedelta(days=days),
                "Value": float(size_bytes - (days - 1) * growth),
            }
            for days in (3, 2, 1)
        ],
    )


def _seed_log_archive(sess: boto3.Session, bucket: str, trail_arn: str, org_id: str) -> None:
    s3 = sess.client("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": True}]
        },
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "archive-then-expire",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}],
                    "Expiration": {"Days": 400},
                    "NoncurrentVersionExpiration": {"NoncurrentDays": 400},
                }
            ]
        },
    )
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AWSCloudTrailAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": f"arn:aws:s3:::{bucket}",
                "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
            },
            {
                "Sid": "AWSCloudTrailWrite",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": [
                    f"arn:aws:s3:::{bucket}/AWSLogs/{MANAGEMENT_ACCOUNT}/*",
                    f"arn:aws:s3:::{bucket}/AWSLogs/{org_id}/*",
                ],
                "Condition": {
                    "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail_arn}
                },
            },
            # No Deny on aws:SecureTransport = false: bucket-policy-tls-only has something to say, and
            # moto ignores that statement's condition, so it would also refuse every read of the logs.
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    s3control = sess.client("s3control")
    local_s3control(s3control)
    account_id = sess.client("sts").get_caller_identity()["Account"]
    s3control.put_public_access_block(
        AccountId=account_id,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )


def cloudtrail_key_policy(account: str, trail_arn: str) -> dict[str, Any]:
    """A key policy that lets ``account`` administer the key and CloudTrail encrypt ``trail_arn``'s logs.

    The shape trail-kms-key-policy passes: the encrypt grant bound to the trail by
    aws:SourceArn and to the account's trails by the encryption context.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Admin",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudTrailEncrypt",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceArn": trail_arn},
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{account}:trail/*"
                    },
                },
            },
        ],
    }


def _seed_management(sess: boto3.Session, bucket: str, trail_arn: str, regions: tuple[str, ...]) -> str:
    kms = sess.client("kms")
    key_policy = cloudtrail_key_policy(MANAGEMENT_ACCOUNT, trail_arn)
    key = kms.create_key(Description="CloudTrail logs", Policy=json.dumps(key_policy))["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"])
    logs = sess.client("logs")
    group = "org-cloudtrail"
    logs.create_log_group(logGroupName=group, kmsKeyId=key["Arn"])
    logs.put_retention_policy(logGroupName=group, retentionInDays=90)
    group_arn = f"arn:aws:logs:{HOME}:{MANAGEMENT_ACCOUNT}:log-group:{group}:*"
    sns = sess.client("sns")
    topic = sns.create_topic(Name="security-alarms")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="secops@example.com")
    cw = sess.client("cloudwatch")
    for name, pattern in CIS_FILTERS.items():
        metric = f"CIS-{name}"
        logs.put_metric_filter(
            logGroupName=group,
            filterName=f"cis-{name}",
            filterPattern=pattern,
            metricTransformations=[{"metricName": metric, "metricNamespace": "CISBenchmark", "metricValue": "1"}],
        )
        actions = [topic] if name in ALARMED else []
        cw.put_metric_alarm(
            AlarmName=f"cis-{name}",
            MetricName=metric,
            Namespace="CISBenchmark",
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            AlarmActions=actions,
            ActionsEnabled=True,
        )
    ct = sess.client("cloudtrail")
    role_arn = f"arn:aws:iam::{MANAGEMENT_ACCOUNT}:role/CloudTrailToLogs"
    tags = {"owner": "security", "purpose": "organization-audit"}
    create_audited_trail(ct, "org-trail", bucket, key["Arn"], (group_arn, role_arn), "security-alarms", tags, org=True)
    # Lambda invokes of one function only: trail-lambda-data-events says which selector falls short.
    ct.put_event_selectors(
        TrailName="org-trail",
        EventSelectors=[
            {
                "ReadWriteType": "All",
                "IncludeManagementEvents": True,
                "DataResources": [
                    {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]},
                    {
                        "Type": "AWS::Lambda::Function",
                        "Values": [f"arn:aws:lambda:{HOME}:{MANAGEMENT_ACCOUNT}:function:payments"],
                    },
                ],
            }
        ],
    )
    ct.start_logging(Name="org-trail")
    start_config_recorder(sess.client("config", region_name=regions[0]), MANAGEMENT_ACCOUNT, bucket)
    return str(key["Arn"])


def create_audited_trail(
    ct: Any,
    name: str,
    bucket: str,
    key_arn: str,
    cloudwatch_logs: tuple[str, str],
    topic: str,
    tags: Mapping[str, str],
    *,
    org: bool = False,
) -> str:
    """Create the trail an audit wants with a boto3 ``cloudtrail`` client; return its ARN.

    Multi-region with global service events and log file validation, encrypted with
    ``key_arn``, delivering to CloudWatch Logs (``cloudwatch_logs``: the log group ARN
    and the role CloudTrail assumes for it), notifying the SNS topic named ``topic``,
    tagged ``tags``; an organisation trail if ``org``. The demo's organisation trail
    and the collection tests' configured account are this trail.
    """
    group_arn, role_arn = cloudwatch_logs
    return str(
        ct.create_trail(
            Name=name,
            S3BucketName=bucket,
            IsMultiRegionTrail=True,
            IsOrganizationTrail=org,
            IncludeGlobalServiceEvents=True,
            EnableLogFileValidation=True,
            KmsKeyId=key_arn,
            CloudWatchLogsLogGroupArn=group_arn,
            CloudWatchLogsRoleArn=role_arn,
            SnsTopicName=topic,
            TagsList=[{"Key": k, "Value": v} for k, v in tags.items()],
        )["TrailARN"]
    )


def start_config_recorder(config: Any, account_id: str, bucket: str) -> None:
    """Record every resource type with AWS Config (a boto3 ``config`` client), delivering to ``bucket``.

    What config-recorder-all-regions asks of each region; the demo and the collection
    tests seed it alike.
    """
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": f"arn:aws:iam::{account_id}:role/config",
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
        }
    )
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": bucket})
    config.start_configuration_recorder(ConfigurationRecorderName="default")


def _seed_lake(mgmt: boto3.Session, archive: boto3.Session, work: boto3.Session, key_arn: str) -> None:
    """CloudTrail Lake event data stores (moto lacks Lake; the demo simulates it: auditor/aws/demo_moto.py).

    The management account's organisation store passes every lake-* check; the log
    archive's (the CloudTrail delegated administrator) records only itself, so
    lake-organization FAILs there; the workload's fails the others: single-region,
    90 days, no customer managed key, no termination protection, ingestion stopped.
    """
    mgmt.client("cloudtrail").create_event_data_store(
        Name="org-events",
        OrganizationEnabled=True,
        MultiRegionEnabled=True,
        RetentionPeriod=2557,
        KmsKeyId=key_arn,
        TerminationProtectionEnabled=True,
        BillingMode="FIXED_RETENTION_PRICING",
    )
    archive.client("cloudtrail").create_event_data_store(
        Name="archive-events",
        OrganizationEnabled=False,
        RetentionPeriod=2557,
        KmsKeyId=archive.client("kms").create_key(Description="CloudTrail Lake")["KeyMetadata"]["Arn"],
    )
    ct = work.client("cloudtrail", region_name="eu-west-1")
    arn = ct.create_event_data_store(
        Name="workload-events", MultiRegionEnabled=False, RetentionPeriod=90, TerminationProtectionEnabled=False
    )["EventDataStoreArn"]
    ct.stop_event_data_store_ingestion(EventDataStore=arn)


def _seed_workload(sess: boto3.Session, bucket: str, account_id: str) -> None:
    region = "eu-west-1"
    s3 = sess.client("s3", region_name=region)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    logs = sess.client("logs", region_name=region)
    group = "workload-trail"
    logs.create_log_group(logGroupName=group)  # no KMS key: loggroup-kms-encryption FAILs here
    # A partner account may write into the trail's log group: loggroup-resource-policy FAILs here.
    logs.put_resource_policy(
        policyName="partner-forwarding",
        policyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "PartnerWrites",
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{PARTNER_ACCOUNT}:root"},
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        "Resource": f"arn:aws:logs:{region}:{account_id}:log-group:{group}:*",
                    }
                ],
            }
        ),
    )
    ct = sess.client("cloudtrail", region_name=region)
    ct.create_trail(
        Name="workload-trail",
        S3BucketName=bucket,
        IsMultiRegionTrail=False,
        IncludeGlobalServiceEvents=False,
        EnableLogFileValidation=False,
        CloudWatchLogsLogGroupArn=f"arn:aws:logs:{region}:{account_id}:log-group:{group}:*",
        CloudWatchLogsRoleArn=f"arn:aws:iam::{account_id}:role/CloudTrailToLogs",
    )
    ct.put_event_selectors(
        TrailName="workload-trail", EventSelectors=[{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]
    )
    ct.start_logging(Name="workload-trail")

    # Data events only, in the advanced dialect: the account's Lambda, DynamoDB and network
    # activity checks PASS here (DynamoDB through a read-only and a write-only selector together).
    def data(name: str, rtype: str, *extra: dict[str, Any]) -> dict[str, Any]:
        return {
            "Name": name,
            "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Data"]},
                {"Field": "resources.type", "Equals": [rtype]},
                *extra,
            ],
        }

    ct.create_trail(
        Name="workload-data-events",
        S3BucketName=bucket,
        IsMultiRegionTrail=True,
        IncludeGlobalServiceEvents=True,
        EnableLogFileValidation=True,
    )
    ct.put_event_selectors(
        TrailName="workload-data-events",
        AdvancedEventSelectors=[
            data("Lambda invokes", "AWS::Lambda::Function"),
            data("DynamoDB reads", "AWS::DynamoDB::Table", {"Field": "readOnly", "Equals": ["true"]}),
            data("DynamoDB writes", "AWS::DynamoDB::Table", {"Field": "readOnly", "Equals": ["false"]}),
            {
                "Name": "VPC endpoint activity",
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["NetworkActivity"]},
                    {"Field": "eventSource", "Equals": ["s3.amazonaws.com", "kms.amazonaws.com"]},
                ],
            },
        ],
    )
    ct.start_logging(Name="workload-data-events")


# --------------------------------------------------------------------------- log files

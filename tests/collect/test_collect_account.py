"""One configured account collected end to end against moto."""

from __future__ import annotations

import boto3

from auditor import __version__
from auditor.aws.collect import CollectOptions, collect
from auditor.model.snapshot import (
    BasicEventSelector,
    CollectionError,
    ConfigRecorder,
    MetricTransformation,
    Snapshot,
)
from tests.collect.conftest import (
    CALLER,
    OTHER_REGION,
    REGION,
    SCAN_REGIONS,
    Seeded,
    client,
    seed_configured_account,
)
from tests.policydocs import block_public_access, policy


def _scan(session: boto3.Session) -> Snapshot:
    return collect(CollectOptions(regions=SCAN_REGIONS), session=session)


def test_configured_account_is_collected_into_every_field(session: boto3.Session) -> None:
    seeded: Seeded = seed_configured_account(session)

    snap = _scan(session)

    assert snap.errors == ()
    assert snap.caller_account_id == CALLER
    assert snap.partition == "aws"
    assert snap.tool_version == __version__
    assert snap.collected_at.endswith("Z")
    assert snap.requested_regions == SCAN_REGIONS
    assert snap.organization is None
    (acc,) = snap.accounts
    assert acc.access_error is None
    assert acc.is_organization_management is False
    assert acc.enabled_regions == SCAN_REGIONS

    (trail,) = acc.trails
    assert trail.arn == seeded.trail_arn
    assert trail.home_region == REGION
    assert trail.owner_account_id == CALLER
    assert trail.is_multi_region and trail.log_file_validation_enabled
    assert trail.s3_bucket_name == seeded.bucket
    assert trail.kms_key_id == seeded.key_arn
    assert trail.cloudwatch_logs_log_group_arn == seeded.log_group_arn
    assert trail.seen_in_regions == (OTHER_REGION, REGION)
    assert not isinstance(trail.status, CollectionError) and trail.status is not None
    assert trail.status.is_logging
    assert trail.status.start_logging_time and trail.status.start_logging_time.endswith("Z")
    assert not isinstance(trail.event_selectors, CollectionError)
    assert trail.event_selectors is not None
    assert trail.event_selectors.basic == (BasicEventSelector(),)
    assert trail.insight_selectors == ()

    home = acc.region(REGION)
    assert home is not None
    assert home.trail_arns == (seeded.trail_arn,)
    assert not isinstance(home.log_groups, CollectionError)
    assert [(g.name, g.retention_days) for g in home.log_groups] == [(seeded.log_group, 400)]
    assert not isinstance(home.metric_filters, CollectionError)
    (mf,) = home.metric_filters
    assert mf.log_group_name == seeded.log_group
    assert mf.pattern == '{ $.userIdentity.type = "Root" }'
    assert mf.transformations == (MetricTransformation("RootUsage", "CISBenchmark", "1"),)
    assert not isinstance(home.alarms, CollectionError)
    (alarm,) = home.alarms
    assert (alarm.name, alarm.metric_name, alarm.alarm_actions) == (
        seeded.alarm_name,
        "RootUsage",
        (seeded.topic_arn,),
    )
    (topic,) = home.topics
    assert topic.topic_arn == seeded.topic_arn
    assert not isinstance(topic.subscriptions, CollectionError)
    assert [(s.protocol, s.endpoint, s.confirmed) for s in topic.subscriptions] == [
        ("email", "secops@example.com", True)
    ]
    assert not isinstance(home.config_recorders, CollectionError)
    (recorder,) = home.config_recorders
    assert recorder == ConfigRecorder(
        name="default",
        all_supported=True,
        include_global_resource_types=True,
        recording=True,
        last_status=recorder.last_status,
    )
    other = acc.region(OTHER_REGION)
    assert other is not None
    assert other.trail_arns == (seeded.trail_arn,)  # the shadow copy is listed
    assert other.log_groups == () and other.alarms == () and other.config_recorders == ()

    bucket = snap.bucket(seeded.bucket)
    assert bucket is not None
    assert bucket.existence == "exists"
    assert bucket.owner_account_id == CALLER
    assert bucket.region == REGION
    assert isinstance(bucket.policy, dict)
    assert bucket.policy["Statement"][0]["Sid"] == "AWSCloudTrailWrite"
    assert not isinstance(bucket.versioning, CollectionError) and bucket.versioning is not None
    assert bucket.versioning.status == "Enabled"
    assert not isinstance(bucket.lifecycle, CollectionError) and bucket.lifecycle is not None
    (rule,) = bucket.lifecycle
    assert (rule.id, rule.enabled, rule.prefix, rule.expiration_days) == (
        "archive",
        True,
        "AWSLogs/",
        400,
    )
    assert rule.noncurrent_expiration_days == 30
    assert [(t.storage_class, t.days) for t in rule.transitions] == [("GLACIER", 90)]
    assert not isinstance(bucket.acl, CollectionError) and bucket.acl is not None
    assert bucket.acl.grants[0].permission == "FULL_CONTROL"

    key = snap.key(seeded.key_arn)
    assert key is not None
    assert key.account_id == CALLER and key.region == REGION
    assert not isinstance(key.metadata, CollectionError)
    assert (key.metadata.key_manager, key.metadata.key_state) == ("CUSTOMER", "Enabled")
    assert key.rotation_enabled is True
    assert isinstance(key.policy, dict) and "Statement" in key.policy


def test_not_configured_answers_become_none_not_errors(session: boto3.Session) -> None:
    s3 = client(session, "s3")
    s3.create_bucket(Bucket="bare-trail-bucket")
    client(session, "cloudtrail").create_trail(Name="bare", S3BucketName="bare-trail-bucket")

    snap = _scan(session)

    assert snap.errors == ()
    bucket = snap.bucket("bare-trail-bucket")
    assert bucket is not None and bucket.existence == "exists"
    assert bucket.policy is None
    assert bucket.public_access_block is None
    assert bucket.object_lock is None
    assert bucket.lifecycle is None
    assert bucket.logging is None
    assert bucket.encryption is None
    (acc,) = snap.accounts
    assert acc.s3_account_public_access_block is None
    (trail,) = acc.trails
    assert trail.kms_key_id is None and snap.keys == ()
    assert trail.cloudwatch_logs_log_group_arn is None
    assert acc.region(OTHER_REGION) is not None
    assert acc.region(OTHER_REGION).trail_arns == ()  # type: ignore[union-attr]


def test_configured_bucket_protections_are_read(session: boto3.Session) -> None:
    s3 = client(session, "s3")
    s3.create_bucket(Bucket="locked-logs", ObjectLockEnabledForBucket=True)
    s3.create_bucket(Bucket="access-logs", ACL="log-delivery-write")
    s3.put_object_lock_configuration(
        Bucket="locked-logs",
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 1}},
        },
    )
    s3.put_public_access_block(
        Bucket="locked-logs",
        PublicAccessBlockConfiguration=block_public_access(),
    )
    s3.put_bucket_encryption(
        Bucket="locked-logs",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_bucket_logging(
        Bucket="locked-logs",
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "access-logs", "TargetPrefix": "locked/"}},
    )
    client(session, "s3control").put_public_access_block(
        AccountId=CALLER,
        PublicAccessBlockConfiguration=block_public_access(),
    )
    client(session, "cloudtrail").create_trail(Name="locked", S3BucketName="locked-logs")

    snap = _scan(session)

    bucket = snap.bucket("locked-logs")
    assert bucket is not None
    assert not isinstance(bucket.object_lock, CollectionError) and bucket.object_lock is not None
    assert (bucket.object_lock.enabled, bucket.object_lock.mode, bucket.object_lock.years) == (
        True,
        "COMPLIANCE",
        1,
    )
    assert not isinstance(bucket.public_access_block, CollectionError)
    assert bucket.public_access_block is not None and bucket.public_access_block.fully_on
    assert not isinstance(bucket.encryption, CollectionError) and bucket.encryption is not None
    assert bucket.encryption.sse_algorithm == "AES256"
    assert not isinstance(bucket.logging, CollectionError) and bucket.logging is not None
    assert (bucket.logging.target_bucket, bucket.logging.target_prefix) == (
        "access-logs",
        "locked/",
    )
    pab = snap.accounts[0].s3_account_public_access_block
    assert not isinstance(pab, CollectionError) and pab is not None and pab.fully_on


def test_missing_trail_bucket_is_reported_missing(session: boto3.Session) -> None:
    s3 = client(session, "s3")
    s3.create_bucket(Bucket="soon-gone")
    client(session, "cloudtrail").create_trail(Name="orphan", S3BucketName="soon-gone")
    s3.delete_bucket(Bucket="soon-gone")

    snap = _scan(session)

    bucket = snap.bucket("soon-gone")
    assert bucket is not None
    assert bucket.existence == "missing"
    assert snap.errors == ()


def test_snapshot_round_trips_through_dict(session: boto3.Session) -> None:
    seed_configured_account(session)

    snap = _scan(session)

    assert Snapshot.from_dict(snap.to_dict()) == snap


def test_trail_tags_log_group_key_and_resource_policies_are_collected(session: boto3.Session) -> None:
    """ListTags of the owned trail, kmsKeyId of its log group, the region's log resource policies."""
    import json

    seeded: Seeded = seed_configured_account(session)
    document = policy(
        {
            "Sid": "Partner",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
            "Action": "logs:PutLogEvents",
            "Resource": seeded.log_group_arn,
        }
    )
    client(session, "logs").put_resource_policy(policyName="partner", policyDocument=json.dumps(document))

    snap = _scan(session)

    assert snap.errors == ()
    trail = snap.accounts[0].trails[0]
    assert [(t.key, t.value) for t in trail.tags or ()] == [("owner", "security")]
    assert trail.sns_topic_arn == seeded.topic_arn
    home = snap.accounts[0].region(REGION)
    assert home is not None
    assert [g.kms_key_id for g in home.log_groups] == [seeded.key_arn]  # type: ignore[union-attr]
    assert isinstance(home.log_resource_policies, tuple)
    assert [(p.name, p.document) for p in home.log_resource_policies] == [("partner", document)]
    # no trail log group elsewhere: nothing read there, and said so (None, not "no policies")
    other = [r for r in snap.accounts[0].regions if r.region != REGION]
    assert other and all(r.log_resource_policies is None for r in other)

"""The demo's log files: a day of ordinary activity with an intrusion story in it, delivered as CloudTrail does.

Written by ``trail-auditor demo`` into the (moto) organisation trail's bucket, so the
real log reader, the logs-* checks, the Sigma rules and the SQL engines have evidence
to find: root use, console logins without MFA, failed logins, denied-call bursts, a
stopped trail, policy changes.
"""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from auditor.aws.demo_seed import HOME, WINDOW_HOURS
from auditor.model.timefmt import iso

IAM = "iam.amazonaws.com"
S3 = "s3.amazonaws.com"
CLOUDTRAIL = "cloudtrail.amazonaws.com"


def _event(
    when: datetime, name: str, source: str, account: str, region: str, identity: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": iso(when),
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": extra.pop("sourceIPAddress", "203.0.113.10"),
        "userAgent": extra.pop("userAgent", "aws-cli/2.15.0 Python/3.11"),
        "requestParameters": extra.pop("requestParameters", None),
        "responseElements": extra.pop("responseElements", None),
        "requestID": str(uuid.uuid5(uuid.NAMESPACE_OID, f"{name}{when.isoformat()}{account}")),
        "eventID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{name}{when.isoformat()}{account}")),
        "readOnly": extra.pop("readOnly", False),
        "eventType": extra.pop("eventType", "AwsApiCall"),
        "managementEvent": True,
        "recipientAccountId": account,
    }
    ev.update(extra)
    return ev


def demo_events(account: str, now: datetime, log_bucket: str) -> list[dict[str, Any]]:
    """A day of ordinary activity with an intrusion story in the middle of it."""
    admin = {
        "type": "IAMUser",
        "principalId": "AIDADEMOADMIN",
        "arn": f"arn:aws:iam::{account}:user/alice",
        "accountId": account,
        "userName": "alice",
    }
    intruder = {
        "type": "IAMUser",
        "principalId": "AIDADEMOMALLORY",
        "arn": f"arn:aws:iam::{account}:user/mallory",
        "accountId": account,
        "userName": "mallory",
    }
    root = {"type": "Root", "principalId": account, "arn": f"arn:aws:iam::{account}:root", "accountId": account}
    events: list[dict[str, Any]] = []

    def add(when: datetime, name: str, source: str, who: dict[str, Any], region: str = HOME, **extra: Any) -> None:
        events.append(_event(when, name, source, account, region, who, **extra))

    def new_key(user: str, key_id: str) -> dict[str, Any]:
        return {"accessKey": {"userName": user, "status": "Active", "accessKeyId": key_id}}

    start = now - timedelta(hours=WINDOW_HOURS - 1)
    # The administrator's routine work, from the corporate network (10.0.0.0/8): the demo Sigma rules
    # must tell it from the intruder's (a key rotated for herself, a break-glass role granted admin).
    office, office_ip = start + timedelta(hours=2), "10.20.30.40"
    admin_policy = "arn:aws:iam::aws:policy/AdministratorAccess"
    add(
        office,
        "CreateAccessKey",
        IAM,
        admin,
        sourceIPAddress=office_ip,
        requestParameters={"userName": "alice"},
        responseElements=new_key("alice", "AKIADEMOEXAMPLEALICE"),
    )
    break_glass = {"roleName": "break-glass-admin", "policyArn": admin_policy}
    add(
        office + timedelta(minutes=10),
        "AttachRolePolicy",
        IAM,
        admin,
        sourceIPAddress=office_ip,
        requestParameters=break_glass,
    )
    for hour in range(WINDOW_HOURS - 2):
        t = start + timedelta(hours=hour)
        add(t, "DescribeInstances", "ec2.amazonaws.com", admin, readOnly=True)
        if hour % 6 == 0:
            add(
                t + timedelta(minutes=5),
                "PutObject",
                "s3.amazonaws.com",
                admin,
                requestParameters={"bucketName": "app-data"},
            )
    attack = now - timedelta(hours=20)
    add(
        attack,
        "ConsoleLogin",
        "signin.amazonaws.com",
        intruder,
        eventType="AwsConsoleSignIn",
        responseElements={"ConsoleLogin": "Success"},
        additionalEventData={"MFAUsed": "No", "LoginTo": "https://console.aws.amazon.com"},
        userAgent="<script>alert('demo')</script> Mozilla/5.0",
    )
    denied: dict[str, Any] = {"errorCode": "AccessDenied", "errorMessage": "User is not authorized", "readOnly": True}
    for i in range(25):
        add(attack + timedelta(minutes=2 + i), "ListSecrets", "secretsmanager.amazonaws.com", intruder, **denied)
    escalation = {"userName": "mallory", "policyArn": admin_policy}
    add(attack + timedelta(minutes=40), "AttachUserPolicy", IAM, intruder, requestParameters=escalation)
    # Persistence: a key for another user (the demo Sigma rule's fieldref tells it from alice's own key).
    add(
        attack + timedelta(minutes=42),
        "CreateAccessKey",
        IAM,
        intruder,
        requestParameters={"userName": "bob"},
        responseElements=new_key("bob", "AKIADEMOEXAMPLEBOB01"),
    )
    add(
        attack + timedelta(minutes=45),
        "PutBucketLifecycle",
        "s3.amazonaws.com",
        intruder,
        requestParameters={"bucketName": log_bucket},
    )
    trail = {"name": f"arn:aws:cloudtrail:{HOME}:{account}:trail/org-trail"}
    add(attack + timedelta(minutes=50), "StopLogging", CLOUDTRAIL, intruder, requestParameters=trail)
    add(attack + timedelta(minutes=52), "StartLogging", CLOUDTRAIL, admin, requestParameters=trail)
    add(attack + timedelta(hours=5), "GetAccountSummary", IAM, root, readOnly=True)
    for i in range(3):
        add(attack + timedelta(hours=1, minutes=i), "RunInstances", "ec2.amazonaws.com", intruder, "ap-southeast-2")
    return sorted(events, key=lambda e: str(e["eventTime"]))


def write_demo_logs(s3: Any, bucket: str, org_id: str, account: str, now: datetime) -> int:
    """Write the demo events as CloudTrail delivers them (hourly gzipped files); return the count."""
    by_file: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for ev in demo_events(account, now, bucket):
        t = datetime.strptime(str(ev["eventTime"]), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        region = str(ev["awsRegion"])
        by_file.setdefault((region, t.strftime("%Y/%m/%d/%Y%m%dT%H00Z")), []).append(ev)
    for (region, stamp), records in by_file.items():
        day, name = stamp.rsplit("/", 1)
        key = (
            f"AWSLogs/{org_id}/{account}/CloudTrail/{region}/{day}/"
            f"{account}_CloudTrail_{region}_{name}_{uuid.uuid4().hex[:16]}.json.gz"
        )
        body = gzip.compress(json.dumps({"Records": records}).encode("utf-8"))
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    return sum(len(r) for r in by_file.values())

"""Hand-built results for report tests, the benchmark and the sample pages in docs/.

``sample_results()`` is a realistic small organisation: two accounts, two
regions, findings in every status and severity, two frameworks with manual
controls, log events and a waiver. ``scaled_results(n)`` repeats the checks
over many accounts to reach ``n`` findings. ``HOSTILE`` strings go where AWS
or log data would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from auditor.engine.checkapi import Severity, Status
from auditor.engine.results import (
    ControlVerdict,
    Finding,
    FrameworkVerdict,
    Results,
    ScanInfo,
    finding_id,
    summarise,
)

ACCOUNTS = ("111111111111", "222222222222")
REGIONS = ("us-east-1", "eu-west-1")
SCAN_ID = "scan-2026-11-20T12-00-00Z-7f3a"
SNAPSHOT_SHA = "9c1185a5c5e9fc54612808977ee8f548b2258d31a2f7e8cf3f1f4e2b9d4c7a10"
SCRIPT = "<script>alert(1)</script>"
STYLE_BREAK = "</style><img src=x onerror=alert(2)>"
HOSTILE = f"{SCRIPT}{STYLE_BREAK}"

CHECKS: tuple[dict[str, Any], ...] = (
    {
        "id": "trail-multi-region",
        "title": "A multi-region trail records management events",
        "severity": "critical",
        "section": "trail",
        "rationale": "Without a multi-region trail, API activity in unused regions goes unrecorded.",
        "references": ["CIS AWS 3.1", "Security Hub CloudTrail.1"],
        "permissions": ["cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus"],
        "remediation": {
            "summary": "Create or update an organisation trail so it is multi-region and logging.",
            "cli": "aws cloudtrail update-trail --name org-trail --is-multi-region-trail",
            "terraform": 'resource "aws_cloudtrail" "org" {\n  is_multi_region_trail = true\n}',
            "url": "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/receive-cloudtrail-log-files-from-multiple-regions.html",
        },
    },
    {
        "id": "trail-log-file-validation",
        "title": "Log file integrity validation is enabled",
        "severity": "high",
        "section": "trail",
        "rationale": "Digest files prove that delivered log files were not changed or deleted.",
        "references": ["CIS AWS 3.2"],
        "permissions": ["cloudtrail:DescribeTrails"],
        "remediation": {
            "summary": "Enable log file validation on the trail.",
            "cli": "aws cloudtrail update-trail --name org-trail --enable-log-file-validation",
            "terraform": 'resource "aws_cloudtrail" "org" {\n  enable_log_file_validation = true\n}',
            "url": "",
        },
    },
    {
        "id": "trail-kms-encryption",
        "title": "Trail log files are encrypted with a customer-managed KMS key",
        "severity": "medium",
        "section": "trail",
        "rationale": "SSE-KMS adds a key policy between readers and the log files.",
        "references": ["CIS AWS 3.5"],
        "permissions": ["cloudtrail:DescribeTrails", "kms:DescribeKey"],
        "remediation": {
            "summary": "Set a KMS key on the trail.",
            "cli": "aws cloudtrail update-trail --name org-trail --kms-key-id alias/cloudtrail",
            "terraform": 'resource "aws_cloudtrail" "org" {\n  kms_key_id = aws_kms_key.trail.arn\n}',
            "url": "",
        },
    },
    {
        "id": "bucket-mfa-delete",
        "title": "The log bucket requires MFA to delete object versions",
        "severity": "low",
        "section": "bucket",
        "rationale": "MFA delete stops a single stolen credential from erasing log history.",
        "references": ["CIS AWS 2.1.2"],
        "permissions": ["s3:GetBucketVersioning"],
        "remediation": {
            "summary": "Enable MFA delete with the root user's MFA device.",
            "cli": "aws s3api put-bucket-versioning --bucket acme-cloudtrail-logs "
            "--versioning-configuration Status=Enabled,MFADelete=Enabled --mfa 'SERIAL CODE'",
            "terraform": "# MFA delete cannot be set by Terraform; use the root user's CLI.",
            "url": "",
        },
    },
    {
        "id": "alarm-unauthorized-api-calls",
        "title": "An alarm watches unauthorised API calls",
        "severity": "medium",
        "section": "monitoring",
        "rationale": "Repeated AccessDenied errors are an early sign of reconnaissance.",
        "references": ["CIS AWS 4.1"],
        "permissions": ["logs:DescribeMetricFilters", "cloudwatch:DescribeAlarms"],
        "remediation": {
            "summary": "Create the CIS metric filter and an alarm with a subscribed SNS topic.",
            "cli": "aws logs put-metric-filter --log-group-name cloudtrail-logs --filter-name unauthorized",
            "terraform": 'resource "aws_cloudwatch_log_metric_filter" "unauthorized" {}',
            "url": "",
        },
    },
    {
        "id": "logs-root-activity",
        "title": "No use of the root user in the log window",
        "severity": "high",
        "section": "logs",
        "rationale": "The root user bypasses IAM policies; every use must be justified.",
        "references": ["CIS AWS 1.7"],
        "permissions": ["s3:GetObject"],
        "remediation": {
            "summary": "Investigate each root sign-in and lock the root credentials away.",
            "cli": "",
            "terraform": "",
            "url": "",
        },
    },
    {
        "id": "config-recorder-all-regions",
        "title": "AWS Config records all resources in every region",
        "severity": "medium",
        "section": "account",
        "rationale": "Config history shows who changed the logging set-up and when.",
        "references": ["CIS AWS 3.3"],
        "permissions": ["config:DescribeConfigurationRecorders"],
        "remediation": {
            "summary": "Start a configuration recorder for all resources in every region.",
            "cli": "aws configservice start-configuration-recorder --configuration-recorder-name default",
            "terraform": 'resource "aws_config_configuration_recorder" "all" {}',
            "url": "",
        },
    },
    {
        "id": "trail-insights",
        "title": "CloudTrail Insights watch API call rates",
        "severity": "info",
        "section": "trail",
        "rationale": "Insights flag unusual API volumes.",
        "references": [],
        "permissions": ["cloudtrail:GetInsightSelectors"],
        "remediation": {"summary": "Enable Insights selectors.", "cli": "", "terraform": "", "url": ""},
    },
)

FRAMEWORK_CONTROLS: Mapping[str, tuple[tuple[str, str, tuple[str, ...], str], ...]] = {
    "pci-dss-4.0.1": (
        ("10.2.1", "Audit logs are enabled and active for all system components", ("trail-multi-region",), "automated"),
        (
            "10.2.1.2",
            "Audit logs capture all actions taken by anyone with administrative access",
            ("logs-root-activity",),
            "partial",
        ),
        (
            "10.3.2",
            "Audit log files are protected to prevent modifications",
            ("trail-kms-encryption", "bucket-mfa-delete"),
            "automated",
        ),
        (
            "10.3.4",
            "File integrity monitoring or change detection is used on audit logs",
            ("trail-log-file-validation",),
            "automated",
        ),
        ("10.4.1", "Audit logs are reviewed at least once daily", ("alarm-unauthorized-api-calls",), "partial"),
        (
            "10.7.2",
            "Failures of critical security control systems are detected",
            ("config-recorder-all-regions",),
            "automated",
        ),
        ("10.4.1.1", "Automated mechanisms are used to perform audit log reviews", (), "manual"),
        ("12.10.1", "An incident response plan exists and is ready to be activated", (), "manual"),
    ),
    "cis-aws-5.0": (
        ("3.1", "Ensure CloudTrail is enabled in all regions", ("trail-multi-region",), "automated"),
        ("3.2", "Ensure CloudTrail log file validation is enabled", ("trail-log-file-validation",), "automated"),
        ("3.3", "Ensure AWS Config is enabled in all regions", ("config-recorder-all-regions",), "automated"),
        ("3.5", "Ensure CloudTrail logs are encrypted at rest using KMS CMKs", ("trail-kms-encryption",), "automated"),
        ("4.1", "Ensure unauthorized API calls are monitored", ("alarm-unauthorized-api-calls",), "automated"),
    ),
}
FRAMEWORK_TITLES = {"pci-dss-4.0.1": ("PCI DSS", "4.0.1"), "cis-aws-5.0": ("CIS AWS Foundations Benchmark", "5.0")}

# Per check: the status of each (account, region) result; "global" checks use one region.
PLAN: Mapping[str, Sequence[Status]] = {
    "trail-multi-region": (Status.PASS, Status.FAIL),
    "trail-log-file-validation": (Status.PASS,),
    "trail-kms-encryption": (Status.PASS, Status.ERROR),
    "bucket-mfa-delete": (Status.WAIVED, Status.PASS),
    "alarm-unauthorized-api-calls": (Status.FAIL, Status.PASS),
    "logs-root-activity": (Status.FAIL, Status.PASS),
    "config-recorder-all-regions": (Status.PASS,),
    "trail-insights": (Status.NOT_APPLICABLE, Status.FAIL),
}


def _events(n: int, hostile: bool) -> list[dict[str, Any]]:
    events = []
    for i in range(n):
        events.append(
            {
                "eventTime": f"2026-11-1{i % 10}T0{i % 10}:15:0{i % 10}Z",
                "eventName": "ConsoleLogin" if i % 2 == 0 else "StopLogging",
                "eventSource": "signin.amazonaws.com" if i % 2 == 0 else "cloudtrail.amazonaws.com",
                "principal": "arn:aws:iam::111111111111:root",
                "sourceIPAddress": f"203.0.113.{10 + i}",
                "userAgent": HOSTILE if hostile and i == 0 else "Mozilla/5.0 (X11; Linux x86_64)",
                "awsRegion": "us-east-1",
                "eventID": f"0b1c2d3e-0000-4000-8000-{i:012d}",
                "file": f"AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/1{i % 10}/file-{i}.json.gz",
            }
        )
    return events


def _finding(check: Mapping[str, Any], account: str, region: str, status: Status, i: int, hostile: bool) -> Finding:
    cid = str(check["id"])
    resource_id = {
        "trail": "org-trail",
        "bucket": "acme-cloudtrail-logs",
        "monitoring": "cloudtrail-logs",
        "logs": f"account/{account}",
        "account": f"config-recorder/{region}",
    }[str(check["section"])]
    if hostile and cid == "trail-multi-region" and status is Status.FAIL:
        resource_id = f"trail-{HOSTILE}"
    arn = {
        "trail": f"arn:aws:cloudtrail:{region}:{account}:trail/{resource_id}",
        "bucket": f"arn:aws:s3:::{resource_id}",
    }.get(str(check["section"]))
    evidence: dict[str, Any] = {}
    message = {
        Status.PASS: f"{check['title']}: yes",
        Status.FAIL: f"{check['title']}: no",
        Status.ERROR: "evidence could not be collected: cloudtrail:GetEventSelectors AccessDenied "
        "(User is not authorized to perform this action)",
        Status.NOT_APPLICABLE: "no trail in this region to judge",
        Status.WAIVED: f"{check['title']}: no (waived)",
    }[status]
    if cid == "trail-multi-region":
        evidence = {"is_multi_region": status is Status.PASS, "is_logging": True, "trail_arn": arn}
    elif cid == "trail-log-file-validation":
        evidence = {"log_file_validation_enabled": status is Status.PASS}
    elif cid == "trail-kms-encryption" and status is Status.ERROR:
        evidence = {
            "collection_error": {
                "service": "cloudtrail",
                "operation": "GetEventSelectors",
                "error_code": "AccessDenied",
            }
        }
    elif cid == "logs-root-activity" and status is Status.FAIL:
        evidence = {"root_events": 3, "events": _events(3, hostile)}
        message = "the root user was used 3 times in the log window"
    elif cid == "alarm-unauthorized-api-calls":
        evidence = {
            "metric_filters": [],
            "expected_pattern": '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
        }
    controls = {fw: [ctl for ctl, _t, checks, _a in rows if cid in checks] for fw, rows in FRAMEWORK_CONTROLS.items()}
    controls = {fw: ids for fw, ids in controls.items() if ids}
    waiver = None
    if status is Status.WAIVED:
        waiver = {
            "reason": "Object Lock in compliance mode protects the objects",
            "owner": "secops@example.com",
            "expires": "2027-06-30",
        }
    remediation = check["remediation"]
    return Finding(
        id=finding_id(cid, account, region, f"{resource_id}#{i}" if i else resource_id),
        check_id=cid,
        title=str(check["title"]),
        status=status,
        severity=Severity(check["severity"]),
        account_id=account,
        region=region,
        resource_type={"trail": "AwsCloudTrailTrail", "bucket": "AwsS3Bucket"}.get(str(check["section"]), "AwsAccount"),
        resource_id=resource_id if not i else f"{resource_id}-{i}",
        resource_arn=arn,
        message=message,
        evidence=evidence,
        remediation=dict(remediation),
        controls=controls,
        waiver=waiver,
    )


def _frameworks(findings: Sequence[Finding]) -> tuple[FrameworkVerdict, ...]:
    by_check: dict[str, list[Finding]] = {}
    for f in findings:
        by_check.setdefault(f.check_id, []).append(f)
    out = []
    for fw, rows in FRAMEWORK_CONTROLS.items():
        controls = []
        for ctl, title, checks, automation in rows:
            fs = [f for c in checks for f in by_check.get(c, [])]
            statuses = {f.status for f in fs}
            if automation == "manual":
                status = "MANUAL"
            elif Status.FAIL in statuses:
                status = "FAIL"
            elif Status.ERROR in statuses:
                status = "NOT_ASSESSED"
            else:
                status = "PASS"
            controls.append(
                ControlVerdict(
                    id=ctl,
                    title=title,
                    status=status,
                    automation=automation,
                    checks=checks,
                    findings=tuple(f.id for f in fs),
                    description="Keep the incident response plan, its test records and the review sign-offs."
                    if automation == "manual"
                    else "",
                    waived=Status.WAIVED in statuses,
                )
            )
        counts: dict[str, int] = {}
        for c in controls:
            counts[c.status] = counts.get(c.status, 0) + 1
        automated = [c for c in controls if c.status != "MANUAL"]
        score = sum(c.status == "PASS" for c in automated) / len(automated)
        title, version = FRAMEWORK_TITLES[fw]
        out.append(FrameworkVerdict(fw, title, version, tuple(controls), counts, round(score, 3)))
    return tuple(out)


def sample_results(*, hostile: bool = False, accounts: Sequence[str] = ACCOUNTS, copies: int = 1) -> Results:
    """A realistic results document; ``hostile`` puts attack strings where AWS/log data goes."""
    findings: list[Finding] = []
    for check in CHECKS:
        plan = PLAN[str(check["id"])]
        n = 0
        for account in accounts:
            for region in REGIONS:
                for i in range(copies):
                    status = plan[n % len(plan)]
                    n += 1
                    findings.append(_finding(check, account, region, status, i, hostile))
    checks = tuple({k: v for k, v in c.items() if k != "remediation"} for c in CHECKS)
    scan = ScanInfo(
        id=SCAN_ID,
        started_at="2026-11-20T12:00:00Z",
        finished_at="2026-11-20T12:03:41Z",
        accounts=tuple(accounts),
        regions=REGIONS,
        log_window={"since": "2026-10-21T12:00:00Z", "until": "2026-11-20T12:00:00Z"},
        snapshot_sha256=SNAPSHOT_SHA,
        profile="pci",
        errors=(
            {
                "account_id": accounts[-1],
                "region": "eu-west-1",
                "service": "cloudtrail",
                "operation": "GetEventSelectors",
                "error_code": "AccessDenied",
            },
        ),
    )
    return Results(
        scan=scan,
        findings=tuple(findings),
        frameworks=_frameworks(findings),
        checks=checks,
        summary=summarise(findings),
        tool={"name": "trail-auditor", "version": "0.1.0"},
    )


def scaled_results(n: int) -> Results:
    """About ``n`` findings: the sample checks over many accounts and copies."""
    per_account = len(CHECKS) * len(REGIONS)
    accounts = [f"{100000000000 + i:012d}" for i in range(max(1, -(-n // (per_account * 5))))]
    results = sample_results(accounts=accounts, copies=5)
    return replace(results, findings=results.findings[:n])


BIG = 100_000
ANSI = "\x1b[31mred\x00"


def hostile_results() -> Results:
    """The sample with attack strings, a 100 KB evidence value, control characters and a CSV formula."""
    results = sample_results(hostile=True)
    findings = list(results.findings)
    for i, f in enumerate(findings):
        if f.check_id == "trail-multi-region" and f.status is Status.FAIL:
            findings[i] = replace(
                f,
                message=f"{ANSI} trail is single-region {HOSTILE}",
                evidence={**f.evidence, "bucket_policy": "P" * BIG},
            )
        elif f.check_id == "alarm-unauthorized-api-calls" and f.status is Status.FAIL:
            findings[i] = replace(f, resource_id='=HYPERLINK("http://evil.example","x")', resource_arn=None)
    return replace(results, findings=tuple(findings), summary=summarise(findings))

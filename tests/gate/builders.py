"""Hand-built results for gate and history tests."""

from __future__ import annotations

from auditor.engine.checkapi import Severity, Status
from auditor.engine.results import ControlVerdict, Finding, FrameworkVerdict, Results, ScanInfo, finding_id, summarise

ACCOUNT = "111122223333"


def finding(
    check: str,
    status: Status,
    severity: Severity = Severity.HIGH,
    resource: str = "acme-logs",
    account: str = ACCOUNT,
    region: str = "us-east-1",
) -> Finding:
    return Finding(
        id=finding_id(check, account, region, resource),
        check_id=check,
        title=check,
        status=status,
        severity=severity,
        account_id=account,
        region=region,
        resource_type="AwsS3Bucket",
        resource_id=resource,
        resource_arn=f"arn:aws:s3:::{resource}",
        message=f"{check} {status.value}",
        controls={"pci-dss-4.0.1": ["10.3.2"]},
    )


def results(findings: list[Finding], scan_id: str = "scan-1", finished_at: str = "2026-11-20T10:00:00Z") -> Results:
    ids = tuple(f.id for f in findings)
    failed = any(f.status is Status.FAIL for f in findings)
    verdict = ControlVerdict(
        id="10.3.2",
        title="Logs protected",
        status="FAIL" if failed else "PASS",
        automation="automated",
        checks=tuple(sorted({f.check_id for f in findings})),
        findings=ids,
    )
    fw = FrameworkVerdict(
        id="pci-dss-4.0.1",
        title="PCI DSS",
        version="4.0.1",
        controls=(verdict,),
        counts={verdict.status: 1},
        score=0.0 if failed else 1.0,
    )
    return Results(
        scan=ScanInfo(
            id=scan_id, started_at=finished_at, finished_at=finished_at, accounts=(ACCOUNT,), regions=("us-east-1",)
        ),
        findings=tuple(findings),
        frameworks=(fw,),
        summary=summarise(findings),
        tool={"name": "trail-auditor", "version": "test"},
    )

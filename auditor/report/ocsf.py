"""OCSF 1.3.0 Compliance Finding output (class_uid 2003, ``cloud`` profile): one object per finding.

Security lakes and SIEMs (Amazon Security Lake, Splunk, ...) ingest OCSF. The
file is a JSON array; every element validates against the vendored schema
``auditor/schemas/vendor/ocsf-1.3.0-compliance_finding.schema.json``.

Mapping:

- ``compliance.status_id``: PASS 1 (Pass), FAIL and WAIVED 3 (Fail), ERROR 0
  (Unknown), NOT_APPLICABLE 99 (Other, status "Not Applicable"). ERROR means
  the evidence could not be read, so the control's state is not known; SIEMs
  rank "Warning" as a soft failure of the resource, which would claim a
  judgement the tool never made. ``compliance.status_detail`` says why
  ("not assessed: ...").
- ``status_id`` (the finding's triage state): WAIVED 3 (Suppressed), else 1 (New).
- ``compliance.control`` is the check; ``compliance.requirements`` the mapped
  framework controls as ``framework:control``; ``compliance.standards`` the
  framework ids (the tool's own catalogue when a finding maps to none).
- ``time`` is the scan's end, in milliseconds since the epoch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.engine.checkapi import Severity, Status, parse_time
from auditor.engine.results import Finding, Results
from auditor.model.arn import partition_of
from auditor.model.textsafe import safe_https_url
from auditor.report.interface import JsonDocumentRenderer

OCSF_VERSION = "1.3.0"
CLASS_UID = 2003
CATEGORY_UID = 2
ACTIVITY_CREATE = 1
SEVERITY_ID: Mapping[Severity, tuple[int, str]] = {
    Severity.INFO: (1, "Informational"),
    Severity.LOW: (2, "Low"),
    Severity.MEDIUM: (3, "Medium"),
    Severity.HIGH: (4, "High"),
    Severity.CRITICAL: (5, "Critical"),
}
COMPLIANCE_STATUS: Mapping[Status, tuple[int, str]] = {
    Status.PASS: (1, "Pass"),
    Status.ERROR: (0, "Unknown"),
    Status.FAIL: (3, "Fail"),
    Status.WAIVED: (3, "Fail"),
    Status.NOT_APPLICABLE: (99, "Not Applicable"),
}


def _millis(timestamp: str) -> int:
    try:
        return int(parse_time(timestamp).timestamp() * 1000)
    except ValueError:
        return 0


def ocsf_finding(f: Finding, results: Results, event_time: int) -> dict[str, Any]:
    """One finding as an OCSF Compliance Finding."""
    severity_id, severity = SEVERITY_ID[f.severity]
    compliance_id, compliance_status = COMPLIANCE_STATUS[f.status]
    requirements = sorted(f"{fw}:{c}" for fw, ids in f.controls.items() for c in ids)
    standards = sorted(f.controls) or ["trail-auditor-checks"]
    tool = results.tool
    resource: dict[str, Any] = {
        "uid": f.resource_arn or f.resource_id,
        "name": f.resource_id,
        "type": f.resource_type,
        "cloud_partition": partition_of(f.resource_arn),
    }
    if f.region and f.region != "global":
        resource["region"] = f.region
    cloud: dict[str, Any] = {
        "provider": "AWS",
        "account": {"uid": f.account_id, "type": "AWS Account", "type_id": 10},
    }
    if f.region and f.region != "global":
        cloud["region"] = f.region
    event: dict[str, Any] = {
        "class_uid": CLASS_UID,
        "class_name": "Compliance Finding",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
        "type_name": "Compliance Finding: Create",
        "time": event_time,
        "severity_id": severity_id,
        "severity": severity,
        "status_id": 3 if f.status is Status.WAIVED else 1,
        "status": "Suppressed" if f.status is Status.WAIVED else "New",
        "status_code": f.status.value,
        "message": f.message,
        "metadata": {
            "version": OCSF_VERSION,
            "profiles": ["cloud"],
            "uid": f.id,
            "correlation_uid": results.scan.id,
            "product": {
                "name": str(tool.get("name", "trail-auditor")),
                "vendor_name": "trail-auditor",
                "version": str(tool.get("version", "")),
            },
        },
        "finding_info": {
            "uid": f.id,
            "title": f.title,
            "desc": f.message,
            "types": [f.resource_type],
            "analytic": {"uid": f.check_id, "name": f.check_id, "type_id": 1, "type": "Rule"},
        },
        "compliance": {
            "control": f.check_id,
            "requirements": requirements,
            "standards": standards,
            "status_id": compliance_id,
            "status": compliance_status,
            "status_code": f.status.value,
        },
        "cloud": cloud,
        "resources": [resource],
        "unmapped": {"evidence": dict(f.evidence), "waiver": dict(f.waiver) if f.waiver else None},
    }
    if f.status is Status.ERROR:
        event["compliance"]["status_detail"] = f"not assessed: {f.message}"
    summary = str(f.remediation.get("summary", ""))
    if summary:
        remediation: dict[str, Any] = {"desc": summary}
        url = safe_https_url(str(f.remediation.get("url", "")))
        if url:
            remediation["references"] = [url]
        event["remediation"] = remediation
    return event


def ocsf_findings(results: Results) -> list[dict[str, Any]]:
    """Every finding as an OCSF Compliance Finding."""
    event_time = _millis(results.scan.finished_at or results.scan.started_at)
    return [ocsf_finding(f, results, event_time) for f in results.findings]


class OcsfRenderer(JsonDocumentRenderer):
    """``--format ocsf``."""

    name = "ocsf"
    extension = ".json"
    default_filename = "ocsf.json"
    document = staticmethod(ocsf_findings)

"""AWS Security Finding Format (ASFF, schema 2018-10-08) output: ``findings.asff.json``.

The file is a JSON array of findings in the shape Security Hub's
``BatchImportFindings`` takes (tests validate every finding against botocore's
service model of that operation). ``--securityhub-import`` sends the same
findings (auditor.aws.securityhub); this module never talks to AWS.

Mapping:

- ``Id`` is ``trail-auditor/<check>/<finding id>``: the finding id is a hash of
  check, account, region and resource, so the same finding has the same ASFF
  id in every scan and a re-import updates it instead of adding a copy.
- ``ProductArn`` is the account's own custom-integration product,
  ``arn:<partition>:securityhub:<region>:<account>:product/<account>/default``,
  in the finding's region (a global finding takes the scan's first region,
  else us-east-1). The import rewrites it for the importing account and region.
- ``Compliance.Status``: PASS PASSED; FAIL FAILED; ERROR NOT_AVAILABLE (the
  evidence could not be read: not a failure, and never a pass; the description
  starts "Not assessed:"); WAIVED FAILED with ``Workflow.Status`` SUPPRESSED
  and a ``Note`` naming the waiver's reason, owner and expiry;
  NOT_APPLICABLE NOT_AVAILABLE with ``RecordState`` ARCHIVED, so a finding that
  failed in an earlier import is archived rather than left failing.
- ``Severity.Label``: a PASSED finding is INFORMATIONAL (Security Hub's own
  convention for passed controls); otherwise the check's severity.
  ``Severity.Original`` keeps the check's severity either way.
- ``Workflow.Status`` is NEW for FAIL and ERROR, RESOLVED for PASS, SUPPRESSED
  for WAIVED. Security Hub applies a provider's Workflow and Note only when it
  first creates a finding; later changes to them are BatchUpdateFindings'
  business, which this tool does not call (docs/formats.md).
- ``Compliance.RelatedRequirements`` lists the mapped controls as
  ``<framework>/<control>`` (at most 32, Security Hub's limit).
- Text fields are cut to Security Hub's limits (Title 256, Description 1024,
  recommendation 512, note 512 characters).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from auditor.engine.checkapi import Severity, Status
from auditor.engine.results import Finding, Results
from auditor.model.textsafe import safe_https_url
from auditor.report.interface import JsonDocumentRenderer

SCHEMA_VERSION = "2018-10-08"
FINDING_TYPE = "Software and Configuration Checks/Industry and Regulatory Standards"
DEFAULT_REGION = "us-east-1"
#: An account id for findings that name none (log files read without a scan).
UNKNOWN_ACCOUNT = "000000000000"
PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
SEVERITY_LABEL: Mapping[Severity, str] = {
    Severity.INFO: "INFORMATIONAL",
    Severity.LOW: "LOW",
    Severity.MEDIUM: "MEDIUM",
    Severity.HIGH: "HIGH",
    Severity.CRITICAL: "CRITICAL",
}
COMPLIANCE: Mapping[Status, str] = {
    Status.PASS: "PASSED",
    Status.FAIL: "FAILED",
    Status.WAIVED: "FAILED",
    Status.ERROR: "NOT_AVAILABLE",
    Status.NOT_APPLICABLE: "NOT_AVAILABLE",
}
WORKFLOW: Mapping[Status, str] = {
    Status.PASS: "RESOLVED",
    Status.FAIL: "NEW",
    Status.WAIVED: "SUPPRESSED",
    Status.ERROR: "NEW",
    Status.NOT_APPLICABLE: "RESOLVED",
}
#: Resource types of the ASFF resource list this tool's checks produce; others are "Other".
ASFF_RESOURCE_TYPES = frozenset({"AwsAccount", "AwsCloudTrailTrail", "AwsCloudWatchAlarm", "AwsKmsKey", "AwsS3Bucket"})
MAX_TITLE, MAX_DESCRIPTION, MAX_RECOMMENDATION, MAX_NOTE = 256, 1024, 512, 512
MAX_REQUIREMENTS = 32
MAX_FIELD_VALUE = 2048
_ACCOUNT = re.compile(r"\d{12}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")


def _cut(text: str, limit: int) -> str:
    text = text.strip() or "-"
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def partition_of(arn: str | None) -> str:
    """The partition named by an ARN; ``aws`` for anything else."""
    if arn and arn.startswith("arn:"):
        part = arn.split(":")[1] if arn.count(":") >= 1 else ""
        if part in PARTITIONS:
            return part
    return "aws"


def account_of(f: Finding, results: Results) -> str:
    """The finding's 12-digit account, else the scan's first, else :data:`UNKNOWN_ACCOUNT`."""
    if _ACCOUNT.fullmatch(f.account_id or ""):
        return f.account_id
    return next((a for a in results.scan.accounts if _ACCOUNT.fullmatch(a)), UNKNOWN_ACCOUNT)


def region_of(f: Finding, results: Results) -> str:
    """The finding's region; a global finding takes the scan's first region, else us-east-1."""
    if _REGION.fullmatch(f.region or ""):
        return f.region
    return next((r for r in results.scan.regions if _REGION.fullmatch(r)), DEFAULT_REGION)


def product_arn(partition: str, region: str, account: str) -> str:
    """The account's custom-integration product (Security Hub's ``default`` product)."""
    return f"arn:{partition}:securityhub:{region}:{account}:product/{account}/default"


def asff_id(f: Finding) -> str:
    """The stable ASFF id: the same check on the same resource imports onto the same finding."""
    return f"trail-auditor/{f.check_id}/{f.id}"


def _timestamp(value: str) -> str:
    return value or "1970-01-01T00:00:00Z"


def _note(f: Finding, updated_at: str) -> dict[str, str]:
    waiver = f.waiver or {}
    parts = [f"Waived by the baseline: {waiver.get('reason') or 'no reason given'}"]
    if waiver.get("owner"):
        parts.append(f"owner {waiver['owner']}")
    if waiver.get("expires"):
        parts.append(f"expires {waiver['expires']}")
    return {
        "Text": _cut("; ".join(str(p) for p in parts), MAX_NOTE),
        "UpdatedBy": _cut(str(waiver.get("owner") or "trail-auditor baseline"), 512),
        "UpdatedAt": updated_at,
    }


def asff_finding(f: Finding, results: Results, timestamp: str, updated_at: str | None = None) -> dict[str, Any]:
    """One finding in ASFF."""
    account = account_of(f, results)
    region = region_of(f, results)
    partition = partition_of(f.resource_arn)
    tool = results.tool
    passed = f.status is Status.PASS
    description = f.message
    if f.status is Status.ERROR:
        description = f"Not assessed: {f.message}"
    elif f.status is Status.NOT_APPLICABLE:
        description = f"Not applicable: {f.message}"
    resource_type = f.resource_type if f.resource_type in ASFF_RESOURCE_TYPES else "Other"
    resource: dict[str, Any] = {
        "Type": resource_type,
        "Id": _cut(f.resource_arn or f.resource_id or account, 512),
        "Partition": partition,
        "Region": region,
    }
    if resource_type == "Other":
        resource["Details"] = {
            "Other": {
                "trail-auditor/resourceType": _cut(f.resource_type or "-", MAX_FIELD_VALUE),
                "trail-auditor/resourceId": _cut(f.resource_id or "-", MAX_FIELD_VALUE),
            }
        }
    requirements = sorted(f"{fw}/{c}" for fw, ids in f.controls.items() for c in ids)[:MAX_REQUIREMENTS]
    compliance: dict[str, Any] = {"Status": COMPLIANCE[f.status]}
    if requirements:
        compliance["RelatedRequirements"] = requirements
    product_fields = {
        "trail-auditor/checkId": f.check_id,
        "trail-auditor/status": f.status.value,
        "trail-auditor/findingId": f.id,
        "trail-auditor/scanId": _cut(results.scan.id, MAX_FIELD_VALUE),
    }
    if f.waived_status is not None:
        product_fields["trail-auditor/waivedStatus"] = f.waived_status.value
    finding: dict[str, Any] = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": asff_id(f),
        "ProductArn": product_arn(partition, region, account),
        "ProductName": str(tool.get("name") or "trail-auditor"),
        "CompanyName": "trail-auditor",
        "GeneratorId": f"trail-auditor/{f.check_id}",
        "AwsAccountId": account,
        "Region": region,
        "Types": [FINDING_TYPE],
        "CreatedAt": timestamp,
        "UpdatedAt": updated_at or timestamp,
        "Severity": {"Label": "INFORMATIONAL" if passed else SEVERITY_LABEL[f.severity], "Original": f.severity.value},
        "Title": _cut(f.title, MAX_TITLE),
        "Description": _cut(description, MAX_DESCRIPTION),
        "ProductFields": product_fields,
        "Resources": [resource],
        "Compliance": compliance,
        "Workflow": {"Status": WORKFLOW[f.status]},
        "RecordState": "ARCHIVED" if f.status is Status.NOT_APPLICABLE else "ACTIVE",
    }
    summary = str(f.remediation.get("summary", "")).strip()
    url = safe_https_url(str(f.remediation.get("url", "")))
    if summary or url:
        recommendation: dict[str, str] = {}
        if summary:
            recommendation["Text"] = _cut(summary, MAX_RECOMMENDATION)
        if url:
            recommendation["Url"] = url
        finding["Remediation"] = {"Recommendation": recommendation}
    if f.status is Status.WAIVED:
        finding["Note"] = _note(f, updated_at or timestamp)
    return finding


def asff_findings(results: Results) -> list[dict[str, Any]]:
    """Every finding in ASFF, in the results' order.

    ``CreatedAt`` is the collection's time; ``UpdatedAt`` is when the results
    were computed (``evaluate`` with another baseline gives a later one), so
    Security Hub takes a re-evaluation as an update, and re-importing the same
    results changes nothing.
    """
    timestamp = _timestamp(results.scan.finished_at or results.scan.started_at)
    updated = results.scan.evaluated_at if (results.scan.evaluated_at or "") > timestamp else None
    return [asff_finding(f, results, timestamp, updated) for f in results.findings]


class AsffRenderer(JsonDocumentRenderer):
    """``--format asff``."""

    name = "asff"
    extension = ".json"
    default_filename = "findings.asff.json"
    document = staticmethod(asff_findings)

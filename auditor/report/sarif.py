"""SARIF 2.1.0 output for GitHub code scanning.

Decisions (GitHub's expectations, https://docs.github.com "SARIF support for
code scanning"):

- One rule per check (``tool.driver.rules``), results keyed by ``ruleId`` and
  ``ruleIndex``; the rule carries ``security-severity`` so GitHub ranks alerts.
- Only results that need attention are emitted: FAIL, ERROR and WAIVED.
  GitHub has no notion of a passing result, so emitting PASS/N/A would raise
  false alerts.
- ERROR (not assessed: the evidence could not be read) is ``kind: "open"``
  with level ``none``: SARIF's word for "the tool could not decide", which is
  what it is, and not a failure of the resource. It is never silent: the
  message says "Not assessed", and every collection error of the scan is a
  ``toolExecutionNotification`` of level ``error`` on the invocation, which
  SARIF (appendix I) defines as "the results cannot be assumed complete".
  ``executionSuccessful`` stays true: the tool ran to its end.
- WAIVED is the failure it is (``kind: "fail"``, the severity's level) with a
  ``suppressions`` entry (``kind: "external"``, the baseline; status
  ``accepted``; the waiver's reason as justification; owner, expiry and the
  baseline line in its properties), so consumers see who accepted what until
  when instead of the result vanishing.
- GitHub needs a ``physicalLocation`` with an ``artifactLocation.uri`` to
  display an alert. AWS resources are not files in the repository, so each
  result points at a stable, relative pseudo-path
  ``aws/<account>/<region>/<resource_type>/<resource_id>`` (percent-encoded),
  line 1. It is stable across scans, distinct per resource, and readable in
  the GitHub UI; the real resource is also given as a ``logicalLocation``
  (kind ``resource``, fully qualified name = the ARN).
- ``partialFingerprints.primaryLocationLineHash`` is the finding's stable id,
  so GitHub tracks the same alert across uploads without hashing file lines
  that do not exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from auditor.engine.checkapi import Severity, Status
from auditor.engine.results import Finding, Results
from auditor.model.textsafe import safe_https_url, without_surrogates
from auditor.report.interface import JsonDocumentRenderer

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL: Mapping[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
#: GitHub maps >9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY: Mapping[Severity, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.5",
}
REPORTED: frozenset[Status] = frozenset({Status.FAIL, Status.ERROR, Status.WAIVED})
MAX_MESSAGE = 4000
#: The descriptor each collection-error notification refers to (``descriptor.id``).
COLLECTION_ERROR_DESCRIPTOR: Mapping[str, Any] = {
    "id": "collection-error",
    "name": "CollectionError",
    "shortDescription": {"text": "Evidence could not be collected"},
    "fullDescription": {
        "text": "An AWS call or log read failed; the checks that needed its evidence are reported as not assessed."
    },
    "defaultConfiguration": {"level": "error"},
}


def artifact_uri(f: Finding) -> str:
    """The stable pseudo-path that stands for an AWS resource (see module docstring)."""
    parts = (f.account_id or "unknown", f.region or "global", f.resource_type or "resource", f.resource_id or "-")
    return "aws/" + "/".join(quote(without_surrogates(p), safe="") for p in parts)


def _severity(meta: Mapping[str, Any], sample: Finding | None) -> Severity:
    raw = str(meta.get("severity") or (sample.severity.value if sample else "info")).lower()
    try:
        return Severity(raw)
    except ValueError:
        return sample.severity if sample else Severity.INFO


def _rule(check_id: str, meta: Mapping[str, Any], sample: Finding | None) -> dict[str, Any]:
    severity = _severity(meta, sample)
    title = str(meta.get("title") or (sample.title if sample else check_id))
    remediation = sample.remediation if sample else {}
    help_parts = [str(meta.get("rationale", "")), str(remediation.get("summary", ""))]
    if remediation.get("cli"):
        help_parts.append("AWS CLI:\n" + str(remediation["cli"]))
    if remediation.get("terraform"):
        help_parts.append("Terraform:\n" + str(remediation["terraform"]))
    help_text = "\n\n".join(p for p in help_parts if p) or title
    tags = ["security", "cloudtrail", "aws"]
    if meta.get("section"):
        tags.append(str(meta["section"]))
    rule: dict[str, Any] = {
        "id": check_id,
        "name": "".join(w.capitalize() for w in check_id.replace("_", "-").split("-")) or check_id,
        "shortDescription": {"text": title},
        "fullDescription": {"text": str(meta.get("rationale") or title)},
        "help": {"text": help_text},
        "defaultConfiguration": {"level": LEVEL[severity]},
        "properties": {
            "tags": tags,
            "security-severity": SECURITY_SEVERITY[severity],
            "precision": "very-high",
            "references": [str(r) for r in meta.get("references", []) or []],
        },
    }
    url = safe_https_url(str(remediation.get("url", "")))
    if url:
        rule["helpUri"] = url
    return rule


def _suppression(f: Finding) -> dict[str, Any]:
    """The baseline waiver that accepted a failure, as a SARIF suppression."""
    waiver = f.waiver or {}
    properties = {k: str(waiver[k]) for k in ("owner", "expires", "origin") if waiver.get(k)}
    suppression: dict[str, Any] = {
        "kind": "external",
        "status": "accepted",
        "justification": str(waiver.get("reason") or "waived by the baseline"),
    }
    if properties:
        suppression["properties"] = properties
    return suppression


def _result(f: Finding, rule_index: int) -> dict[str, Any]:
    not_assessed = f.status is Status.ERROR
    prefix = "Not assessed: " if not_assessed else ""
    resource = f.resource_arn or f.resource_id
    text = f"{prefix}{f.message} [{resource} in {f.account_id}/{f.region}]"
    if len(text) > MAX_MESSAGE:
        text = f"{text[:MAX_MESSAGE]}… (truncated, {len(text)} characters)"
    controls = sorted(f"{fw}:{c}" for fw, ids in f.controls.items() for c in ids)
    result: dict[str, Any] = {
        "ruleId": f.check_id,
        "ruleIndex": rule_index,
        # SARIF 3.27.9/3.27.10: a result whose kind is not "fail" has level "none".
        "kind": "open" if not_assessed else "fail",
        "level": "none" if not_assessed else LEVEL[f.severity],
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": artifact_uri(f), "uriBaseId": "AWS"},
                    "region": {"startLine": 1},
                },
                "logicalLocations": [{"name": f.resource_id, "fullyQualifiedName": resource, "kind": "resource"}],
            }
        ],
        "partialFingerprints": {"primaryLocationLineHash": f.id},
        "properties": {
            "status": f.status.value,
            "severity": f.severity.value,
            "accountId": f.account_id,
            "region": f.region,
            "resourceType": f.resource_type,
            "findingId": f.id,
            "controls": controls,
        },
    }
    if f.status is Status.WAIVED:
        result["suppressions"] = [_suppression(f)]
    return result


def _notification(error: Mapping[str, Any]) -> dict[str, Any]:
    """One collection error of the scan: the evidence some checks needed and did not get."""
    fields = {k: str(error.get(k) or "") for k in ("account_id", "region", "service", "operation", "error_code")}
    call = f"{fields['service']}:{fields['operation']}".strip(":") or "evidence collection"
    where = "/".join(p for p in (fields["account_id"], fields["region"]) if p) or "the scan"
    text = f"{call} failed with {fields['error_code'] or 'an error'} in {where}"
    detail = str(error.get("message") or "")
    if detail:
        text = f"{text}: {detail}"
    if len(text) > MAX_MESSAGE:
        text = f"{text[:MAX_MESSAGE]}… (truncated, {len(text)} characters)"
    properties: dict[str, Any] = {k: v for k, v in fields.items() if v}
    if error.get("resource"):
        properties["resource"] = str(error["resource"])
    return {
        "level": "error",
        "descriptor": {"id": "collection-error"},
        "message": {"text": text},
        "properties": properties,
    }


def _invocation(results: Results) -> dict[str, Any]:
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if results.scan.errors:
        invocation["toolExecutionNotifications"] = [_notification(e) for e in results.scan.errors]
    if results.scan.started_at:
        invocation["startTimeUtc"] = results.scan.started_at
    if results.scan.finished_at:
        invocation["endTimeUtc"] = results.scan.finished_at
    return invocation


def sarif_document(results: Results) -> dict[str, Any]:
    """The SARIF log as a dict."""
    meta = {str(c.get("id")): c for c in results.checks}
    sample: dict[str, Finding] = {}
    for f in results.findings:
        sample.setdefault(f.check_id, f)
    rule_ids = sorted(set(meta) | set(sample))
    rules = [_rule(cid, meta.get(cid, {}), sample.get(cid)) for cid in rule_ids]
    index = {cid: i for i, cid in enumerate(rule_ids)}
    tool = results.tool
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": str(tool.get("name", "trail-auditor")),
                        "version": str(tool.get("version", "0")),
                        "semanticVersion": str(tool.get("version", "0")),
                        "rules": rules,
                        "notifications": [COLLECTION_ERROR_DESCRIPTOR],
                    }
                },
                "automationDetails": {"id": f"trail-auditor/{results.scan.id}"},
                "originalUriBaseIds": {
                    "AWS": {"description": {"text": "AWS resources: aws/<account>/<region>/<type>/<id>"}}
                },
                "invocations": [_invocation(results)],
                "results": [_result(f, index[f.check_id]) for f in results.findings if f.status in REPORTED],
                "properties": {"scanId": results.scan.id, "snapshotSha256": results.scan.snapshot_sha256 or ""},
            }
        ],
    }


class SarifRenderer(JsonDocumentRenderer):
    """``--format sarif``."""

    name = "sarif"
    extension = ".sarif"
    default_filename = "results.sarif"
    document = staticmethod(sarif_document)

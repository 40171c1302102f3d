"""Scheduled scans on AWS Lambda: ``auditor.aws_lambda.handler``.

EventBridge invokes the function on a schedule with a JSON payload; the
handler scans, stores results in the history prefix (comparing with the last
scan), renders reports into the output bucket and, if asked, publishes an SNS
summary when new failures appear. The payload (validated, unknown keys
refused)::

    {
      "output_bucket": "acme-audit-results",       # required
      "output_prefix": "trail-auditor",             # default "trail-auditor"
      "organization": true, "role_name": "AuditRole", "external_id": null,
      "accounts": [], "regions": null,
      "logs_since": "1d", "frameworks": ["pci-dss-4.0.1", "hipaa"],
      "retention_profile": "pci", "formats": ["json", "html", "pdf"],
      "notify_sns": "arn:aws:sns:...:topic"          # optional
    }
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import jsonschema

from auditor.errors import ValidationError

PAYLOAD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["output_bucket"],
    "additionalProperties": False,
    "properties": {
        "output_bucket": {"type": "string", "minLength": 3},
        "output_prefix": {"type": "string"},
        "organization": {"type": "boolean"},
        "role_name": {"type": ["string", "null"]},
        "external_id": {"type": ["string", "null"]},
        "accounts": {"type": "array", "items": {"type": "string", "pattern": "^[0-9]{12}$"}},
        "regions": {"type": ["array", "null"], "items": {"type": "string"}},
        "logs_since": {"type": ["string", "null"]},
        "frameworks": {"type": ["array", "null"], "items": {"type": "string"}},
        "retention_profile": {"type": "string"},
        "formats": {"type": "array", "items": {"enum": ["json", "html", "pdf", "csv", "sarif", "junit", "ocsf"]}},
        "notify_sns": {"type": ["string", "null"]},
        "endpoint_url": {"type": ["string", "null"]},
    },
}


@dataclass(frozen=True)
class LambdaConfig:
    """A validated payload."""

    output_bucket: str
    output_prefix: str = "trail-auditor"
    organization: bool = False
    role_name: str | None = None
    external_id: str | None = None
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] | None = None
    logs_since: str | None = None
    frameworks: tuple[str, ...] | None = None
    retention_profile: str = "pci"
    formats: tuple[str, ...] = ("json", "html", "pdf")
    notify_sns: str | None = None
    endpoint_url: str | None = None

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> LambdaConfig:
        """Validate an EventBridge payload."""
        errors = sorted(jsonschema.Draft202012Validator(PAYLOAD_SCHEMA).iter_errors(dict(event)),
                        key=lambda e: list(e.absolute_path))
        if errors:
            raise ValidationError("lambda payload: " + "; ".join(
                f"{'.'.join(map(str, e.absolute_path)) or '(payload)'}: {e.message}" for e in errors[:5]))
        data = dict(event)
        for key in ("accounts", "regions", "frameworks", "formats"):
            if data.get(key) is not None:
                data[key] = tuple(data[key])
        return cls(**data)


def run(config: LambdaConfig) -> dict[str, Any]:
    """Scan, store, render, notify. Returns a JSON-ready summary."""
    from auditor.collect import CollectOptions
    from auditor.history import S3Store, new_failures, record
    from auditor.notify import notify_new_failures
    from auditor.pipeline import EvaluationOptions
    from auditor.report import ReportOptions, render
    from auditor.scanjob import ScanJob, run_scan_job

    job = ScanJob(
        collect=CollectOptions(regions=config.regions, organization=config.organization,
                               accounts=config.accounts, role_name=config.role_name,
                               external_id=config.external_id, endpoint_url=config.endpoint_url),
        evaluation=EvaluationOptions(frameworks=config.frameworks,
                                     retention_profile=config.retention_profile),
        logs_since=config.logs_since,
    )
    results = run_scan_job(job).results
    s3 = boto3.client("s3", endpoint_url=config.endpoint_url)
    prefix = config.output_prefix.strip("/")
    store = S3Store(s3, config.output_bucket, f"{prefix}/history")
    results, previous, location = record(store, results)
    uploaded = []
    with tempfile.TemporaryDirectory(prefix="trail-auditor-") as tmp:
        for path in render(results, list(config.formats), Path(tmp), ReportOptions()):
            key = f"{prefix}/reports/{results.scan.id}/{path.name}"
            s3.upload_file(str(path), config.output_bucket, key)
            uploaded.append(f"s3://{config.output_bucket}/{key}")
    message_id = None
    if config.notify_sns:
        sns = boto3.client("sns", endpoint_url=config.endpoint_url,
                           region_name=config.notify_sns.split(":")[3])
        message_id = notify_new_failures(sns, config.notify_sns, results)
    return {
        "scan_id": results.scan.id,
        "results": location,
        "previous": previous.scan.id if previous is not None else None,
        "reports": uploaded,
        "summary": dict(results.summary),
        "new_failures": len(new_failures(results)),
        "notified": message_id,
    }


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """AWS Lambda entry point."""
    return run(LambdaConfig.from_event(event))

"""Scheduled scans on AWS Lambda; deployed functions name it ``auditor.aws_lambda.handler`` (a re-export).

EventBridge invokes the function on a schedule; the handler scans, stores
results in the history prefix (comparing with the last scan), renders reports
into the output bucket and, if configured, publishes an SNS summary when new
failures appear.

Whoever can invoke the function can choose the event, and every call the
function makes is signed with its role's credentials. So everything that says
*where* data goes or *whose* credentials are used comes from the function's
configuration (environment variables), never from the event:

==============================  ==========================================
``TRAIL_AUDITOR_OUTPUT_BUCKET``  results bucket (required)
``TRAIL_AUDITOR_OUTPUT_PREFIX``  key prefix, default ``trail-auditor``
``TRAIL_AUDITOR_ORGANIZATION``   ``true``: scan every account of the org
``TRAIL_AUDITOR_ACCOUNTS``       comma-separated account ids to scan
``TRAIL_AUDITOR_ROLE_NAME``      role assumed in each account
``TRAIL_AUDITOR_EXTERNAL_ID``    external id for that role
``TRAIL_AUDITOR_REGIONS``        comma-separated regions (default: all)
``TRAIL_AUDITOR_NOTIFY_SNS``     topic ARN for new-failure notices
``AWS_ENDPOINT_URL``             read by botocore itself (no event override)
==============================  ==========================================

The event may only narrow the scan or choose what is computed; unknown keys
and the keys above are refused with a message naming the key::

    {"regions": ["us-east-1"],          # a subset of TRAIL_AUDITOR_REGIONS
     "accounts": ["111111111111"],      # a subset of TRAIL_AUDITOR_ACCOUNTS
     "logs_since": "1d", "frameworks": ["pci-dss-4.0.1"],
     "retention_profile": "pci", "formats": ["json", "html", "pdf"]}
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import jsonschema

from auditor.model.arn import arn_part
from auditor.model.errors import ValidationError

_REGION = "^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$"

PAYLOAD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "accounts": {"type": "array", "items": {"type": "string", "pattern": "^[0-9]{12}$"}},
        "regions": {"type": ["array", "null"], "items": {"type": "string", "pattern": _REGION}},
        "logs_since": {"type": ["string", "null"]},
        "frameworks": {"type": ["array", "null"], "items": {"type": "string"}},
        "retention_profile": {"type": "string"},
        "formats": {"type": "array", "items": {"enum": ["json", "html", "pdf", "csv", "sarif", "junit", "ocsf"]}},
    },
}

#: Event keys that once chose a destination, a role or an endpoint, and the
#: setting that now holds each (named in the refusal so the fix is obvious).
CONFIGURATION_ONLY: Mapping[str, str] = {
    "output_bucket": "TRAIL_AUDITOR_OUTPUT_BUCKET",
    "output_prefix": "TRAIL_AUDITOR_OUTPUT_PREFIX",
    "organization": "TRAIL_AUDITOR_ORGANIZATION",
    "role_name": "TRAIL_AUDITOR_ROLE_NAME",
    "external_id": "TRAIL_AUDITOR_EXTERNAL_ID",
    "notify_sns": "TRAIL_AUDITOR_NOTIFY_SNS",
    "endpoint_url": "AWS_ENDPOINT_URL",
}

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_PREFIX_SEGMENT = re.compile(r"[A-Za-z0-9!_.*'()-]{1,200}")
_ROLE_NAME = re.compile(r"[\w+=,.@/-]{1,512}")
_SNS_ARN = re.compile(r"arn:aws[a-z-]*:sns:[a-z]{2}(-[a-z]+)+-[0-9]{1,2}:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?")
_ACCOUNT = re.compile(r"[0-9]{12}")


def _list(value: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (value or "").split(",") if p.strip())


def _setting(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _checked(name: str, value: str | None, pattern: re.Pattern[str]) -> str | None:
    if value is not None and not pattern.fullmatch(value):
        raise ValidationError(f"lambda configuration: {name} is not valid: {value[:80]!r}")
    return value


def _prefix(value: str | None) -> str:
    """The key prefix, one safe segment at a time: no ``..``, no empty segment."""
    text = (value or "trail-auditor").strip("/")
    segments = text.split("/")
    if any(seg in (".", "..") or not _PREFIX_SEGMENT.fullmatch(seg) for seg in segments):
        raise ValidationError(
            f"lambda configuration: TRAIL_AUDITOR_OUTPUT_PREFIX is not a safe key prefix: {text[:80]!r}"
        )
    return text


def _subset(key: str, asked: tuple[str, ...] | None, allowed: tuple[str, ...], setting: str) -> None:
    if asked is None or not allowed:
        return
    outside = sorted(set(asked) - set(allowed))
    if outside:
        raise ValidationError(
            f"lambda payload: {key}: {', '.join(outside)} not in {setting}; the event may only narrow the scope"
        )


@dataclass(frozen=True)
class LambdaConfig:
    """The function's configuration narrowed by a validated event."""

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

    @classmethod
    def from_event(cls, event: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> LambdaConfig:
        """Validate the event against the schema, then narrow the configuration in ``environ``.

        ``environ`` defaults to :data:`os.environ` (the function's environment variables).
        """
        env = os.environ if environ is None else environ
        if not isinstance(event, Mapping):
            raise ValidationError("lambda payload: (payload): must be a JSON object")
        forbidden = sorted(k for k in event if k in CONFIGURATION_ONLY)
        if forbidden:
            raise ValidationError(
                "lambda payload: "
                + "; ".join(
                    f"{k} is set by the function's configuration ({CONFIGURATION_ONLY[k]}), not by the event"
                    for k in forbidden
                )
            )
        errors = sorted(
            jsonschema.Draft202012Validator(PAYLOAD_SCHEMA).iter_errors(dict(event)),
            key=lambda e: list(e.absolute_path),
        )
        if errors:
            raise ValidationError(
                "lambda payload: "
                + "; ".join(f"{'.'.join(map(str, e.absolute_path)) or '(payload)'}: {e.message}" for e in errors[:5])
            )
        bucket = _checked("TRAIL_AUDITOR_OUTPUT_BUCKET", _setting(env, "TRAIL_AUDITOR_OUTPUT_BUCKET"), _BUCKET)
        if bucket is None:
            raise ValidationError("lambda configuration: TRAIL_AUDITOR_OUTPUT_BUCKET is not set")
        organization = (_setting(env, "TRAIL_AUDITOR_ORGANIZATION") or "false").lower()
        if organization not in ("true", "false"):
            raise ValidationError("lambda configuration: TRAIL_AUDITOR_ORGANIZATION must be true or false")
        accounts = _list(env.get("TRAIL_AUDITOR_ACCOUNTS"))
        for account in accounts:
            _checked("TRAIL_AUDITOR_ACCOUNTS", account, _ACCOUNT)
        regions = _list(env.get("TRAIL_AUDITOR_REGIONS"))
        for region in regions:
            _checked("TRAIL_AUDITOR_REGIONS", region, re.compile(_REGION))
        asked_accounts = tuple(event["accounts"]) if "accounts" in event else None
        if asked_accounts is not None and not accounts:
            raise ValidationError(
                "lambda payload: accounts: the event may only narrow TRAIL_AUDITOR_ACCOUNTS, which is not set"
            )
        _subset("accounts", asked_accounts, accounts, "TRAIL_AUDITOR_ACCOUNTS")
        asked_regions = tuple(event["regions"]) if event.get("regions") is not None else None
        _subset("regions", asked_regions, regions, "TRAIL_AUDITOR_REGIONS")
        return cls(
            output_bucket=bucket,
            output_prefix=_prefix(_setting(env, "TRAIL_AUDITOR_OUTPUT_PREFIX")),
            organization=organization == "true",
            role_name=_checked("TRAIL_AUDITOR_ROLE_NAME", _setting(env, "TRAIL_AUDITOR_ROLE_NAME"), _ROLE_NAME),
            external_id=_setting(env, "TRAIL_AUDITOR_EXTERNAL_ID"),
            accounts=asked_accounts if asked_accounts is not None else accounts,
            regions=asked_regions if asked_regions is not None else (regions or None),
            notify_sns=_checked("TRAIL_AUDITOR_NOTIFY_SNS", _setting(env, "TRAIL_AUDITOR_NOTIFY_SNS"), _SNS_ARN),
            logs_since=event.get("logs_since"),
            frameworks=tuple(event["frameworks"]) if event.get("frameworks") is not None else None,
            retention_profile=str(event.get("retention_profile", cls.retention_profile)),
            formats=tuple(event["formats"]) if event.get("formats") is not None else cls.formats,
        )


def run(config: LambdaConfig) -> dict[str, Any]:
    """Scan, store, render, notify. Returns a JSON-ready summary."""
    from auditor.app.pipeline import EvaluationOptions
    from auditor.app.scanjob import ScanJob, run_scan_job
    from auditor.aws.collect import CollectOptions
    from auditor.gate.history import S3Store, new_failures, record
    from auditor.gate.notify import notify_new_failures
    from auditor.report import ReportOptions, render

    job = ScanJob(
        collect=CollectOptions(
            regions=config.regions,
            organization=config.organization,
            accounts=config.accounts,
            role_name=config.role_name,
            external_id=config.external_id,
        ),
        evaluation=EvaluationOptions(frameworks=config.frameworks, retention_profile=config.retention_profile),
        logs_since=config.logs_since,
    )
    results = run_scan_job(job).results
    s3 = boto3.client("s3")
    prefix = config.output_prefix
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
        sns = boto3.client("sns", region_name=arn_part(config.notify_sns, 3))
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
    """AWS Lambda entry point: the function's configuration, narrowed by ``event``."""
    return run(LambdaConfig.from_event(event))

"""No write activity in regions that were otherwise unused.

A region with no activity in the baseline period that suddenly sees write
calls (instances launched, keys created) is a classic sign of an attacker
working where nobody looks. The baseline is the window minus its last
``logs_region_detection_days`` days (default 7, at most half the window).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from auditor.checkapi import (
    Check,
    CheckContext,
    CheckMeta,
    CheckResult,
    Remediation,
    Severity,
    parse_time,
)
from auditor.logs import judge

META = CheckMeta(
    id="logs-unused-region-activity",
    title="No write activity in regions that were otherwise unused",
    severity=Severity.MEDIUM,
    section="logs",
    resource_type="AwsAccount",
    rationale=(
        "Write calls in a region with no other activity during the baseline period often mean "
        "resources created where nobody watches (crypto mining, persistence)."
    ),
    remediation=Remediation(
        summary="Confirm the activity; disable unused regions with an SCP on aws:RequestedRegion.",
    ),
    references=("MITRE ATT&CK T1535",),
    permissions=("cloudtrail:DescribeTrails", "s3:GetObject", "s3:ListBucket"),
    notes="Judged per day from the evidence's per-region daily counts; 'global' and unknown "
    "regions are ignored.",
)


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per account and region."""
    doc = judge.evidence(ctx)
    if doc is None:
        yield from judge.not_applicable(ctx)
        return
    since = parse_time(doc["window"]["since"])
    until = parse_time(doc["window"]["until"])
    days = judge.setting(ctx, "logs_region_detection_days", 7)
    detect = min(timedelta(days=days), (until - since) / 2)
    cut = (until - detect).strftime("%Y-%m-%d")
    coverage = {(c["account_id"], c["region"]): c for c in doc.get("coverage", [])}
    for account in judge.accounts_in_scope(ctx, doc):
        regions = judge.regions_of(doc, account) or [judge.GLOBAL]
        for region in regions:
            c: dict[str, Any] = coverage.get((account, region), {})
            per_day = c.get("days", {})
            baseline = sum(v[0] for d, v in per_day.items() if d < cut)
            recent_writes = sum(v[1] for d, v in per_day.items() if d >= cut)
            failing = (
                baseline == 0 and recent_writes > 0 and region not in (judge.GLOBAL, "unknown")
            )
            events = [
                e for e in c.get("first_writes", []) if str(e.get("eventTime", ""))[:10] >= cut
            ]
            ev = {
                "baseline_until": cut + "T00:00:00Z",
                "baseline_events": baseline,
                "recent_writes": recent_writes,
                "total": recent_writes if failing else 0,
                "events": events if failing else [],
            }
            msg = (
                f"{recent_writes} write call(s) since {cut} in region {region} of account "
                f"{account}, which had no activity before"
                if failing
                else f"region {region} of account {account}: no write activity in an otherwise "
                "unused region"
            )
            yield judge.verdict(ctx, doc, account, region, failing, msg, ev)
        for region in judge.unseen_regions(ctx, doc, account, regions):
            yield judge.no_files_result(ctx, doc, account, region)


CHECK = Check(META, evaluate)

"""Log delivery has no gaps.

From the log files: hours with events per account and region (and, for files
named as CloudTrail names them, the delivery stamps); a gap between the first
and last active hour longer than ``logs_gap_tolerance_hours`` (default 24:
quiet regions legitimately produce no file for hours) FAILs. From digest
validation (``Snapshot.integrity.digest_gaps``): hourly digests are
delivered even when empty, so a digest gap longer than
``logs_digest_gap_tolerance_hours`` (default 2) FAILs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import pairwise
from typing import Any

from auditor.engine import logjudge as judge
from auditor.engine.checkapi import (
    Check,
    CheckContext,
    CheckMeta,
    CheckResult,
    Remediation,
    Severity,
    parse_time,
)
from auditor.engine.logchecks import LOG_PERMISSIONS
from auditor.engine.trails import covering_trails
from auditor.model.arn import GLOBAL
from auditor.model.integrity_report import IntegrityDocument
from auditor.model.snapshot import TrailStatus

META = CheckMeta(
    id="logs-delivery-continuity",
    title="Log delivery has no gaps",
    severity=Severity.HIGH,
    section="logs",
    resource_type="AwsAccount",
    rationale=(
        "A gap in delivered logs is a period nobody can audit: logging stopped, delivery failed, or files were deleted."
    ),
    remediation=Remediation(
        summary="Find the cause of the gap (StopLogging, bucket policy, KMS key, deleted objects) "
        "and fix it; keep log file validation on so digests prove continuity.",
    ),
    references=("PCI DSS 10.7.2", "CIS AWS 3.1"),
    permissions=LOG_PERMISSIONS,
    notes="Event-hour gaps use a 24 h default tolerance (a quiet region has no events for "
    "hours); digest gaps use 2 h. The time after the last delivered file is not judged "
    "from logs alone (trail-delivery-health judges freshness).",
)


def gaps(ranges: Sequence[Sequence[str]], tolerance_h: float) -> list[dict[str, Any]]:
    """Gaps between consecutive runs of active hours longer than the tolerance."""
    out = []
    for (_, prev_end), (next_start, _) in pairwise(ranges):
        hours = (parse_time(next_start) - parse_time(prev_end)).total_seconds() / 3600 - 1
        if hours > tolerance_h:
            out.append({"start": prev_end, "end": next_start, "hours": hours})
    return out


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One result per account and region."""
    doc = judge.evidence(ctx)
    integrity = ctx.snapshot.integrity
    if doc is None and integrity is None:
        yield from judge.not_applicable(ctx)
        return
    tol = judge.setting(ctx, "logs_gap_tolerance_hours", 24)
    dtol = judge.setting(ctx, "logs_digest_gap_tolerance_hours", 2)
    digest_gaps = [g for g in (integrity.digest_gaps if integrity else ()) if g.hours > dtol]
    coverage = {(c.account_id, c.region): c for c in judge.coverage_of(doc)}
    accounts = judge.accounts_in_scope(ctx, doc)
    accounts += sorted({g.account_id for g in digest_gaps} - set(accounts))
    for account in accounts:
        regions = sorted(
            set(judge.regions_of(doc, account)) | {g.region for g in digest_gaps if g.account_id == account}
        )
        for region in regions or [GLOBAL]:
            c = coverage.get((account, region))
            event_gaps = gaps(c.event_hours if c else (), tol)
            file_gaps = gaps(c.file_hours if c else (), tol)
            dg = [g for g in digest_gaps if g.account_id == account and g.region == region]
            failing = bool(event_gaps or file_gaps or dg)
            ev = {
                "tolerance_hours": tol,
                "digest_tolerance_hours": dtol,
                "event_gaps": event_gaps,
                "file_gaps": file_gaps,
                "digest_gaps": [g.to_dict() for g in dg],
                "total": len(event_gaps) + len(file_gaps) + len(dg),
            }
            parts = []
            if event_gaps or file_gaps:
                worst = max(g["hours"] for g in [*event_gaps, *file_gaps])
                parts.append(f"{len(event_gaps) + len(file_gaps)} log gap(s), longest {worst:.0f} h")
            if dg:
                parts.append(f"{len(dg)} digest gap(s) over {dtol:g} h")
            msg = (
                f"account {account} ({region}): " + "; ".join(parts)
                if failing
                else f"account {account} ({region}): no delivery gap over {tol:g} h"
            )
            if dg and not judge.has_data(doc, account, region):
                yield ctx.result(
                    account,
                    region,
                    judge.Status.FAIL,
                    msg,
                    resource_id=f"{account}/{region}",
                    evidence=ev,
                )
                continue
            yield judge.verdict(ctx, doc, account, region, failing, msg, ev)
        for region in judge.unseen_regions(ctx, doc, account, regions):
            yield _no_files(ctx, doc, account, region, integrity)


def _covered(ctx: CheckContext, account: str, region: str) -> bool:
    """Whether a logging trail is configured to deliver this account's events for this region."""
    acc = ctx.snapshot.account(account)
    if acc is None:
        return False
    return any(
        (t.is_multi_region or t.home_region == region) and isinstance(t.status, TrailStatus) and t.status.is_logging
        for t in covering_trails(ctx.snapshot, acc)
    )


def _no_files(
    ctx: CheckContext, doc: judge.Doc, account: str, region: str, integrity: IntegrityDocument | None
) -> CheckResult:
    """A scanned region without a single log file in the window.

    If a logging trail covers it, files were expected: FAIL, unless validated
    digests (hourly even without activity, and without gaps here) prove that
    logging ran. With no covering trail, trail-multi-region reports the gap.
    """
    if judge.problems_for(doc, account, region, ctx.meta.id):
        return judge.verdict(ctx, doc, account, region, False, "", {})
    validated = {(v.account_id, v.region) for v in (integrity.validated if integrity else ())}
    if (account, region) in validated:
        return ctx.result(
            account,
            region,
            judge.Status.PASS,
            f"account {account} ({region}): no log file in the window, but validated hourly "
            "digests without gaps prove logging ran (no activity)",
            resource_id=f"{account}/{region}",
            evidence={"window": judge.window_of(doc)},
        )
    if not _covered(ctx, account, region):
        return judge.no_files_result(ctx, doc, account, region)
    return ctx.result(
        account,
        region,
        judge.Status.FAIL,
        f"account {account} ({region}): a logging trail covers this region but no log file "
        "was delivered in the whole window",
        resource_id=f"{account}/{region}",
        evidence={"window": judge.window_of(doc), "files_read": judge.files_read_of(doc), "total": 1},
    )


CHECK = Check(META, evaluate)

"""Evaluate checks against a snapshot, failing closed.

The engine, not each check, guarantees the fail-closed rules:
- an account whose credentials failed gets an ERROR result from every check;
- a check that raises becomes ERROR results (per account) carrying the error;
- a check that yields nothing at all becomes an ERROR: silence is never a pass;
- a check may not claim WAIVED (only a baseline waiver can).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence

from auditor.engine.checkapi import Check, CheckContext, CheckResult, Settings, Severity, Status
from auditor.engine.results import Finding
from auditor.model.snapshot import Snapshot

log = logging.getLogger(__name__)


def evaluate(
    snapshot: Snapshot,
    checks: Iterable[Check],
    settings: Settings | None = None,
    severity_overrides: Mapping[str, Severity] | None = None,
) -> list[Finding]:
    """Run every check on the snapshot and return all findings."""
    settings = settings or Settings()
    overrides = severity_overrides or {}
    findings: list[Finding] = []
    for check in checks:
        severity = overrides.get(check.meta.id)
        for result in run_check(snapshot, check, settings):
            findings.append(Finding.from_result(check.meta, result, severity))
    return findings


def run_check(snapshot: Snapshot, check: Check, settings: Settings) -> list[CheckResult]:
    """One check's results, with the engine's fail-closed guarantees applied."""
    meta = check.meta
    ctx = CheckContext(snapshot=snapshot, meta=meta, settings=settings)
    results: list[CheckResult] = []
    for account in snapshot.accounts:
        if account.access_error is not None:
            results.append(
                ctx.error(
                    account.access_error,
                    resource_id=account.account_id,
                    region="global",
                    account_id=account.account_id,
                    resource_type="AwsAccount",
                )
            )
    try:
        produced = list(check.evaluate(ctx))
    except Exception as exc:  # a check bug must surface as ERROR, never as silence
        log.debug("check %s raised", meta.id, exc_info=True)
        scope = [a.account_id for a in snapshot.accessible_accounts()] or ["unknown"]
        return results + [
            ctx.result(
                acc,
                "global",
                Status.ERROR,
                f"check {meta.id} failed while evaluating: {type(exc).__name__}: {exc}",
                resource_id=acc,
                resource_type="AwsAccount",
            )
            for acc in scope
        ]
    for res in produced:
        if res.status is Status.WAIVED:
            res = CheckResult(
                **{
                    **res.__dict__,
                    "status": Status.ERROR,
                    "message": f"check {meta.id} claimed WAIVED itself: {res.message}",
                }
            )
        results.append(res)
    # Silence is an ERROR whenever nothing else spoke: an accessible account went
    # unjudged, or the snapshot holds no account at all (a scan of nothing must not pass).
    if not produced and (not results or any(True for _ in snapshot.accessible_accounts())):
        results.append(
            ctx.result(
                snapshot.caller_account_id or "unknown",
                "global",
                Status.ERROR,
                f"check {meta.id} produced no result; nothing can be concluded",
                resource_id=snapshot.caller_account_id or "unknown",
                resource_type="AwsAccount",
            )
        )
    return results


def worst_failing_severity(findings: Sequence[Finding]) -> Severity | None:
    """The most severe severity among FAIL findings, if any."""
    worst: Severity | None = None
    for f in findings:
        if f.status is Status.FAIL and (worst is None or f.severity.rank > worst.rank):
            worst = f.severity
    return worst

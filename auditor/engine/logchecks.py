"""Judging logic shared by sibling logs-* checks, on top of :mod:`auditor.engine.logjudge`.

Kept apart from ``auditor.logs`` so the checks that differ only in which
slice of the evidence document they read share one implementation, while the
log-reading package stays free of per-check wording.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.engine import logjudge as judge
from auditor.engine.checkapi import CheckContext, CheckResult
from auditor.model.log_evidence import AnomalyKind


def rate_anomaly_results(ctx: CheckContext, kind: AnomalyKind, noun: str) -> Iterator[CheckResult]:
    """One result per account and region: FAIL listing the ``kind`` rate anomalies found there.

    ``kind`` selects the evidence's ``rate_anomalies`` entries (``api_call``,
    ``api_error``); ``noun`` names what rose in the message ("write API",
    "error code"). Both rate checks judge the same way, so they share this
    rather than each keeping a copy that could drift.
    """
    doc = judge.evidence(ctx)
    if doc is None:
        yield from judge.not_applicable(ctx)
        return
    found = [a for a in doc.rate_anomalies if a.kind is kind]
    for account in judge.accounts_in_scope(ctx, doc):
        regions = judge.regions_of(doc, account) or [judge.GLOBAL]
        for region in regions:
            mine = [a for a in found if a.account_id == account and a.region == region]
            ev = {"anomalies": [a.to_dict() for a in mine], "total": len(mine), "parameters": doc.parameters_dict()}
            msg = (
                f"{len(mine)} {noun}(s) rose far above their hourly baseline in account "
                f"{account} ({region}): "
                + ", ".join(f"{a.name} x{a.count} at {a.hour}" for a in mine[:5])
                if mine
                else f"no {noun} rose above its hourly baseline in account {account} ({region})"
            )
            yield judge.verdict(ctx, doc, account, region, bool(mine), msg, ev)
        for region in judge.unseen_regions(ctx, doc, account, regions):
            yield judge.no_files_result(ctx, doc, account, region)

"""Judging logic shared by sibling logs-* checks, on top of :mod:`auditor.engine.logjudge`.

Kept apart from ``auditor.logs`` so the checks that differ only in which
slice of the evidence document they read share one implementation, while the
log-reading package stays free of per-check wording.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from auditor.engine import logjudge as judge
from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Evaluator
from auditor.engine.judgement import Judgement
from auditor.engine.trails import narrowed_or_unknown, trails_may_be_missing
from auditor.model.arn import GLOBAL
from auditor.model.log_evidence import AnomalyKind, LogEvidence, LogRuleMatch

#: What every logs-* check needs: the trails (to find their buckets) and the log files.
LOG_PERMISSIONS = ("cloudtrail:DescribeTrails", "s3:GetObject", "s3:ListBucket")


def with_evidence(body: Callable[[CheckContext, LogEvidence], Iterable[CheckResult]]) -> Evaluator:
    """An evaluator that runs ``body`` on the log evidence, or is NOT_APPLICABLE where logs were not read."""

    def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
        doc = judge.evidence(ctx)
        if doc is None:
            yield from judge.not_applicable(ctx)
            return
        yield from body(ctx, doc)

    evaluate.__doc__ = body.__doc__
    return evaluate


def rules_check(meta: CheckMeta, what: str) -> Check:
    """A check that lists the events its rule (``meta.id``) matched: one result per account and region."""

    def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
        yield from judge.judge_rules(ctx, meta.id, what)

    return Check(meta, evaluate)


def narrowed_rules(
    ctx: CheckContext,
    known: bool,
    keep: Callable[[LogRuleMatch], bool],
    narrow: str,
    broad: str,
    unknown_note: str,
) -> Iterator[CheckResult]:
    """The rule's events on the trails' own resources (``keep``), or on every resource.

    With ``known`` (the trails' buckets or keys were found), events on those are
    judged (``narrow`` names them), unless a trail may be missing from the snapshot:
    then a change elsewhere could be to its resource, so it is not ignored into a
    PASS. Without ``known``, every matching event is listed (``broad``), with the note.
    """
    check_id = ctx.meta.id
    if not known:
        yield from judge.judge_rules(ctx, check_id, broad, note=unknown_note)
        return
    yield from narrowed_or_unknown(
        judge.judge_rules(ctx, check_id, narrow, keep),
        judge.judge_rules(ctx, check_id, broad),
        trails_may_be_missing(ctx.snapshot),
        broad,
    )


def rate_check(meta: CheckMeta, kind: AnomalyKind, noun: str) -> Check:
    """A check that lists the ``kind`` rate anomalies (see :func:`rate_anomaly_results`)."""

    def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
        yield from rate_anomaly_results(ctx, kind, noun)

    return Check(meta, evaluate)


def rate_anomaly_results(ctx: CheckContext, kind: AnomalyKind, noun: str) -> Iterator[CheckResult]:
    """One result per account and region: FAIL listing the ``kind`` rate anomalies found there.

    ``kind`` selects the evidence's ``rate_anomalies`` entries (``api_call``,
    ``api_error``); ``noun`` names what rose in the message ("write API",
    "error code"). Both rate checks judge the same way, so they share this
    rather than each keeping a copy that could drift.
    """

    def regions(ctx: CheckContext, doc: LogEvidence, account: str, regions: list[str]) -> Iterator[RegionJudgement]:
        found = [a for a in doc.rate_anomalies if a.kind is kind and a.account_id == account]
        for region in regions:
            mine = [a for a in found if a.region == region]
            ev = {"anomalies": [a.to_dict() for a in mine], "total": len(mine), "parameters": doc.parameters_dict()}
            passed = f"no {noun} rose above its hourly baseline in account {account} ({region})"
            failed = f"{len(mine)} {noun}(s) rose far above their hourly baseline in account {account} ({region}): "
            failed += ", ".join(f"{a.name} x{a.count} at {a.hour}" for a in mine[:5])
            yield region, Judgement.either(not mine, passed, failed, ev)

    yield from with_evidence(per_scope(regions))(ctx)


#: A logs-* check's question about one account's regions (those its evidence names, else
#: global): a judgement per region.
RegionJudgement = tuple[str, Judgement]
RegionsJudge = Callable[[CheckContext, LogEvidence, str, list[str]], Iterable[RegionJudgement]]


def scope_check(meta: CheckMeta, judge_regions: RegionsJudge) -> Check:
    """The logs-* check asking ``judge_regions`` about every account in scope (see :func:`per_scope`)."""
    return Check(meta, with_evidence(per_scope(judge_regions)))


def per_scope(judge_regions: RegionsJudge) -> Callable[[CheckContext, LogEvidence], Iterator[CheckResult]]:
    """One result per account and region of the evidence, and per scanned region it has no file for.

    A PASS or FAIL judgement is held against the scope's log reading (:func:`logjudge.verdict`:
    ERROR where nothing of the scope could be read); any other status is said as it is.
    """

    def body(ctx: CheckContext, doc: LogEvidence) -> Iterator[CheckResult]:
        for account in judge.accounts_in_scope(ctx, doc):
            regions = judge.regions_of(doc, account) or [GLOBAL]
            for region, verdict in judge_regions(ctx, doc, account, regions):
                if verdict.ok is None:
                    rid = f"{account}/{region}"
                    yield verdict.result(ctx, account, region, resource_id=rid, resource_type="AwsAccount")
                else:
                    failing = not verdict.ok
                    yield judge.verdict(ctx, doc, account, region, failing, verdict.message, verdict.evidence)
            for region in judge.unseen_regions(ctx, doc, account, regions):
                yield judge.no_files_result(ctx, doc, account, region)

    return body

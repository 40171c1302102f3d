"""Shared judging logic for the logs-* checks (pure functions of the typed evidence document).

Every logs-* check follows the same fail-closed rules:
- no evidence document: NOT_APPLICABLE per account, saying how to produce one;
- scope (account, region) comes from the snapshot's accounts when there are
  any, else from the evidence itself (``trail-auditor logs`` on files alone);
- a scope whose files could not be read at all, or that has no event in the
  window, is ERROR, never PASS; a scope where some files could not be read (or
  were read only in part) is FAIL when what was read already proves it, and
  otherwise ERROR: the unread files could hold exactly what the check looks for;
  a problem that names the checks it concerns (a failed SQL statement, which fed
  only those) counts for those checks only;
- a region the snapshot scanned but for which no log file was found gets an
  explicit NOT_APPLICABLE saying so (logs-delivery-continuity judges whether a
  file was expected there), never silence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

from auditor.engine.checkapi import CheckContext, CheckResult, Status
from auditor.engine.judgement import Judgement
from auditor.model.arn import GLOBAL
from auditor.model.log_evidence import (
    LogCoverage,
    LogEvent,
    LogEvidence,
    LogFileProblem,
    LogRuleMatch,
    ProblemKind,
)
from auditor.model.snapshot import KeyMetadata

__all__ = ["Status"]

NO_EVIDENCE = "log files were not read: run with --logs-since or `trail-auditor logs`"
#: The evidence document; None where a check judges other evidence alone
#: (logs-delivery-continuity on digest gaps): no coverage, no file problem.
Doc = LogEvidence | None


class HasEvents(Protocol):
    """An evidence entry with sample events."""

    @property
    def events(self) -> Sequence[LogEvent]:
        """The entry's sample events."""
        ...


def evidence(ctx: CheckContext) -> LogEvidence | None:
    """The evidence document, if logs were read."""
    return ctx.snapshot.log_evidence


def coverage_of(doc: Doc) -> Sequence[LogCoverage]:
    """The document's coverage entries (none without a document)."""
    return () if doc is None else doc.coverage


def _file_problems(doc: Doc) -> Sequence[LogFileProblem]:
    return () if doc is None else doc.file_problems


def window_of(doc: Doc) -> dict[str, Any] | None:
    """The window as JSON, for evidence (None without a document)."""
    return None if doc is None else doc.window.to_dict()


def files_read_of(doc: Doc) -> int | None:
    """Files read, for evidence (None without a document)."""
    return None if doc is None else doc.files_read


def not_applicable(ctx: CheckContext, message: str = NO_EVIDENCE) -> Iterator[CheckResult]:
    """NOT_APPLICABLE per account (or once) when no log evidence exists (``message`` says which)."""
    accounts = [a.account_id for a in ctx.accounts()] or [ctx.snapshot.caller_account_id or "unknown"]
    for acc in accounts:
        yield ctx.result(
            acc,
            GLOBAL,
            Status.NOT_APPLICABLE,
            message,
            resource_id=acc,
            resource_type="AwsAccount",
        )


def accounts_in_scope(ctx: CheckContext, doc: Doc) -> list[str]:
    """Snapshot accounts, else every account the evidence names."""
    accs = [a.account_id for a in ctx.accounts()]
    if accs:
        return accs
    # Scope comes from the events; a file name's account alone (coverage with file hours but
    # no event) does not create a scope: CloudTrail names files for the delivering account.
    seen = {c.account_id for c in coverage_of(doc) if c.events > 0}
    seen |= {p.account for p in _file_problems(doc) if p.account}
    return sorted(seen) or ["unknown"]


def regions_of(doc: Doc, account: str) -> list[str]:
    """Regions with events or file problems for one account."""
    regs = {c.region for c in coverage_of(doc) if c.account_id == account and c.events > 0}
    regs |= {p.where for p in _file_problems(doc) if p.account == account and p.where}
    return sorted(regs)


def scanned_regions(ctx: CheckContext, account: str) -> list[str]:
    """The regions the snapshot scanned for this account (none when logs are judged alone)."""
    acc = ctx.snapshot.account(account)
    return [r.region for r in acc.regions] if acc is not None and acc.access_error is None else []


def unseen_regions(ctx: CheckContext, doc: Doc, account: str, judged: Iterable[str]) -> list[str]:
    """Scanned regions of an account that no result has judged yet.

    Empty when the account has no event at all: its account-level ERROR then
    says that nothing can be concluded, for every region.
    """
    if not has_data(doc, account):
        return []
    done = set(judged)
    return [r for r in scanned_regions(ctx, account) if r not in done]


def no_files_result(ctx: CheckContext, doc: Doc, account: str, region: str) -> CheckResult:
    """A scanned region without any log file: ERROR if files failed to read, else NOT_APPLICABLE."""
    if problems_for(doc, account, region, ctx.meta.id):
        return verdict(ctx, doc, account, region, False, "", {})
    return ctx.result(
        account,
        region,
        Status.NOT_APPLICABLE,
        f"no log file of account {account} was found for {region} in the window: nothing to judge here "
        "(logs-delivery-continuity judges whether one was expected)",
        resource_id=f"{account}/{region}",
        resource_type="AwsAccount",
        evidence={"window": window_of(doc), "files_read": files_read_of(doc)},
    )


def lossy(problems: Sequence[LogFileProblem]) -> list[LogFileProblem]:
    """Problems through which events may have been lost (unreadable or partly read files)."""
    return [p for p in problems if p.lossy]


def problems_for(
    doc: Doc, account: str, region: str | None = None, check_id: str | None = None
) -> list[LogFileProblem]:
    """File problems that concern a scope (problems of unknown scope concern every scope).

    With ``check_id``, a problem that names the checks it concerns (a failed SQL statement
    names the checks it fed) is left out of the others' judgement; a problem naming no
    check concerns every check.
    """
    out = []
    for p in _file_problems(doc):
        if p.kind is ProblemKind.NORMALISED or not p.concerns(check_id):
            continue
        acc = p.account
        reg = p.where
        if acc is None or (acc == account and (region is None or region == GLOBAL or reg in (None, region))):
            out.append(p)
    return out


def has_data(doc: Doc, account: str, region: str | None = None) -> bool:
    """Whether any event of this scope was read."""
    return any(
        c.account_id == account and (region in (None, GLOBAL) or c.region == region) and c.events > 0
        for c in coverage_of(doc)
    )


def _note(problems: Sequence[LogFileProblem]) -> str:
    if not problems:
        return ""
    n = len({p.path for p in problems})
    return f"; {n} log file(s) could not be fully read (see evidence.file_problems)"


def _problem_evidence(problems: Sequence[LogFileProblem]) -> list[dict[str, Any]]:
    return [p.to_dict() for p in problems[:50]]


def verdict(
    ctx: CheckContext,
    doc: Doc,
    account: str,
    region: str,
    failing: bool,
    message: str,
    evidence_: Mapping[str, Any],
    resource_id: str | None = None,
    resource_type: str | None = None,
) -> CheckResult:
    """PASS/FAIL for one scope, or ERROR when that scope's logs could not be read at all."""
    problems = problems_for(doc, account, region, ctx.meta.id)
    ev: dict[str, Any] = {
        **evidence_,
        "window": window_of(doc),
        "files_read": files_read_of(doc),
        "events_read": None if doc is None else doc.events_read,
        # what was not judged, said in the result itself: events stamped outside the window
        # and records that could not be read as events (their files are in file_problems)
        "events_outside_window": 0 if doc is None else doc.outside_window,
        "events_malformed": 0 if doc is None else doc.malformed,
    }
    if problems:
        ev["file_problems"] = _problem_evidence(problems)
    rid = resource_id or f"{account}/{region}"
    rtype = resource_type or "AwsAccount"
    judgement: Judgement
    if not failing and not has_data(doc, account, region):
        why = "no log file could be read" if problems else "no log event was found in the window"
        judgement = Judgement(Status.ERROR, f"{why} for account {account} ({region}): nothing can be concluded", ev)
    elif not failing and lossy(problems):
        n = len({p.path for p in lossy(problems)})
        judgement = Judgement(
            Status.ERROR,
            f"{message}, but {n} log file(s) of this scope could not be (fully) read and could hold "
            "exactly what this check looks for: not assessed",
            ev,
        )
    else:
        judgement = Judgement(Status.FAIL if failing else Status.PASS, message, ev)
    judgement = replace(judgement, message=judgement.message + _note(problems))
    return judgement.result(ctx, account, region, resource_id=rid, resource_type=rtype)


def rule_matches(
    doc: LogEvidence, check_id: str, keep: Callable[[LogRuleMatch], bool] | None = None
) -> list[LogRuleMatch]:
    """The evidence's rule entries for one check (optionally filtered, e.g. by resource)."""
    return [r for r in doc.rules if r.check_id == check_id and (keep is None or keep(r))]


def earliest(events: Iterable[LogEvent], limit: int = 50) -> list[dict[str, Any]]:
    """The earliest events, as JSON for evidence."""
    ordered = sorted(events, key=lambda e: (str(e.eventTime or ""), str(e.eventID or "")))
    return [e.to_dict() for e in ordered[:limit]]


def merge_events(entries: Iterable[HasEvents], limit: int = 50) -> list[dict[str, Any]]:
    """The earliest events across entries, as JSON for evidence."""
    return earliest((e for r in entries for e in r.events), limit)


def judge_rules(
    ctx: CheckContext,
    check_id: str,
    what: str,
    keep: Callable[[LogRuleMatch], bool] | None = None,
    note: str = "",
) -> Iterator[CheckResult]:
    """One result per account and region: FAIL with the matched events, PASS when none."""
    doc = evidence(ctx)
    if doc is None:
        yield from not_applicable(ctx)
        return
    matches = rule_matches(doc, check_id, keep)
    for account in accounts_in_scope(ctx, doc):
        regions = sorted(set(regions_of(doc, account)) | {r.region for r in matches if r.account_id == account})
        if not regions:
            yield verdict(ctx, doc, account, GLOBAL, False, "", {})
            continue
        for region in regions:
            mine = [r for r in matches if r.account_id == account and r.region == region]
            total = sum(r.total for r in mine)
            ev: dict[str, Any] = {
                "total": total,
                "events": merge_events(mine),
                "rules": sorted({r.rule_id for r in mine}),
            }
            resources = sorted({r.resource for r in mine if isinstance(r.resource, str) and r.resource})
            if resources:
                ev["resources"] = resources
            if note:
                ev["note"] = note
            msg = (
                f"{total} {what} in account {account} ({region})"
                if total
                else f"no {what} in account {account} ({region})"
            )
            if note:
                msg += f" ({note})"
            yield verdict(ctx, doc, account, region, total > 0, msg, ev)
        for region in unseen_regions(ctx, doc, account, regions):
            yield no_files_result(ctx, doc, account, region)


def trail_buckets(ctx: CheckContext) -> set[str]:
    """Destination buckets of every trail in the snapshot."""
    return {t.s3_bucket_name for a in ctx.snapshot.accounts for t in a.trails if t.s3_bucket_name}


def trail_keys(ctx: CheckContext) -> set[str]:
    """Every way the snapshot's trail keys can be named (ARN, id)."""
    out: set[str] = set()
    for a in ctx.snapshot.accounts:
        for t in a.trails:
            if t.kms_key_id:
                out.add(t.kms_key_id)
                out.add(t.kms_key_id.rsplit("/", 1)[-1])
                key = ctx.snapshot.key(t.kms_key_id)
                if key is not None and isinstance(key.metadata, KeyMetadata):
                    out.add(key.metadata.arn)
                    out.add(key.metadata.key_id)
    return out


def setting(ctx: CheckContext, name: str, default: float) -> float:
    """A numeric setting from Settings.extra (baseline-configurable thresholds)."""
    v = ctx.settings.extra.get(name, default)
    return float(v) if isinstance(v, int | float) else default

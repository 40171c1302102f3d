"""No write activity in regions that were otherwise unused.

A region with no activity in the baseline period that suddenly sees write
calls (instances launched, keys created) is a classic sign of an attacker
working where nobody looks. The baseline is the window minus its last
``logs_region_detection_days`` days (default 7, at most half the window),
cut at a whole hour.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from auditor.engine import logjudge as judge
from auditor.engine.checkapi import CheckContext, CheckMeta, Remediation, Severity, Status, parse_time
from auditor.engine.judgement import Judgement
from auditor.engine.logchecks import LOG_PERMISSIONS, RegionJudgement, scope_check
from auditor.model.arn import GLOBAL
from auditor.model.log_evidence import LogCoverage, LogEvent, LogEvidence
from auditor.model.timefmt import hour_stamp

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
    permissions=LOG_PERMISSIONS,
    notes="Judged by the hour from the evidence's per-region event hours; 'global' and unknown "
    "regions are ignored; an account without any event in the baseline is NOT_APPLICABLE.",
)


def _hours_before(coverage: LogCoverage | None, cut: datetime) -> int:
    """Hours before ``cut`` (a whole hour) in which this scope had events.

    Counted from the [first, last] ranges by arithmetic, not by listing the
    hours: a loaded snapshot's ranges may span millennia.
    """
    n = 0
    for first, last in coverage.event_hours if coverage is not None else ():
        start = parse_time(first)
        end = min(parse_time(last), cut - timedelta(hours=1))
        if end >= start:
            n += int((end - start).total_seconds() // 3600) + 1
    return n


def _since(sample: LogEvent, cut: datetime) -> bool:
    """Whether a sample's eventTime is a time at or after the cut.

    A sample without a readable time (null or not a time in a document another
    tool wrote) proves no write since the cut; compared as text, ``None`` and
    ``not-a-date`` sorted after every year and were listed as recent writes.
    """
    if not isinstance(sample.eventTime, str):
        return False
    try:
        return parse_time(sample.eventTime) >= cut
    except ValueError:
        return False


def _judge(ctx: CheckContext, doc: LogEvidence, account: str, regions: list[str]) -> Iterator[RegionJudgement]:
    """One judgement per region of the account.

    The baseline is judged by the hour, from the coverage's event hours: a
    window that does not start at midnight (the nightly job's 02:00 to 02:00)
    still has its first hours as baseline. A baseline in which the account
    has no event at all (too short a window, or logs that start at the cut)
    is NOT_APPLICABLE: an empty baseline is then no evidence that a region
    was unused.
    """
    since = parse_time(doc.window.since)
    until = parse_time(doc.window.until)
    days = judge.setting(ctx, "logs_region_detection_days", 7)
    detect = min(timedelta(days=days), (until - since) / 2)
    cut_at = (until - detect).replace(minute=0, second=0, microsecond=0)
    cut = hour_stamp(cut_at)
    cut_day = cut[:10]
    coverage = {c.region: c for c in doc.coverage if c.account_id == account}
    account_baseline = sum(_hours_before(c, cut_at) for c in coverage.values())
    for region in regions:
        c = coverage.get(region)
        baseline = _hours_before(c, cut_at)
        # with no event before the cut, every write of the scope is recent
        if c is None:
            recent_writes = 0
        elif baseline == 0:
            recent_writes = c.write_count
        else:
            recent_writes = sum(v[1] for d, v in c.days.items() if d >= cut_day)
        judged = region not in (GLOBAL, "unknown")
        failing = baseline == 0 and recent_writes > 0 and judged and account_baseline > 0
        first_writes = c.first_write_samples if c is not None else ()
        events = [e.to_dict() for e in first_writes if _since(e, cut_at)]
        ev = {
            "baseline_since": doc.window.since,
            "baseline_until": cut,
            "baseline_hours_with_events": baseline,
            "account_baseline_hours_with_events": account_baseline,
            "recent_writes": recent_writes,
            "total": recent_writes if failing else 0,
            "events": events if failing else [],
        }
        if judged and baseline == 0 and recent_writes > 0 and account_baseline == 0:
            yield (
                region,
                Judgement(
                    Status.NOT_APPLICABLE,
                    f"region {region} of account {account}: no baseline, the account has no log event "
                    f"between {doc.window.since} and {cut} (the window is too short or the logs "
                    "start at the cut): whether the region was unused cannot be judged",
                    {**ev, "window": doc.window.to_dict(), "files_read": doc.files_read},
                ),
            )
            continue
        passed = f"region {region} of account {account}: no write activity in an otherwise unused region"
        failed = f"{recent_writes} write call(s) since {cut} in region {region} of account {account}"
        failed += ", which had no activity before"
        yield region, Judgement.either(not failing, passed, failed, ev)


CHECK = scope_check(META, _judge)

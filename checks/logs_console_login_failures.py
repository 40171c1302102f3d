"""Failed console logins stay below the threshold.

A burst of failed sign-ins for one user, or from one source IP, is password
guessing. Counted per minute in the evidence and judged here over a sliding
window (default 5 failures in 15 minutes, settings
``logs_login_failures_threshold`` and ``logs_login_failures_window_minutes``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from auditor.engine import logjudge as judge
from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Remediation, Severity
from auditor.engine.logchecks import LOG_PERMISSIONS, with_evidence
from auditor.model.arn import GLOBAL
from auditor.model.log_evidence import LogEvidence

META = CheckMeta(
    id="logs-console-login-failures",
    title="Failed console logins stay below the threshold",
    severity=Severity.MEDIUM,
    section="logs",
    resource_type="AwsAccount",
    rationale=(
        "Repeated failed console authentication for one user or from one address is a brute "
        "force or credential stuffing attempt (CIS 4.6)."
    ),
    remediation=Remediation(
        summary="Investigate the source; enforce MFA and a strong password policy; block the address if hostile.",
    ),
    references=("CIS AWS 4.6", "PCI DSS 8.3.4"),
    permissions=LOG_PERMISSIONS,
    notes="Failures are ConsoleLogin events with responseElements.ConsoleLogin=Failure or "
    "errorMessage 'Failed authentication'; windows slide by minute.",
)


def peak(minutes: Mapping[str, int], window: int) -> tuple[int, str | None]:
    """The largest count within any ``window``-minute span, and where it starts."""
    stamps = sorted((datetime.strptime(m, "%Y-%m-%dT%H:%M"), c) for m, c in minutes.items())
    best, start = 0, None
    lo, running = 0, 0
    for hi, (t, c) in enumerate(stamps):
        running += c
        while stamps[lo][0] <= t - timedelta(minutes=window):
            running -= stamps[lo][1]
            lo += 1
        if running > best:
            best, start = running, stamps[lo][0].strftime("%Y-%m-%dT%H:%M:00Z")
        del hi
    return best, start


def evaluate(ctx: CheckContext, doc: LogEvidence) -> Iterator[CheckResult]:
    """One result per account: FAIL listing the users and addresses over the threshold."""
    threshold = int(judge.setting(ctx, "logs_login_failures_threshold", 5))
    window = int(judge.setting(ctx, "logs_login_failures_window_minutes", 15))
    entries = doc.console_login_failures
    for account in judge.accounts_in_scope(ctx, doc):
        over: list[dict[str, Any]] = []
        offenders = []
        for e in entries:
            if e.account_id != account:
                continue
            n, start = peak(e.minutes, window)
            if n >= threshold:
                offenders.append(e)
                over.append(
                    {
                        "key_type": e.key_type,
                        "key": e.key,
                        "failures": n,
                        "window_start": start,
                        "total": sum(e.minutes.values()),
                        "events": [x.to_dict() for x in e.events],
                    }
                )
        total = sum(o["failures"] for o in over)
        events = judge.merge_events(offenders)
        ev = {
            "threshold": threshold,
            "window_minutes": window,
            "offenders": over,
            "total": total,
            "events": events,
        }
        msg = (
            f"{len(over)} user(s)/address(es) reached {threshold} failed console logins in "
            f"{window} minutes in account {account}"
            if over
            else f"no user or address reached {threshold} failed console logins in {window} "
            f"minutes in account {account}"
        )
        yield judge.verdict(ctx, doc, account, GLOBAL, bool(over), msg, ev)


CHECK = Check(META, with_evidence(evaluate))

"""The CI gate: apply a baseline (overrides, waivers, required checks) and diff with a previous scan.

Waivers only ever turn a FAIL into WAIVED; ERROR stays ERROR (missing
evidence cannot be waived away). Waivers already in the input (a results file
from ``scan --baseline``) are not trusted: every WAIVED finding is first put
back to the status its waiver replaced (``waived_status``; FAIL when that is
missing or unusable, failing closed), and only the baseline given to the gate
can waive it again. An expired waiver no longer applies and is
reported; a waiver that matches no failing finding is reported as stale. With
a previous results document the gate classifies failures as new, resolved or
still failing, and calls out regressions (PASS became FAIL).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from auditor.engine.checkapi import Status
from auditor.engine.results import Finding, Results, finding_id, summarise
from auditor.gate.baseline import Baseline, Waiver
from auditor.mapping.frameworks import recompute_verdicts


@dataclass(frozen=True)
class Drift:
    """Failures compared with the previous scan (by stable finding id)."""

    new: tuple[Finding, ...] = ()
    resolved: tuple[Finding, ...] = ()
    still_failing: tuple[Finding, ...] = ()
    regressions: tuple[Finding, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Ids per class, for JSON output and history."""
        return {k: [f.id for f in getattr(self, k)] for k in ("new", "resolved", "still_failing", "regressions")}


@dataclass(frozen=True)
class GateOutcome:
    """The gated results and everything the gate has to say about them."""

    results: Results
    baseline: Baseline
    applied_waivers: tuple[tuple[Waiver, str], ...] = ()
    expired_waivers: tuple[Waiver, ...] = ()
    stale_waivers: tuple[Waiver, ...] = ()
    missing_checks: tuple[str, ...] = ()
    missing_frameworks: tuple[str, ...] = ()
    drift: Drift | None = None


def waiver_matches(w: Waiver, f: Finding) -> bool:
    """Check id equal; account, region and resource (ARN or id) match their globs."""
    if w.check != f.check_id:
        return False
    if w.account not in ("*", f.account_id):
        return False
    if not fnmatch.fnmatchcase(f.region, w.region):
        return False
    targets = [t for t in (f.resource_arn, f.resource_id) if t]
    return any(fnmatch.fnmatchcase(t, w.resource) for t in targets)


def unwaived(f: Finding) -> Finding:
    """The finding as it was before any earlier waiver: WAIVED goes back to the status it replaced.

    A waiver only ever replaces FAIL, so a recorded status other than FAIL or
    ERROR (or none, as in results written before ``waived_status`` existed,
    or shaped by hand) is not believed: the finding is judged as FAIL with its
    severity. An earlier waiver cannot outlive the baseline the gate is given.
    """
    if f.status is not Status.WAIVED:
        return f
    before = f.waived_status if f.waived_status in (Status.FAIL, Status.ERROR) else Status.FAIL
    return replace(f, status=before, waiver=None, waived_status=None)


def apply_baseline(
    results: Results, baseline: Baseline, *, today: date, previous: Results | None = None
) -> GateOutcome:
    """Apply overrides and waivers, add required-but-missing checks, diff with previous."""
    active = [w for w in baseline.waivers if w.expires >= today]
    expired = tuple(w for w in baseline.waivers if w.expires < today)
    used: set[int] = set()
    applied: list[tuple[Waiver, str]] = []
    findings: list[Finding] = []
    for f in results.findings:
        f = unwaived(f)
        sev = baseline.severity_overrides.get(f.check_id, f.severity)
        f = replace(f, severity=sev)
        if f.status is Status.FAIL:
            for i, w in enumerate(active):
                if waiver_matches(w, f):
                    used.add(i)
                    applied.append((w, f.id))
                    f = replace(f, status=Status.WAIVED, waiver=w.to_dict(), waived_status=Status.FAIL)
                    break
        findings.append(f)
    stale = tuple(w for i, w in enumerate(active) if i not in used)
    ran = {f.check_id for f in findings}
    missing_checks = tuple(c for c in baseline.checks if c not in ran)
    for check_id in missing_checks:
        findings.append(
            Finding(
                id=finding_id(check_id, "baseline", "global", check_id),
                check_id=check_id,
                title=f"required check {check_id}",
                status=Status.ERROR,
                severity=baseline.severity_overrides.get(check_id, baseline.fail_on),
                account_id="baseline",
                region="global",
                resource_type="Baseline",
                resource_id=check_id,
                message=f"the baseline {baseline.path} requires check {check_id}, which did not run",
            )
        )
    present = {fw.id for fw in results.frameworks}
    missing_frameworks = tuple(fw for fw in baseline.frameworks if fw not in present)
    verdicts = recompute_verdicts(findings, results.frameworks)
    gated = replace(results, findings=tuple(findings), frameworks=tuple(verdicts), summary=summarise(findings))
    drift = diff(previous, gated) if previous is not None else None
    return GateOutcome(
        results=gated,
        baseline=baseline,
        applied_waivers=tuple(applied),
        expired_waivers=expired,
        stale_waivers=stale,
        missing_checks=missing_checks,
        missing_frameworks=missing_frameworks,
        drift=drift,
    )


def diff(previous: Results, current: Results) -> Drift:
    """Classify failures against a previous scan, keyed by stable finding ids."""
    before = {f.id: f for f in previous.findings}
    now = {f.id: f for f in current.findings}
    new, still, regressions = [], [], []
    for fid, f in now.items():
        if f.status is not Status.FAIL:
            continue
        old = before.get(fid)
        if old is not None and old.status is Status.FAIL:
            still.append(f)
        else:
            new.append(f)
            if old is not None and old.status is Status.PASS:
                regressions.append(f)
    resolved = [
        f
        for fid, f in before.items()
        if f.status is Status.FAIL and (fid not in now or now[fid].status is not Status.FAIL)
    ]
    return Drift(new=tuple(new), resolved=tuple(resolved), still_failing=tuple(still), regressions=tuple(regressions))


def _finding_table(title: str, findings: Sequence[Finding], limit: int = 30) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for col in ("check", "severity", "account", "region", "resource", "message"):
        table.add_column(col, overflow="fold")
    for f in findings[:limit]:
        table.add_row(
            Text(f.check_id),
            f.severity.value,
            Text(f.account_id),
            Text(f.region),
            Text(f.resource_arn or f.resource_id),
            Text(f.message[:160]),
        )
    if len(findings) > limit:
        table.add_row("...", "", "", "", f"{len(findings) - limit} more", "")
    return table


def print_gate(console: Console, outcome: GateOutcome, fail_on: Any = None) -> None:
    """Why the gate passed or failed, compactly."""
    threshold = fail_on or outcome.baseline.fail_on
    failing = [f for f in outcome.results.findings if f.status is Status.FAIL and f.severity.rank >= threshold.rank]
    errors = [f for f in outcome.results.findings if f.status is Status.ERROR]
    if failing:
        console.print(_finding_table(f"Failing at or above {threshold.value}", failing))
    if errors:
        console.print(_finding_table("Not assessed (ERROR)", errors))
    for w, fid in outcome.applied_waivers:
        console.print(Text(f"waived: {w.check} on {fid} until {w.expires} ({w.owner}): {w.reason}"))
    for w in outcome.expired_waivers:
        console.print(
            Text(
                f"expired waiver (no longer applies): {w.check} {w.resource} "
                f"expired {w.expires}, owner {w.owner} [{w.origin}]"
            ),
            style="yellow",
        )
    for w in outcome.stale_waivers:
        console.print(
            Text(f"stale waiver (matches no failing finding): {w.check} {w.resource} [{w.origin}]"), style="yellow"
        )
    for c in outcome.missing_checks:
        console.print(Text(f"required check did not run: {c}"), style="yellow")
    for fw in outcome.missing_frameworks:
        console.print(Text(f"required framework not in the results: {fw}"), style="yellow")
    if outcome.drift is not None:
        d = outcome.drift
        console.print(
            f"since the previous scan: {len(d.new)} new, {len(d.resolved)} resolved, "
            f"{len(d.still_failing)} still failing, {len(d.regressions)} regressions"
        )
        if d.regressions:
            console.print(_finding_table("Regressions (PASS became FAIL)", d.regressions))
    verdict = "FAILED" if failing else ("INCOMPLETE" if errors else "PASSED")
    console.print(
        f"gate {verdict}: {len(failing)} failing, {len(errors)} not assessed, {len(outcome.applied_waivers)} waived"
    )

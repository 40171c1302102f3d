"""The engine's fail-closed guarantees, independent of any built-in check."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Remediation, Severity, Status
from auditor.engine.runner import evaluate, run_check, worst_failing_severity
from auditor.model.snapshot import AccountSnapshot, CollectionError
from tests.builders import ACCOUNT, sound_snapshot

META = CheckMeta(
    id="test-check",
    title="t",
    severity=Severity.HIGH,
    section="trail",
    resource_type="AwsAccount",
    rationale="r",
    remediation=Remediation(summary="s"),
)


def _per_account(status: Status) -> Check:
    def evaluate_(ctx: CheckContext) -> Iterator[CheckResult]:
        for acc in ctx.accounts():
            yield ctx.result(acc.account_id, "global", status, "judged", resource_id=acc.account_id)

    return Check(META, evaluate_)


def test_inaccessible_account_gets_error_from_every_check() -> None:
    denied = CollectionError("222222222222", "global", "sts", "AssumeRole", "AccessDenied", "no")
    snap = replace(
        sound_snapshot(), accounts=(*sound_snapshot().accounts, AccountSnapshot("222222222222", access_error=denied))
    )
    results = run_check(snap, _per_account(Status.PASS), snap_settings())
    by_account = {r.account_id: r.status for r in results}
    assert by_account == {ACCOUNT: Status.PASS, "222222222222": Status.ERROR}
    err = next(r for r in results if r.account_id == "222222222222")
    assert "AssumeRole" in err.message and "AccessDenied" in err.message


def test_check_that_raises_becomes_error_not_silence() -> None:
    def boom(ctx: CheckContext) -> Iterator[CheckResult]:
        raise KeyError("surprise")
        yield  # pragma: no cover

    results = run_check(sound_snapshot(), Check(META, boom), snap_settings())
    assert [r.status for r in results] == [Status.ERROR]
    assert "KeyError" in results[0].message


def test_check_that_yields_nothing_is_an_error() -> None:
    results = run_check(sound_snapshot(), Check(META, lambda ctx: iter(())), snap_settings())
    assert [r.status for r in results] == [Status.ERROR]
    assert "produced no result" in results[0].message


def test_check_cannot_waive_itself() -> None:
    results = run_check(sound_snapshot(), _per_account(Status.WAIVED), snap_settings())
    assert [r.status for r in results] == [Status.ERROR]


def test_severity_override_and_worst_failing() -> None:
    findings = evaluate(sound_snapshot(), [_per_account(Status.FAIL)], severity_overrides={"test-check": Severity.LOW})
    assert findings[0].severity is Severity.LOW
    assert worst_failing_severity(findings) is Severity.LOW
    assert findings[0].id == evaluate(sound_snapshot(), [_per_account(Status.FAIL)])[0].id


def snap_settings():  # type: ignore[no-untyped-def]
    from auditor.engine.checkapi import Settings

    return Settings()

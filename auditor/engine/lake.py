"""Shared reasoning of the lake-* checks: CloudTrail Lake event data stores.

An event data store is judged in its home region, once per account (a store
listed in several regions is one store). Every gap in the evidence is ERROR:
a region whose stores could not be listed, a store whose GetEventDataStore
failed, a snapshot taken before stores were collected. An account with no
store at all (and nothing unreadable) is NOT_APPLICABLE: CloudTrail Lake is
optional, and AWS closed it to new customers in 2026.

:func:`lake_recorders` answers the trail-* checks' question "does Lake record
this account anyway?", so that an account without a logging trail whose
organisation records through an event data store is described as such.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from auditor.engine.checkapi import (
    Check,
    CheckContext,
    CheckMeta,
    CheckResult,
    Remediation,
    Severity,
    Status,
)
from auditor.engine.judgement import Judgement, Subject
from auditor.model.snapshot import (
    AccountSnapshot,
    CollectionError,
    EventDataStore,
    EventDataStoreConfig,
    Organization,
    Snapshot,
)

RESOURCE_TYPE = "AwsCloudTrailEventDataStore"
GLOBAL = "global"

#: What every lake-* check reads.
PERMISSIONS = ("cloudtrail:ListEventDataStores", "cloudtrail:GetEventDataStore")

Judge = Callable[[AccountSnapshot, EventDataStore, EventDataStoreConfig], CheckResult]
#: A lake-* check's question about one store: its judgement, or the evidence that is missing.
StoreJudge = Callable[
    [CheckContext, AccountSnapshot, EventDataStore, EventDataStoreConfig], Judgement | CollectionError
]


def lake_meta(
    *,
    id: str,
    title: str,
    severity: Severity,
    rationale: str,
    remediation: Remediation,
    references: tuple[str, ...],
    notes: str,
    permissions: tuple[str, ...] = (),
) -> CheckMeta:
    """A lake-* check's metadata: section trail, one result per store, the store reads plus ``permissions``."""
    return CheckMeta(
        id=id,
        title=title,
        severity=severity,
        section="trail",
        resource_type=RESOURCE_TYPE,
        rationale=rationale,
        remediation=remediation,
        references=references,
        permissions=(*PERMISSIONS, *permissions),
        notes=notes,
    )


def store_remediation(
    summary: str, url: str, *, option: str = "", setting: str, align: bool = False, cli: str = ""
) -> Remediation:
    """The fix of one store setting: ``update-event-data-store <option>`` and its Terraform ``setting`` line.

    ``cli`` replaces the update command when the fix is another call. ``align`` lines the
    Terraform ``name`` up with a ``key = value`` setting, as terraform fmt does.
    """
    width = len(setting.split(" = ")[0]) if align else 4
    return Remediation(
        summary=summary,
        cli=cli or f"aws cloudtrail update-event-data-store --event-data-store <arn> {option}",
        terraform=(
            'resource "aws_cloudtrail_event_data_store" "main" {\n'
            f'  {"name".ljust(width)} = "org-events"\n'
            f"  {setting}\n"
            "}"
        ),
        url=url,
    )


def lake_check(meta: CheckMeta, judge: StoreJudge) -> Check:
    """The check asking ``judge`` about every event data store (see :func:`per_event_data_store`)."""

    def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
        """One result per event data store; NOT_APPLICABLE for an account without one."""

        def one(account: AccountSnapshot, store: EventDataStore, cfg: EventDataStoreConfig) -> CheckResult:
            return store_subject(account, store).result(ctx, judge(ctx, account, store, cfg))

        yield from per_event_data_store(ctx, one)

    return Check(meta, evaluate)


def flag_check(meta: CheckMeta, flag: Callable[[EventDataStoreConfig], bool], key: str, on: str, off: str) -> Check:
    """The lake-* check that a store's yes/no setting ``flag`` is on.

    PASS saying ``on``, else FAIL saying ``off`` (where ``{region}`` is the store's home
    region); the evidence holds the setting under ``key``.
    """

    def judge(
        ctx: CheckContext, account: AccountSnapshot, store: EventDataStore, cfg: EventDataStoreConfig
    ) -> Judgement:
        ok = bool(flag(cfg))
        return Judgement.either(ok, on, off.format(region=store.region), {key: ok})

    return lake_check(meta, judge)


def account_stores(account: AccountSnapshot) -> tuple[list[EventDataStore], list[tuple[str, CollectionError]], bool]:
    """The stores the account owns (deduplicated by ARN), the regions whose listing failed, and
    whether some region was scanned without collecting stores (an older snapshot)."""
    stores: dict[str, EventDataStore] = {}
    failed: list[tuple[str, CollectionError]] = []
    uncollected = False
    for reg in account.regions:
        listed = reg.event_data_stores
        if isinstance(listed, CollectionError):
            failed.append((reg.region, listed))
        elif listed is None:
            uncollected = True
        else:
            for store in listed:
                if store.owner_account_id in ("", account.account_id):  # another account's store is judged there
                    stores.setdefault(store.arn, store)
    return [stores[a] for a in sorted(stores)], failed, uncollected


def store_subject(account: AccountSnapshot, store: EventDataStore) -> Subject:
    """An event data store as the subject of a result: in its home region."""
    return Subject(
        account.account_id, store.region, store.name, store.arn, RESOURCE_TYPE, f"event data store {store.name}"
    )


def per_event_data_store(ctx: CheckContext, judge: Judge) -> Iterator[CheckResult]:
    """One result per event data store; ERROR for what could not be read; NOT_APPLICABLE without any."""
    for account in ctx.accounts():
        aid = account.account_id
        stores, failed, uncollected = account_stores(account)
        for region, err in failed:
            yield ctx.result(
                aid,
                region,
                Status.ERROR,
                f"the event data stores of region {region} could not be listed, so a store "
                f"homed there is not judged: {err.reason()}",
                resource_id=aid,
                resource_type="AwsAccount",
                evidence={"collection_error": {"operation": err.operation, "error_code": err.error_code}},
            )
        if uncollected:
            yield ctx.result(
                aid,
                GLOBAL,
                Status.ERROR,
                "CloudTrail Lake event data stores were not collected with this snapshot "
                "(taken before trail-auditor read them); nothing can be concluded",
                resource_id=aid,
                resource_type="AwsAccount",
            )
        for store in stores:
            if isinstance(store.config, CollectionError):
                yield store_subject(account, store).result(ctx, store.config)
            else:
                yield judge(account, store, store.config)
        if not stores and not failed and not uncollected:
            yield ctx.result(
                aid,
                GLOBAL,
                Status.NOT_APPLICABLE,
                "no CloudTrail Lake event data store in this account",
                resource_id=aid,
                resource_type="AwsAccount",
            )


def records_management_events(config: EventDataStoreConfig) -> bool:
    """The store collects CloudTrail management events (AWS's default selector, or one naming them)."""
    for sel in config.advanced_event_selectors:
        for fs in sel.field_selectors:
            if fs.field == "eventCategory" and "Management" in fs.equals:
                return True
    return False


def lake_recorders(snapshot: Snapshot, account: AccountSnapshot) -> list[dict[str, Any]]:
    """Event data stores that record this account's management events while ingesting.

    The account's own ENABLED stores, and the ENABLED organisation stores of an
    in-scope account of the same organisation (organisation stores belong to the
    management account, which a delegated administrator's stores are also listed under).
    """
    org = snapshot.organization
    members: set[str] = set()
    if isinstance(org, Organization):
        members = {a.account_id for a in org.accounts} | {org.management_account_id}
    found: list[dict[str, Any]] = []
    for acc in snapshot.accessible_accounts():
        own = acc.account_id == account.account_id
        if not own and not (account.account_id in members and acc.account_id in members):
            continue
        stores, _, _ = account_stores(acc)
        for store in stores:
            cfg = store.config
            if isinstance(cfg, CollectionError) or cfg.status != "ENABLED" or not records_management_events(cfg):
                continue
            if own or cfg.organization_enabled:
                found.append(
                    {
                        "arn": store.arn,
                        "name": store.name,
                        "owner_account_id": acc.account_id,
                        "organization_enabled": cfg.organization_enabled,
                        "multi_region_enabled": cfg.multi_region_enabled,
                    }
                )
    return found


def lake_note(stores: list[dict[str, Any]]) -> str:
    """A short clause for a trail-* message: who records the account through CloudTrail Lake (ARNs in evidence)."""
    names = ", ".join(f"{s['name']}" + (" (organisation)" if s["organization_enabled"] else "") for s in stores)
    return f"; CloudTrail Lake event data store {names} records the account, but a store is not a trail"

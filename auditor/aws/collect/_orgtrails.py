"""Model organisation trails in member accounts.

An organisation trail logs every account of the organisation. AWS lists it in
each member's DescribeTrails, but a member's listing can fail (and moto never
shows it), which would make a covered member look unlogged: a false FAIL. When
the organisation and the trail's owner are in scope, the owner's copy is
attached to each ACTIVE member that did not list it, marked
``inferred_from_organization`` so reports can say where the fact came from.
"""

from __future__ import annotations

from dataclasses import replace

from auditor.model.snapshot import CollectionError, Snapshot, Trail


def attach_organization_trails(snapshot: Snapshot) -> Snapshot:
    """The snapshot with in-scope organisation trails attached to member accounts."""
    org = snapshot.organization
    if org is None or isinstance(org, CollectionError):
        return snapshot
    members = {a.account_id for a in org.accounts if a.status == "ACTIVE"} | {org.management_account_id}
    owned: list[Trail] = [
        t
        for acc in snapshot.accessible_accounts()
        for t in acc.trails
        if t.is_organization_trail and t.owner_account_id == acc.account_id and acc.account_id in members
    ]
    if not owned:
        return snapshot
    accounts = []
    for acc in snapshot.accounts:
        if acc.access_error is not None or acc.account_id not in members:
            accounts.append(acc)
            continue
        listed = {t.arn for t in acc.trails}
        extra = tuple(
            replace(t, seen_in_regions=(), inferred_from_organization=True)
            for t in owned
            if t.arn not in listed and t.owner_account_id != acc.account_id
        )
        accounts.append(replace(acc, trails=acc.trails + extra) if extra else acc)
    return replace(snapshot, accounts=tuple(accounts))

"""The role sessions of one run, handed from the collector to the readers that follow it.

A scan assumes each account's role once; the trail-log and digest readers of the
same run reuse those sessions (:class:`AccountSessions`) instead of assuming the
roles again with settings of their own.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from auditor.aws.collect._aws import AccountAccess, Aws, RoleSpec
from auditor.model.errors import AuditorError
from auditor.model.snapshot import CollectionError


class AccountAccessError(AuditorError):
    """No client can be made for an account: its role could not be assumed."""


@dataclass(eq=False, repr=False)  # identity, not value: it holds locks, live state and credentials
class AccountSessions:
    """Clients in the accounts of one run, each account's role assumed once (and renewed).

    Handed back by :func:`auditor.aws.collect.collect_with_sessions` so that later
    readers of the same run (trail logs and digests) use the collector's
    assumed roles instead of assuming each role again with settings of their
    own. An account the scan could not enter stays refused (its recorded
    error is the reason); an account outside the scan (say, a log archive
    account that owns a bucket) is entered on first use, once.

    The caller's own account, and every account when no role name was given,
    use the base session's credentials, as the collector does.
    """

    aws: Aws
    caller_account_id: str
    partition: str
    home_region: str
    role_name: str | None
    external_id: str | None
    #: Accounts already entered (or refused) by the collector.
    known: dict[str, AccountAccess | CollectionError] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def access(self, account_id: str) -> AccountAccess | CollectionError:
        """How to call ``account_id``, or why it cannot be called (assumes its role at most once)."""
        if account_id == self.caller_account_id or self.role_name is None:
            return AccountAccess(account_id=account_id)
        found = self.known.get(account_id)
        if found is not None:
            return found
        with self._lock:  # one AssumeRole per account even when threads ask at once
            found = self.known.get(account_id)
            if found is None:
                spec = RoleSpec.for_account(self.partition, account_id, self.role_name, self.external_id)
                found = self.aws.assume(
                    account_id, spec, via=AccountAccess(self.caller_account_id), region=self.home_region
                )
                self.known[account_id] = found
            return found

    def client(self, account_id: str, service: str, region: str | None = None) -> Any:
        """A client signed as ``account_id`` (in ``region``, default the run's home region).

        Raises :class:`AccountAccessError` when the account's role could not be
        assumed, so the caller can record the source as unreadable.
        """
        access = self.access(account_id)
        if isinstance(access, CollectionError):
            raise AccountAccessError(f"cannot open a session in {account_id}: {access.reason()}")
        return self.aws.bound_client(access, service, region or self.home_region)

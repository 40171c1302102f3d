"""Account-level checks: judgements about an account as a whole, or about one of its regions.

The per-resource families (trails, keys, log groups, buckets, stores) each have a builder
that walks their resources; a check about the account itself (is there an organisation
trail, is every scanned region covered, recorded, billed once) judges the account and
says, per finding, which region it speaks for. :func:`account_check` turns those
findings into results, so the check is its metadata plus a judge of ``Judgement``s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Status
from auditor.engine.judgement import Judgement, Subject
from auditor.model.arn import GLOBAL
from auditor.model.snapshot import AccountSnapshot, CollectionError


@dataclass(frozen=True)
class Finding:
    """One judgement about an account, in ``region`` (a region name or ``global``)."""

    region: str
    #: The judgement, or the evidence that is missing (ERROR with its reason).
    verdict: Judgement | CollectionError
    #: What the judgement is about; the account itself when empty.
    resource_id: str = ""

    def result(self, ctx: CheckContext, account: AccountSnapshot) -> CheckResult:
        """The CheckResult saying this finding, with the check's resource type."""
        subject = Subject(account.account_id, self.region, self.resource_id or account.account_id)
        return subject.result(ctx, self.verdict)


#: An account-level check's question about one account: its findings, per region or global.
AccountJudge = Callable[[CheckContext, AccountSnapshot], Iterable[Finding]]


def account_check(meta: CheckMeta, judge: AccountJudge, *, no_region: str = "") -> Check:
    """The check asking ``judge`` about every accessible account.

    With ``no_region`` (the message), an account none of whose regions was scanned is
    NOT_APPLICABLE instead of judged: a check judging per region has nothing to judge there.
    """

    def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
        """The findings of every accessible account."""
        for account in ctx.accounts():
            if no_region and not account.regions:
                yield ctx.result(
                    account.account_id,
                    GLOBAL,
                    Status.NOT_APPLICABLE,
                    no_region,
                    resource_id=account.account_id,
                    resource_type="AwsAccount",
                )
                continue
            for finding in judge(ctx, account):
                yield finding.result(ctx, account)

    return Check(meta, evaluate)

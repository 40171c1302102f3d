"""logs-sigma-matches: events matched by the Sigma rules loaded with --rules.

Each rule that matched becomes its own FAIL result, named by the rule's id and
title, so that reports list Sigma detections beside the built-in checks.
Sigma rules express suspicion, not a compliance failure: the severity is
medium by default (a baseline can override it) and the rule's own level is in
the message and evidence. Rules that could not be evaluated are listed in the
evidence of every result with the reason, so coverage is explicit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from msgspec import UnsetType

from auditor.engine import logjudge as judge
from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Remediation, Severity, Status
from auditor.engine.logchecks import LOG_PERMISSIONS, with_evidence
from auditor.model.arn import GLOBAL
from auditor.model.log_evidence import LogEvidence, LogSigmaMatch

META = CheckMeta(
    id="logs-sigma-matches",
    title="No Sigma detection rule matched the log events",
    severity=Severity.MEDIUM,
    section="logs",
    resource_type="SigmaRule",
    rationale=(
        "Sigma is the shared language of detection engineering: the community and the organisation's own "
        "rules describe attacker behaviour in CloudTrail. A match is an event an analyst must review."
    ),
    remediation=Remediation(
        summary="Review each matched event with its principal and source IP; escalate per the incident "
        "response plan, or tune the rule if the activity is expected.",
        url="https://sigmahq.io/docs/basics/rules.html",
    ),
    references=("PCI DSS 10.4.1", "NIST SP 800-53 SI-4", "SigmaHQ rules/cloud/aws/cloudtrail"),
    permissions=LOG_PERMISSIONS,
    notes="Evaluated only when rules are given (--rules DIR); otherwise NOT_APPLICABLE. Correlation rules "
    "(event_count, value_count, temporal) fire over the whole window. Unsupported rules (modifiers not "
    "implemented, old pipe-syntax aggregations, fields CloudTrail does not record) are reported, never "
    "silently dropped.",
)


def _level(m: LogSigmaMatch) -> str | None:
    return None if isinstance(m.level, UnsetType) else m.level


def evaluate(ctx: CheckContext, doc: LogEvidence) -> Iterator[CheckResult]:
    """One FAIL per matched rule and scope; PASS per scope where loaded rules matched nothing."""
    sigma = doc.sigma
    correlations = () if isinstance(sigma.correlations, UnsetType) else sigma.correlations
    rules = (*sigma.rules, *correlations)  # correlation rules are evaluated rules too
    unsupported = [{"id": u.id, "title": u.title, "reason": u.reason} for u in sigma.unsupported]
    if not rules:
        for account in judge.accounts_in_scope(ctx, doc):
            yield ctx.result(
                account,
                GLOBAL,
                Status.NOT_APPLICABLE,
                "no Sigma rule was loaded (give a folder of rules with --rules)",
                resource_id=account,
                resource_type="AwsAccount",
                evidence={"unsupported": unsupported[:50]},
            )
        return
    matches = sigma.matches
    for account in judge.accounts_in_scope(ctx, doc):
        mine = [m for m in matches if m.account_id == account]
        regions = sorted(set(judge.regions_of(doc, account)) | {m.region for m in mine})
        if not regions:
            yield judge.verdict(ctx, doc, account, GLOBAL, False, "", {})
            continue
        for region in regions:
            here = [m for m in mine if m.region == region]
            for m in here:
                corr = None if isinstance(m.correlation, UnsetType) else m.correlation
                what = (
                    f"fired for {m.total} group(s) ({corr.type} correlation)"
                    if corr is not None
                    else f"matched {m.total} event(s)"
                )
                evidence: dict[str, Any] = {
                    "rule_id": m.rule_id,
                    "title": m.title,
                    "level": _level(m),
                    "total": m.total,
                    "events": [e.to_dict() for e in m.events[:50]],
                    "rules_evaluated": len(rules),
                    "unsupported": unsupported[:50],
                }
                if corr is not None:
                    evidence["correlation"] = corr.to_dict()
                yield ctx.result(
                    account,
                    region,
                    Status.FAIL,
                    f'Sigma rule "{m.title}" ({m.rule_id}, level {_level(m)}) {what} in account {account} ({region})',
                    resource_id=f"sigma:{m.rule_id}",
                    evidence=evidence,
                )
            if not here:
                yield judge.verdict(
                    ctx,
                    doc,
                    account,
                    region,
                    False,
                    f"none of {len(rules)} Sigma rule(s) matched in account {account} ({region})"
                    + (f"; {len(unsupported)} rule(s) could not be evaluated" if unsupported else ""),
                    {"rules_evaluated": len(rules), "unsupported": unsupported[:50], "total": 0},
                )
        for region in judge.unseen_regions(ctx, doc, account, regions):
            yield judge.no_files_result(ctx, doc, account, region)


CHECK = Check(META, with_evidence(evaluate))

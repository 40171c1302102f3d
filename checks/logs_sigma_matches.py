"""logs-sigma-matches: events matched by the Sigma rules loaded with --rules.

Each rule that matched becomes its own FAIL result, named by the rule's id and
title, so that reports list Sigma detections beside the built-in checks.
Sigma rules express suspicion, not a compliance failure: the severity is
medium by default (a baseline can override it) and the rule's own level is in
the message and evidence. Rules that could not be evaluated are listed in the
evidence of every result with the reason, so coverage is explicit.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from auditor.engine import logjudge as judge
from auditor.engine.checkapi import Check, CheckContext, CheckMeta, CheckResult, Remediation, Severity, Status

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
    permissions=("cloudtrail:DescribeTrails", "s3:GetObject", "s3:ListBucket"),
    notes="Evaluated only when rules are given (--rules DIR); otherwise NOT_APPLICABLE. Correlation rules "
    "(event_count, value_count, temporal) fire over the whole window. Unsupported rules (modifiers not "
    "implemented, old pipe-syntax aggregations, fields CloudTrail does not record) are reported, never "
    "silently dropped.",
)


def _sigma(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    section = doc.get("sigma")
    return section if isinstance(section, Mapping) else {}


def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
    """One FAIL per matched rule and scope; PASS per scope where loaded rules matched nothing."""
    doc = judge.evidence(ctx)
    if doc is None:
        yield from judge.not_applicable(ctx)
        return
    sigma = _sigma(doc)
    rules = list(sigma.get("rules", [])) + list(sigma.get("correlations", []))  # correlations are rules too
    unsupported = [
        {"id": u.get("id"), "title": u.get("title"), "reason": u.get("reason")} for u in sigma.get("unsupported", [])
    ]
    if not rules:
        for account in judge.accounts_in_scope(ctx, doc):
            yield ctx.result(account, judge.GLOBAL, Status.NOT_APPLICABLE,
                             "no Sigma rule was loaded (give a folder of rules with --rules)",
                             resource_id=account, resource_type="AwsAccount",
                             evidence={"unsupported": unsupported[:50]})
        return
    matches = [m for m in sigma.get("matches", []) if isinstance(m, Mapping)]
    for account in judge.accounts_in_scope(ctx, doc):
        mine = [m for m in matches if m.get("account_id") == account]
        regions = sorted(set(judge.regions_of(doc, account)) | {str(m.get("region")) for m in mine})
        if not regions:
            yield judge.verdict(ctx, doc, account, judge.GLOBAL, False, "", {})
            continue
        for region in regions:
            here = [m for m in mine if m.get("region") == region]
            for m in here:
                corr = m.get("correlation")
                what = (f"fired for {m.get('total')} group(s) ({corr.get('type')} correlation)"
                        if isinstance(corr, Mapping) else f"matched {m.get('total')} event(s)")
                evidence = {"rule_id": m.get("rule_id"), "title": m.get("title"), "level": m.get("level"),
                            "total": m.get("total"), "events": list(m.get("events", []))[:50],
                            "rules_evaluated": len(rules), "unsupported": unsupported[:50]}
                if isinstance(corr, Mapping):
                    evidence["correlation"] = dict(corr)
                yield ctx.result(
                    account, region, Status.FAIL,
                    f"Sigma rule \"{m.get('title')}\" ({m.get('rule_id')}, level {m.get('level')}) {what} "
                    f"in account {account} ({region})",
                    resource_id=f"sigma:{m.get('rule_id')}",
                    evidence=evidence,
                )
            if not here:
                yield judge.verdict(
                    ctx, doc, account, region, False,
                    f"none of {len(rules)} Sigma rule(s) matched in account {account} ({region})"
                    + (f"; {len(unsupported)} rule(s) could not be evaluated" if unsupported else ""),
                    {"rules_evaluated": len(rules), "unsupported": unsupported[:50], "total": 0},
                )
        for region in judge.unseen_regions(ctx, doc, account, regions):
            yield judge.no_files_result(ctx, doc, account, region)


CHECK = Check(META, evaluate)

"""Lifecycle-rule helpers shared by the bucket-* checks that judge what happens to logs over time.

bucket-retention, bucket-hot-retention and bucket-archival-lifecycle all ask
the same first question (which lifecycle rules can act on the trails' log
objects at all?) and name offending rules the same way; keeping that here
means the three cannot disagree about which rules apply.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta

from auditor.engine.checkapi import CheckContext, parse_time
from auditor.engine.policies import LogBucketTarget
from auditor.model.snapshot import LifecycleRule


def log_rules(target: LogBucketTarget, rules: Iterable[LifecycleRule] | None) -> list[LifecycleRule]:
    """The enabled rules whose filter reaches some of the trails' log objects, in order.

    A disabled rule or one that misses the log prefix (or filters on tags,
    which CloudTrail objects never carry) cannot touch the logs.
    """
    return [r for r in rules or () if r.enabled and target.applies_to_logs(r.prefix, r.has_tag_filter)]


def rule_name(rule: LifecycleRule) -> str:
    """How a rule is named in messages: its ID, or ``(unnamed)`` when it has none."""
    return rule.id or "(unnamed)"


def rule_violations(
    target: LogBucketTarget,
    rules: Iterable[LifecycleRule] | None,
    problems: Callable[[LifecycleRule], list[str]],
) -> list[str]:
    """``rule <name> <problem>`` for each problem found in each rule that acts on the logs."""
    return [f"rule {rule_name(r)} {p}" for r in log_rules(target, rules) for p in problems(r)]


def before_days_pass(ctx: CheckContext, iso_date: str, days: int) -> bool:
    """Whether a lifecycle action dated ``iso_date`` takes effect before ``days`` from now."""
    return parse_time(iso_date) < ctx.now + timedelta(days=days)

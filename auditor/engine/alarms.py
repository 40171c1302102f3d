"""Shared evaluation of the CIS monitoring checks (``alarm-*``, CIS 4.1-4.15).

An alarm check proves, per account, one complete chain::

    logging multi-region trail, read+write management events
      -> delivers to a CloudWatch Logs log group
      -> a metric filter on THAT log group whose pattern satisfies the CIS pattern
      -> a metric alarm on the filter's metric (name and namespace), actions enabled
      -> an alarm action on an SNS topic
      -> that topic has at least one confirmed subscription

Every trail that logs the account (its own trails and organisation trails of
another account) is a candidate start of a chain; each candidate path ends in
PASS, FAIL at a named link, or ERROR because evidence on the path could not be
read. The account PASSes when any path proves the chain; otherwise it is ERROR
when any path hit unreadable evidence (that path might have passed), and FAIL
only when every path was judged. A FAIL names the first missing link of the
path that got furthest, so the message says exactly what to fix.

An organisation trail delivers to a log group in its owner's account: the
filters, alarms and topics are looked up there (the home region of the trail,
or the region and account in the log group ARN). A member account whose only
coverage is an organisation trail owned by an account outside the scan's scope
is ERROR: the alarms cannot be seen from here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from auditor.engine.checkapi import (
    CheckContext,
    CheckMeta,
    CheckResult,
    Evaluator,
    Remediation,
    Severity,
    Status,
)
from auditor.engine.judgement import Judgement
from auditor.engine.trails import covering_trails, trail_listing_errors
from auditor.model.arn import GLOBAL, log_group_name, parse_arn
from auditor.model.snapshot import (
    AccountSnapshot,
    Alarm,
    CollectionError,
    MetricFilter,
    RegionSnapshot,
    Snapshot,
    Trail,
)
from auditor.semantics.cis import METRIC_NAMESPACE, CisItem, item_by_number, readings
from auditor.semantics.event_selectors import management_coverage
from auditor.semantics.filterpattern import PatternError, SatisfactionResult, compile_pattern, satisfies_any

__all__ = ["PERMISSIONS", "alarm_evaluator", "alarm_meta", "evaluate_account"]


#: IAM actions the alarm checks' evidence needs.
PERMISSIONS: tuple[str, ...] = (
    "logs:DescribeLogGroups",
    "logs:DescribeMetricFilters",
    "cloudwatch:DescribeAlarms",
    "sns:ListSubscriptionsByTopic",
    "cloudtrail:DescribeTrails",
    "cloudtrail:GetTrailStatus",
    "cloudtrail:GetEventSelectors",
)

# How far along the chain a path got: a FAIL from the furthest path is reported.
_TRAIL, _FILTER, _ALARM, _ACTION, _SUBSCRIPTION, _DONE = range(6)


@dataclass(frozen=True, kw_only=True)
class _Outcome(Judgement):
    """The judgement of one candidate path, and how far along the chain it got."""

    depth: int
    region: str = GLOBAL
    trail: Trail | None = None
    metric_filter: MetricFilter | None = None


def _fail(depth: int, message: str, trail: Trail | None, **kw: Any) -> _Outcome:
    region = trail.home_region if trail else GLOBAL
    return _Outcome(Status.FAIL, message, depth=depth, region=region, trail=trail, **kw)


def _error(depth: int, message: str, trail: Trail | None, *errors: CollectionError, **kw: Any) -> _Outcome:
    region = trail.home_region if trail else GLOBAL
    return _Outcome(Status.ERROR, message, errors=errors, depth=depth, region=region, trail=trail, **kw)


# --------------------------------------------------------------------------- ARNs


def _is_sns_topic(action: str) -> bool:
    arn = parse_arn(action)
    return arn is not None and arn.service == "sns" and bool(arn.resource)


# --------------------------------------------------------------------------- the chain


def _trail_link(trail: Trail) -> _Outcome | None:
    """Why the trail cannot start a chain, or None when it can."""
    if not trail.is_multi_region:
        return _fail(
            _TRAIL,
            f"trail {trail.name} is single-region ({trail.home_region}); a multi-region trail must feed the alarms",
            trail,
        )
    st = trail.status
    if isinstance(st, CollectionError):
        return _error(_TRAIL, f"status of trail {trail.name} unreadable: {st.reason()}", trail, st)
    if st is None:
        return _error(_TRAIL, f"status of trail {trail.name} was not collected", trail)
    if not st.is_logging:
        return _fail(_TRAIL, f"trail {trail.name} is not logging", trail)
    sel = trail.event_selectors
    if isinstance(sel, CollectionError):
        return _error(_TRAIL, f"event selectors of trail {trail.name} unreadable: {sel.reason()}", trail, sel)
    if sel is None:
        return _error(_TRAIL, f"event selectors of trail {trail.name} were not collected", trail)
    cov = management_coverage(sel)
    if not cov.complete:
        return _fail(_TRAIL, f"trail {trail.name} {cov.describe()}", trail)
    if not trail.cloudwatch_logs_log_group_arn:
        return _fail(
            _TRAIL, f"trail {trail.name} does not deliver to CloudWatch Logs (no CloudWatchLogsLogGroupArn)", trail
        )
    return None


def _in_scope(
    snapshot: Snapshot, account_id: str, trail: Trail, what: str
) -> tuple[AccountSnapshot | None, _Outcome | None]:
    acc = snapshot.account(account_id)
    if acc is None:
        return None, _error(
            _FILTER,
            f"the {what} of trail {trail.name} live in account "
            f"{account_id} (the management account of an organisation "
            "trail), which is not in scope",
            trail,
        )
    if acc.access_error is not None:
        return None, _error(
            _FILTER,
            f"the {what} of trail {trail.name} live in account "
            f"{account_id}, which could not be read: "
            f"{acc.access_error.reason()}",
            trail,
            acc.access_error,
        )
    return acc, None


def _pattern_verdict(mf: MetricFilter, item: CisItem) -> tuple[SatisfactionResult | None, str]:
    """The filter's verdict against the item, or None and why it could not be parsed."""
    try:
        configured = compile_pattern(mf.pattern)
    except PatternError as exc:
        return None, str(exc)
    return satisfies_any(configured, readings(item)), ""


def _describe_gap(mf: MetricFilter, res: SatisfactionResult) -> str:
    parts: list[str] = []
    if res.missing:
        parts.append("lacks " + "; ".join(res.missing))
    if res.extra_restrictions:
        parts.append("narrows it with " + "; ".join(res.extra_restrictions))
    return f"closest filter {mf.name!r} " + " and ".join(parts)


def _filter_link(
    item: CisItem, trail: Trail, group: str, region: str, filters: Sequence[MetricFilter]
) -> tuple[list[MetricFilter], _Outcome | None]:
    on_group = [mf for mf in filters if mf.log_group_name == group]
    good: list[MetricFilter] = []
    closest: tuple[int, MetricFilter, SatisfactionResult] | None = None
    unparseable: list[str] = []
    verdicts: list[dict[str, Any]] = []
    for mf in on_group:
        res, problem = _pattern_verdict(mf, item)
        if res is None:
            unparseable.append(f"filter {mf.name!r} has an unparseable pattern ({problem})")
            verdicts.append({"filter": mf.name, "parse_error": problem})
            continue
        verdicts.append(
            {
                "filter": mf.name,
                "satisfies": res.ok,
                "missing": list(res.missing),
                "extra_restrictions": list(res.extra_restrictions),
            }
        )
        if res.ok:
            good.append(mf)
            continue
        gap = len(res.missing) + len(res.extra_restrictions)
        if closest is None or gap < closest[0]:
            closest = (gap, mf, res)
    if good:
        return good, None
    where = f"log group {group} ({region})"
    if not on_group:
        msg = f"no metric filter on {where}"
    else:
        msg = f"no metric filter on {where} satisfies the CIS {item.number} pattern"
        details = ([_describe_gap(closest[1], closest[2])] if closest else []) + unparseable
        msg += ": " + "; ".join(details)
    return [], _fail(_FILTER, msg, trail, evidence={"log_group": group, "filters": verdicts})


def _topic_link(
    snapshot: Snapshot,
    owner: AccountSnapshot,
    region: str,
    trail: Trail,
    mf: MetricFilter,
    alarm: Alarm,
    topic_arn: str,
) -> _Outcome:
    parsed = parse_arn(topic_arn)
    acc_id = parsed.account if parsed and parsed.account else owner.account_id
    reg_name = parsed.region if parsed and parsed.region else region
    acc, problem = (
        (owner, None) if acc_id == owner.account_id else _in_scope(snapshot, acc_id, trail, "SNS topic subscriptions")
    )
    if acc is None:
        assert problem is not None
        return _Outcome(
            problem.status,
            problem.message,
            errors=problem.errors,
            depth=_SUBSCRIPTION,
            region=trail.home_region,
            trail=trail,
            metric_filter=mf,
        )
    reg = acc.region(reg_name)
    topic = None if reg is None else next((t for t in reg.topics if t.topic_arn == topic_arn), None)
    if topic is None:
        return _error(
            _SUBSCRIPTION,
            f"subscriptions of SNS topic {topic_arn} (action of alarm {alarm.name}) were not collected",
            trail,
            metric_filter=mf,
        )
    subs = topic.subscriptions
    if isinstance(subs, CollectionError):
        return _error(
            _SUBSCRIPTION,
            f"subscriptions of SNS topic {topic_arn} unreadable: {subs.reason()}",
            trail,
            subs,
            metric_filter=mf,
        )
    confirmed = [s for s in subs if s.confirmed]
    ev = {
        "alarm": alarm.arn,
        "topic": topic_arn,
        "confirmed_subscriptions": [f"{s.protocol}:{s.endpoint}" for s in confirmed],
    }
    if not confirmed:
        detail = f"{len(subs)} pending confirmation" if subs else "no subscription at all"
        return _fail(
            _SUBSCRIPTION,
            f"SNS topic {topic_arn} of alarm {alarm.name} has no confirmed subscription ({detail})",
            trail,
            metric_filter=mf,
            evidence=ev,
        )
    return _Outcome(
        Status.PASS,
        f"metric filter {mf.name!r} on the log group of trail {trail.name} feeds alarm "
        f"{alarm.name}, which notifies SNS topic {topic_arn} ({len(confirmed)} "
        "confirmed subscription(s))",
        ev,
        depth=_DONE,
        region=trail.home_region,
        trail=trail,
        metric_filter=mf,
    )


def _alarm_links(
    snapshot: Snapshot,
    owner: AccountSnapshot,
    reg: RegionSnapshot,
    trail: Trail,
    mf: MetricFilter,
    alarms: Sequence[Alarm],
) -> list[_Outcome]:
    out: list[_Outcome] = []
    metrics = [(t.metric_name, t.metric_namespace) for t in mf.transformations]
    if not metrics:
        return [_fail(_ALARM, f"metric filter {mf.name!r} publishes no metric", trail, metric_filter=mf)]
    on_metric = [a for a in alarms if (a.metric_name, a.namespace) in metrics]
    if not on_metric:
        names = ", ".join(f"{ns}/{name}" for name, ns in metrics)
        return [
            _fail(_ALARM, f"no alarm on metric {names} of filter {mf.name!r} ({reg.region})", trail, metric_filter=mf)
        ]
    for alarm in on_metric:
        if not alarm.actions_enabled:
            out.append(_fail(_ACTION, f"alarm {alarm.name} has its actions disabled", trail, metric_filter=mf))
            continue
        topics = [a for a in alarm.alarm_actions if _is_sns_topic(a)]
        if not topics:
            out.append(
                _fail(
                    _ACTION,
                    f"alarm {alarm.name} on metric {alarm.namespace}/{alarm.metric_name} has no SNS topic action",
                    trail,
                    metric_filter=mf,
                )
            )
            continue
        out.extend(_topic_link(snapshot, owner, reg.region, trail, mf, alarm, t) for t in topics)
    return out


def _paths_from_trail(snapshot: Snapshot, item: CisItem, trail: Trail) -> list[_Outcome]:
    stop = _trail_link(trail)
    if stop is not None:
        return [stop]
    group_arn = trail.cloudwatch_logs_log_group_arn or ""
    parsed = parse_arn(group_arn)
    group = log_group_name(parsed) if parsed else None
    if parsed is None or group is None:
        return [_error(_FILTER, f"trail {trail.name} names an unrecognised log group ARN {group_arn!r}", trail)]
    owner, problem = _in_scope(snapshot, parsed.account or trail.owner_account_id, trail, "metric filters and alarms")
    if owner is None:
        assert problem is not None
        return [problem]
    region = parsed.region or trail.home_region
    reg = owner.region(region)
    if reg is None:
        return [
            _error(
                _FILTER,
                f"region {region} of account {owner.account_id}, where the log "
                f"group of trail {trail.name} lives, was not scanned",
                trail,
            )
        ]
    if isinstance(reg.metric_filters, CollectionError):
        err = reg.metric_filters
        return [_error(_FILTER, f"metric filters unreadable: {err.reason()}", trail, err)]
    good, stop = _filter_link(item, trail, group, region, reg.metric_filters)
    if stop is not None:
        return [stop]
    if isinstance(reg.alarms, CollectionError):
        err = reg.alarms
        return [_error(_ALARM, f"alarms unreadable: {err.reason()}", trail, err, metric_filter=good[0])]
    out: list[_Outcome] = []
    for mf in good:
        out.extend(_alarm_links(snapshot, owner, reg, trail, mf, reg.alarms))
    return out


def evaluate_account(ctx: CheckContext, item: CisItem, account: AccountSnapshot) -> CheckResult:
    """One account's verdict for one CIS monitoring item (see the module docstring)."""
    trails = covering_trails(ctx.snapshot, account)
    outcomes: list[_Outcome] = []
    for trail in trails:
        outcomes.extend(_paths_from_trail(ctx.snapshot, item, trail))
    # A trail homed in a region whose trails could not be listed might feed the chain.
    outcomes.extend(
        _error(
            _TRAIL,
            f"the trails of region {region} could not be listed, so a trail there may feed the chain: {err.reason()}",
            None,
            err,
        )
        for region, err in trail_listing_errors(account)
    )
    if not outcomes:
        outcomes.append(_fail(_TRAIL, "no trail logs this account, so nothing feeds a metric filter", None))
    chosen = _choose(outcomes)
    evidence: dict[str, Any] = {
        "cis": item.number,
        "paths": [
            {"trail": o.trail.arn if o.trail else None, "status": o.status.value, "message": o.message}
            for o in outcomes
        ],
        **chosen.evidence,
    }
    errors = [e for o in outcomes if o.status is Status.ERROR for e in o.errors]
    if chosen.status is Status.ERROR and errors:
        evidence["collection_errors"] = [e.evidence() for e in errors]
    message = chosen.message
    if chosen.status is Status.ERROR:
        reasons = list(dict.fromkeys(o.message for o in outcomes if o.status is Status.ERROR))
        message = "cannot prove the alarm chain: " + "; ".join(reasons)
    elif chosen.status is Status.FAIL:
        message = "alarm chain broken: " + message
    kwargs: dict[str, Any] = {"resource_id": account.account_id, "resource_type": "AwsAccount"}
    if chosen.metric_filter is not None:
        mf = chosen.metric_filter
        kwargs = {"resource_id": f"{mf.log_group_name}/{mf.name}", "resource_type": "AwsLogsMetricFilter"}
        evidence["metric_filter"] = {"log_group": mf.log_group_name, "name": mf.name, "pattern": mf.pattern}
    return ctx.result(
        account.account_id, chosen.region, chosen.status, f"CIS {item.number}: {message}", evidence=evidence, **kwargs
    )


def _choose(outcomes: Sequence[_Outcome]) -> _Outcome:
    """PASS beats ERROR beats FAIL; among FAILs the path that got furthest."""
    for status in (Status.PASS, Status.ERROR):
        for o in outcomes:
            if o.status is status:
                return o
    return max(outcomes, key=lambda o: o.depth)


def alarm_evaluator(number: str) -> Evaluator:
    """The evaluate function of the alarm check for one CIS item, e.g. "4.3"."""
    item = item_by_number(number)

    def evaluate(ctx: CheckContext) -> Iterator[CheckResult]:
        for account in ctx.accounts():
            yield evaluate_account(ctx, item, account)

    evaluate.__doc__ = f"CIS {item.number}: {item.title}."
    return evaluate


# --------------------------------------------------------------------------- metadata


def _hcl_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("${", "$${") + '"'


def alarm_meta(number: str, rationale: str) -> CheckMeta:
    """The metadata of the alarm check for one CIS item; only the rationale is per check."""
    item = item_by_number(number)
    metric = item.metric_name
    resource = item.check_id.replace("-", "_")
    cli = (
        "# 1. metric filter on the trail's log group, with the exact CIS pattern\n"
        "aws logs put-metric-filter --log-group-name <trail-log-group> "
        f"--filter-name {metric} \\\n"
        f"  --metric-transformations metricName={metric},metricNamespace={METRIC_NAMESPACE},"
        "metricValue=1 \\\n"
        f"  --filter-pattern '{item.pattern}'\n"
        "# 2. a topic with a confirmed subscription (confirm the e-mail)\n"
        "aws sns create-topic --name security-alarms\n"
        "aws sns subscribe --topic-arn <topic-arn> --protocol email "
        "--notification-endpoint secops@example.com\n"
        "# 3. the alarm on the filter's metric\n"
        f"aws cloudwatch put-metric-alarm --alarm-name {item.check_id} --metric-name {metric} "
        f"--namespace {METRIC_NAMESPACE} \\\n"
        "  --statistic Sum --period 300 --threshold 1 "
        "--comparison-operator GreaterThanOrEqualToThreshold \\\n"
        "  --evaluation-periods 1 --treat-missing-data notBreaching --alarm-actions <topic-arn>"
    )
    terraform = (
        f'resource "aws_cloudwatch_log_metric_filter" "{resource}" {{\n'
        f'  name           = "{metric}"\n'
        "  log_group_name = aws_cloudwatch_log_group.cloudtrail.name\n"
        f"  pattern        = {_hcl_string(item.pattern)}\n"
        "  metric_transformation {\n"
        f'    name      = "{metric}"\n'
        f'    namespace = "{METRIC_NAMESPACE}"\n'
        '    value     = "1"\n'
        "  }\n"
        "}\n\n"
        f'resource "aws_cloudwatch_metric_alarm" "{resource}" {{\n'
        f'  alarm_name          = "{item.check_id}"\n'
        f"  metric_name         = aws_cloudwatch_log_metric_filter.{resource}"
        ".metric_transformation[0].name\n"
        f'  namespace           = "{METRIC_NAMESPACE}"\n'
        '  statistic           = "Sum"\n'
        "  period              = 300\n"
        "  evaluation_periods  = 1\n"
        "  threshold           = 1\n"
        '  comparison_operator = "GreaterThanOrEqualToThreshold"\n'
        '  treat_missing_data  = "notBreaching"\n'
        "  alarm_actions       = [aws_sns_topic.security_alarms.arn]\n"
        "}"
    )
    references = [f"CIS AWS {item.number} (v3.0/v5.0)"]
    if item.security_hub:
        references.append(f"Security Hub {item.security_hub}")
    return CheckMeta(
        id=item.check_id,
        title=item.title,
        severity=Severity.LOW,
        section="monitoring",
        resource_type="AwsCloudWatchAlarm",
        rationale=rationale,
        remediation=Remediation(
            summary=(
                "On the CloudWatch Logs log group your multi-region trail delivers to, create a "
                f"metric filter with the CIS {item.number} pattern, an alarm on its metric, and "
                "an SNS topic with a confirmed subscription as the alarm action."
            ),
            cli=cli,
            terraform=terraform,
            url="https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html",
        ),
        references=tuple(references),
        permissions=PERMISSIONS,
        notes=(
            "Patterns are compared parsed, not as strings: clause order, quoting and whitespace "
            "do not matter; every clause must be present; an extra && condition fails; extra || "
            "alternatives and wildcards broader than a listed name pass. && binds tighter than "
            "||; for CIS 4.1 the left-to-right reading is accepted too."
        ),
    )

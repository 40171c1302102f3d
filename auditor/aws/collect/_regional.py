"""The reads of one account and region after its trails are listed: log groups and metric
filters with their resource policies, alarms and their topics' subscribers, Config recorders,
CloudTrail Lake event data stores.

Each function fills fields of a :class:`RegionState`; a failed call leaves that field the
:class:`CollectionError` it returned, so a check needing it reports ERROR. Each field is
written by one task only (the region's), so no lock is needed here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, TypeVar

from auditor.aws.collect import _parse as parse
from auditor.aws.collect._aws import AccountAccess, Aws, Response, as_dict
from auditor.aws.collect._state import RegionState
from auditor.model.arn import arn_part
from auditor.model.snapshot import (
    CollectionError,
    EventDataStore,
    LogGroup,
    LogResourcePolicy,
    TopicSubscriptions,
)

#: Pages of ListEventDataStores followed before the list is called incomplete.
_MAX_PAGES = 100

T = TypeVar("T")


def _each(key: str, parse_one: Callable[[Response], T]) -> Callable[[Response], tuple[T, ...]]:
    """A parser for a list response: each entry under ``key`` through ``parse_one``."""
    return lambda res: tuple(parse_one(raw) for raw in res.get(key) or ())


def _read_each(
    aws: Aws,
    access: AccountAccess,
    region: str,
    operation: str,
    parser: Callable[[Response], tuple[T, ...]],
    requests: Iterable[tuple[str, dict[str, Any]]],
) -> list[T] | CollectionError:
    """One paginated CloudWatch Logs call per (resource, parameters) request, joined; or the first failure."""
    found: list[T] = []
    for resource, params in requests:
        got = aws.read(access, "logs", region, operation, parser, resource=resource, paginate=True, **params)
        if isinstance(got, CollectionError):
            return got
        found.extend(got)
    return found


def read_log_groups(aws: Aws, access: AccountAccess, reg: RegionState, names: list[str]) -> None:
    """The trails' log groups of one region, their metric filters and the resource policies that bind them."""
    listed = _read_each(
        aws,
        access,
        reg.region,
        "DescribeLogGroups",
        _each("logGroups", parse.log_group),
        ((name, {"logGroupNamePrefix": name}) for name in names),
    )
    if isinstance(listed, CollectionError):
        reg.log_groups = reg.metric_filters = listed
        return
    by_name = {g.name: g for g in listed if g.name in names}  # a prefix also lists longer names
    groups = tuple(by_name[name] for name in names if name in by_name)
    reg.log_groups = groups
    # read before the filters, so that a refused DescribeMetricFilters leaves them known
    reg.log_resource_policies = _log_resource_policies(aws, access, reg.region, groups)
    filters = _read_each(
        aws,
        access,
        reg.region,
        "DescribeMetricFilters",
        _each("metricFilters", parse.metric_filter),
        ((g.name, {"logGroupName": g.name}) for g in groups),
    )
    reg.metric_filters = filters if isinstance(filters, CollectionError) else tuple(filters)


def _log_resource_policies(
    aws: Aws, access: AccountAccess, region: str, groups: tuple[LogGroup, ...]
) -> tuple[LogResourcePolicy, ...] | CollectionError:
    """The account-scoped resource policies of the region, then each trail group's own."""
    requests: list[tuple[str, dict[str, Any]]] = [("", {})]
    requests += [(g.name, {"policyScope": "RESOURCE", "resourceArn": _group_arn(g.arn)}) for g in groups]
    policies = _read_each(
        aws,
        access,
        region,
        "DescribeResourcePolicies",
        _each("resourcePolicies", partial(parse.log_resource_policy, account_id=access.account_id, region=region)),
        requests,
    )
    if isinstance(policies, CollectionError):
        return policies
    found: dict[tuple[str, str, str | None], LogResourcePolicy] = {}
    for pol in policies:
        found.setdefault((pol.name, pol.scope, pol.resource_arn), pol)
    return tuple(found[k] for k in sorted(found, key=lambda k: (k[0], k[1], k[2] or "")))


def read_alarms(aws: Aws, access: AccountAccess, reg: RegionState) -> None:
    """The region's CloudWatch alarms and the subscribers of the SNS topics they notify."""
    alarms = aws.read(
        access, "cloudwatch", reg.region, "DescribeAlarms", _each("MetricAlarms", parse.alarm), paginate=True
    )
    reg.alarms = alarms
    if isinstance(alarms, CollectionError):
        return
    topics = sorted({action for alarm in alarms for action in alarm.alarm_actions if arn_part(action, 2) == "sns"})
    for topic in topics:
        subs = aws.read(
            access,
            "sns",
            arn_part(topic, 3) or reg.region,
            "ListSubscriptionsByTopic",
            _each("Subscriptions", parse.subscription),
            resource=topic,
            paginate=True,
            TopicArn=topic,
        )
        reg.topics.append(TopicSubscriptions(topic_arn=topic, subscriptions=subs))


def read_config_recorders(aws: Aws, access: AccountAccess, reg: RegionState) -> None:
    """The region's AWS Config recorders with their status."""
    res = aws.call(access, "config", reg.region, "DescribeConfigurationRecorders")
    if isinstance(res, CollectionError):
        reg.config_recorders = res
        return
    recorders = as_dict(res)
    if not recorders.get("ConfigurationRecorders"):
        reg.config_recorders = ()
        return
    status = aws.call(access, "config", reg.region, "DescribeConfigurationRecorderStatus")
    if isinstance(status, CollectionError):
        reg.config_recorders = status
        return
    reg.config_recorders = parse.config_recorders(recorders, as_dict(status))


def read_event_data_stores(aws: Aws, access: AccountAccess, reg: RegionState, enabled: tuple[str, ...]) -> None:
    """CloudTrail Lake: the region's event data stores (ListEventDataStores), each read by GetEventDataStore.

    ListEventDataStores has no botocore paginator: NextToken is followed here, at most
    :data:`_MAX_PAGES` pages and never a token twice (a looping answer is an error, not a
    silently short list). A store homed in another scanned region is read there.
    """
    listed: dict[str, str] = {}
    token: str | None = None
    seen: set[str] = set()
    for _ in range(_MAX_PAGES):
        params: dict[str, Any] = {"NextToken": token} if token else {}
        res = aws.call(access, "cloudtrail", reg.region, "ListEventDataStores", **params)
        if isinstance(res, CollectionError):
            reg.event_data_stores = res
            return
        page = as_dict(res)
        for raw in page.get("EventDataStores") or ():
            arn = str(raw.get("EventDataStoreArn") or "")
            home = arn_part(arn, 3) or reg.region
            if arn and (home == reg.region or home not in enabled):
                listed.setdefault(arn, str(raw.get("Name") or ""))
        token = str(page.get("NextToken") or "") or None
        if token is None:
            break
        if token in seen:
            break
        seen.add(token)
    if token is not None:
        err = CollectionError(
            account_id=access.account_id,
            region=reg.region,
            service="cloudtrail",
            operation="ListEventDataStores",
            error_code="PaginationNotFinished",
            message=f"more than {_MAX_PAGES} pages, or a NextToken repeated: the list "
            "of event data stores may be incomplete",
        )
        aws.report(err)
        reg.event_data_stores = err
        return
    stores: list[EventDataStore] = []
    for arn, name in sorted(listed.items()):
        got = aws.read(
            access,
            "cloudtrail",
            reg.region,
            "GetEventDataStore",
            lambda res: (str(res.get("Name") or ""), parse.event_data_store_config(res)),
            resource=arn,
            EventDataStore=arn,
        )
        read_name, config = ("", got) if isinstance(got, CollectionError) else got
        stores.append(
            EventDataStore(arn=arn, name=name or read_name, region=arn_part(arn, 3) or reg.region, config=config)
        )
    reg.event_data_stores = tuple(stores)


def _group_arn(arn: str) -> str:
    """A log group ARN without the ``:*`` DescribeLogGroups appends."""
    return arn[:-2] if arn.endswith(":*") else arn


def log_group_name(arn: str) -> str:
    """The log group name inside arn:...:log-group:NAME(:*)."""
    name = arn.split(":log-group:", 1)[-1]
    return name[:-2] if name.endswith(":*") else name

"""The reads of one account and region after its trails are listed: log groups and metric
filters with their resource policies, alarms and their topics' subscribers, Config recorders,
CloudTrail Lake event data stores.

Each function fills fields of a :class:`RegionState`; a failed call leaves that field the
:class:`CollectionError` it returned, so a check needing it reports ERROR. Each field is
written by one task only (the region's), so no lock is needed here.
"""

from __future__ import annotations

from typing import Any

from auditor.aws.collect import _parse as parse
from auditor.aws.collect._aws import AccountAccess, Aws, as_dict
from auditor.aws.collect._state import RegionState
from auditor.model.arn import arn_part
from auditor.model.snapshot import (
    CollectionError,
    EventDataStore,
    LogGroup,
    LogResourcePolicy,
    MetricFilter,
    TopicSubscriptions,
)

#: Pages of ListEventDataStores followed before the list is called incomplete.
_MAX_PAGES = 100


def read_log_groups(aws: Aws, access: AccountAccess, reg: RegionState, names: list[str]) -> None:
    """The trails' log groups of one region, their metric filters and the resource policies that bind them."""
    groups: list[LogGroup] = []
    for name in names:
        res = aws.call(
            access,
            "logs",
            reg.region,
            "DescribeLogGroups",
            resource=name,
            paginate=True,
            logGroupNamePrefix=name,
        )
        if isinstance(res, CollectionError):
            reg.log_groups = reg.metric_filters = res
            return
        groups.extend(parse.log_group(g) for g in as_dict(res).get("logGroups") or () if g.get("logGroupName") == name)
    # read before the filters, so that a refused DescribeMetricFilters leaves them known
    reg.log_resource_policies = _log_resource_policies(aws, access, reg.region, groups)
    filters: list[MetricFilter] = []
    for group in groups:
        res = aws.call(
            access,
            "logs",
            reg.region,
            "DescribeMetricFilters",
            resource=group.name,
            paginate=True,
            logGroupName=group.name,
        )
        if isinstance(res, CollectionError):
            reg.log_groups = tuple(groups)
            reg.metric_filters = res
            return
        filters.extend(parse.metric_filter(f) for f in as_dict(res).get("metricFilters") or ())
    reg.log_groups = tuple(groups)
    reg.metric_filters = tuple(filters)


def _log_resource_policies(
    aws: Aws, access: AccountAccess, region: str, groups: list[LogGroup]
) -> tuple[LogResourcePolicy, ...] | CollectionError:
    """The account-scoped resource policies of the region, then each trail group's own."""
    found: dict[tuple[str, str, str | None], LogResourcePolicy] = {}
    requests: list[tuple[str, dict[str, Any]]] = [("", {})]
    requests += [(g.name, {"policyScope": "RESOURCE", "resourceArn": _group_arn(g.arn)}) for g in groups]
    for resource, params in requests:
        res = aws.call(access, "logs", region, "DescribeResourcePolicies", resource=resource, paginate=True, **params)
        if isinstance(res, CollectionError):
            return res
        for raw in as_dict(res).get("resourcePolicies") or ():
            pol = parse.log_resource_policy(raw, access.account_id, region)
            found.setdefault((pol.name, pol.scope, pol.resource_arn), pol)
    return tuple(found[k] for k in sorted(found, key=lambda k: (k[0], k[1], k[2] or "")))


def read_alarms(aws: Aws, access: AccountAccess, reg: RegionState) -> None:
    """The region's CloudWatch alarms and the subscribers of the SNS topics they notify."""
    res = aws.call(access, "cloudwatch", reg.region, "DescribeAlarms", paginate=True)
    if isinstance(res, CollectionError):
        reg.alarms = res
        return
    alarms = tuple(parse.alarm(a) for a in as_dict(res).get("MetricAlarms") or ())
    reg.alarms = alarms
    topics = sorted({action for alarm in alarms for action in alarm.alarm_actions if arn_part(action, 2) == "sns"})
    for topic in topics:
        topic_region = arn_part(topic, 3) or reg.region
        sub = aws.call(
            access,
            "sns",
            topic_region,
            "ListSubscriptionsByTopic",
            resource=topic,
            paginate=True,
            TopicArn=topic,
        )
        subs: tuple[Any, ...] | CollectionError = (
            sub
            if isinstance(sub, CollectionError)
            else tuple(parse.subscription(s) for s in as_dict(sub).get("Subscriptions") or ())
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
        got = aws.call(access, "cloudtrail", reg.region, "GetEventDataStore", resource=arn, EventDataStore=arn)
        config = got if isinstance(got, CollectionError) else parse.event_data_store_config(as_dict(got))
        stores.append(
            EventDataStore(
                arn=arn,
                name=name or str(as_dict(got).get("Name") or ""),
                region=arn_part(arn, 3) or reg.region,
                config=config,
            )
        )
    reg.event_data_stores = tuple(stores)


def _group_arn(arn: str) -> str:
    """A log group ARN without the ``:*`` DescribeLogGroups appends."""
    return arn[:-2] if arn.endswith(":*") else arn


def log_group_name(arn: str) -> str:
    """The log group name inside arn:...:log-group:NAME(:*)."""
    name = arn.split(":log-group:", 1)[-1]
    return name[:-2] if name.endswith(":*") else name

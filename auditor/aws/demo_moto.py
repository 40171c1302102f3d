"""What moto 5.2 lacks and the demo simulates: CloudTrail Lake and CloudTrail's delegated administrator.

moto lacks this; the demo simulates it. This module is simulation code of
``trail-auditor demo`` (and of the project's tests, which run the same moto):
it never runs in a scan of AWS. moto 5.2 answers CloudTrail's
ListEventDataStores and GetEventDataStore with ``NotImplementedError``, and its
Organizations refuses ``cloudtrail.amazonaws.com`` as a delegated
administrator's service principal ("unrecognized service principal"). Without
them a simulated organisation could show neither CloudTrail Lake checks nor a
delegated administrator, and a scan of it would record collection errors.

:func:`taught` (a context manager) and :func:`install` (for a ``moto_server``
process) teach moto both, without replacing anything of trail-auditor:

- CloudTrail Lake: CreateEventDataStore (to seed), GetEventDataStore,
  ListEventDataStores (paginated by MaxResults/NextToken) and
  StopEventDataStoreIngestion, answered by moto's own CloudTrail response
  handler in the JSON shapes of botocore's service model, so botocore parses
  them as it parses AWS's answers and the collector reads them through the
  same client, retry policy and error handling as every other call. Stores are
  kept on moto's per-account, per-region CloudTrail backend (reset with it).
  Defaults follow AWS's CreateEventDataStore: multi-region, termination
  protection on, ingestion started, extendable-retention pricing with 366
  days, all management events.
- Organizations: ``cloudtrail.amazonaws.com`` joins moto's accepted delegated
  administrator service principals, so RegisterDelegatedAdministrator and
  ListDelegatedAdministrators work for it as for the services moto knows.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Final

CLOUDTRAIL_PRINCIPAL: Final = "cloudtrail.amazonaws.com"

#: AWS's default selector of a new event data store: every management event.
DEFAULT_SELECTORS: Final = (
    {"Name": "Default management events", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
)

_LIST_FIELDS: Final = (
    "EventDataStoreArn",
    "Name",
    "TerminationProtectionEnabled",
    "Status",
    "AdvancedEventSelectors",
    "MultiRegionEnabled",
    "OrganizationEnabled",
    "RetentionPeriod",
    "CreatedTimestamp",
    "UpdatedTimestamp",
)
_ATTR: Final = "_taught_event_data_stores"
#: Stores per ListEventDataStores page when the caller gives no MaxResults (tests lower it to page).
page_size = 1000
_lock = threading.Lock()


def _error(code: str, message: str) -> Any:
    from moto.core.exceptions import JsonRESTError

    err = JsonRESTError(code, message)
    err.code = 400
    return err


def _stores(response: Any) -> dict[str, dict[str, Any]]:
    """The event data stores of the request's account and region, by ARN."""
    from moto.cloudtrail.models import cloudtrail_backends

    backend = cloudtrail_backends[response.current_account][response.region]
    found: dict[str, dict[str, Any]] = backend.__dict__.setdefault(_ATTR, {})
    return found


def _find(response: Any, ref: str) -> dict[str, Any]:
    for arn, store in _stores(response).items():
        if ref in (arn, arn.rsplit("/", 1)[-1], store["Name"]):
            return store
    raise _error("EventDataStoreNotFoundException", f"The specified event data store {ref} was not found.")


def _now() -> float:
    return datetime.now(UTC).timestamp()


def create_event_data_store(self: Any) -> str:
    """CreateEventDataStore, with AWS's defaults."""
    name = str(self._get_param("Name"))
    if any(s["Name"] == name for s in _stores(self).values()):
        raise _error("EventDataStoreAlreadyExistsException", f"An event data store named {name} already exists.")
    billing = self._get_param("BillingMode") or "EXTENDABLE_RETENTION_PRICING"
    retention = self._get_param("RetentionPeriod")
    if retention is None:
        retention = 366 if billing == "EXTENDABLE_RETENTION_PRICING" else 2557
    partition = "aws-cn" if self.region.startswith("cn-") else "aws"
    arn = f"arn:{partition}:cloudtrail:{self.region}:{self.current_account}:eventdatastore/{uuid.uuid4()}"
    start = self._get_param("StartIngestion")
    now = _now()
    store: dict[str, Any] = {
        "EventDataStoreArn": arn,
        "Name": name,
        "Status": "ENABLED" if start is None or start else "STOPPED_INGESTION",
        "AdvancedEventSelectors": self._get_param("AdvancedEventSelectors") or list(DEFAULT_SELECTORS),
        "MultiRegionEnabled": bool(self._get_param("MultiRegionEnabled", True)),
        "OrganizationEnabled": bool(self._get_param("OrganizationEnabled", False)),
        "RetentionPeriod": int(retention),
        "TerminationProtectionEnabled": bool(self._get_param("TerminationProtectionEnabled", True)),
        "CreatedTimestamp": now,
        "UpdatedTimestamp": now,
        "BillingMode": billing,
    }
    if self._get_param("KmsKeyId"):
        store["KmsKeyId"] = str(self._get_param("KmsKeyId"))
    with _lock:
        _stores(self)[arn] = store
    return json.dumps({**store, "TagsList": self._get_param("TagsList") or []})


def get_event_data_store(self: Any) -> str:
    """GetEventDataStore by ARN, id or name."""
    return json.dumps(_find(self, str(self._get_param("EventDataStore"))))


def list_event_data_stores(self: Any) -> str:
    """ListEventDataStores: the fields AWS lists, MaxResults per page, NextToken to go on."""
    stores = sorted(_stores(self).values(), key=lambda s: (s["CreatedTimestamp"], s["EventDataStoreArn"]))
    token = str(self._get_param("NextToken") or "")
    if token and not (token.startswith("page-") and token[5:].isdigit()):
        raise _error("InvalidNextTokenException", "A token you provided is not valid.")
    start = int(token[5:]) if token else 0
    size = int(self._get_param("MaxResults") or page_size)
    page = stores[start : start + size]
    body: dict[str, Any] = {"EventDataStores": [{k: s[k] for k in _LIST_FIELDS if k in s} for s in page]}
    if start + size < len(stores):
        body["NextToken"] = f"page-{start + size:08d}"  # AWS's tokens are opaque, 4 to 1000 characters
    return json.dumps(body)


def stop_event_data_store_ingestion(self: Any) -> str:
    """StopEventDataStoreIngestion."""
    store = _find(self, str(self._get_param("EventDataStore")))
    store["Status"] = "STOPPED_INGESTION"
    store["UpdatedTimestamp"] = _now()
    return "{}"


_HANDLERS: Final = {
    "create_event_data_store": create_event_data_store,
    "get_event_data_store": get_event_data_store,
    "list_event_data_stores": list_event_data_stores,
    "stop_event_data_store_ingestion": stop_event_data_store_ingestion,
}


def _patches() -> list[tuple[Any, str, Any]]:
    from moto.cloudtrail.responses import CloudTrailResponse
    from moto.organizations.models import FakeDelegatedAdministrator

    principals = list(FakeDelegatedAdministrator.SUPPORTED_SERVICES)
    if CLOUDTRAIL_PRINCIPAL not in principals:
        principals.append(CLOUDTRAIL_PRINCIPAL)
    out: list[tuple[Any, str, Any]] = [(CloudTrailResponse, name, fn) for name, fn in _HANDLERS.items()]
    out.append((FakeDelegatedAdministrator, "SUPPORTED_SERVICES", principals))
    return out


def install() -> None:
    """Teach moto for the rest of the process (a ``moto_server`` started for the demo or tests)."""
    for owner, name, value in _patches():
        setattr(owner, name, value)


@contextmanager
def taught() -> Iterator[None]:
    """moto taught CloudTrail Lake and the CloudTrail delegated administrator while inside."""
    missing = object()
    saved = []
    with _lock:
        for owner, name, value in _patches():
            saved.append((owner, name, owner.__dict__.get(name, missing)))
            setattr(owner, name, value)
    try:
        yield
    finally:
        with _lock:
            for owner, name, old in reversed(saved):
                if old is missing:
                    delattr(owner, name)
                else:
                    setattr(owner, name, old)

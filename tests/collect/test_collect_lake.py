"""CloudTrail Lake event data stores collected from moto (taught Lake: auditor/aws/demo_moto.py).

The stores are created with CreateEventDataStore through boto3; the collector reads
them with ListEventDataStores and GetEventDataStore as it reads AWS, and a refused
call lands in its field as a CollectionError, judged ERROR.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import boto3
import pytest

from auditor.aws import demo_moto
from auditor.aws.collect import CollectOptions, collect
from auditor.engine.checkapi import Settings, Status
from auditor.engine.registry import builtin_checks
from auditor.engine.runner import run_check
from auditor.model.snapshot import CollectionError, EventDataStoreConfig, Snapshot
from tests.builders import sound_event_data_store
from tests.collect.conftest import CALLER, OTHER_REGION, REGION, SCAN_REGIONS, CallLog, client, deny
from tests.mapping.catalogue import LAKE as LAKE_CHECKS


def _stores(snap: Snapshot, region: str = REGION) -> Any:
    reg = snap.accounts[0].region(region)
    assert reg is not None
    return reg.event_data_stores


def _results(snap: Snapshot, check_id: str) -> list[Any]:
    check = next(c for c in builtin_checks() if c.meta.id == check_id)
    return run_check(snap, check, Settings())


def test_event_data_stores_are_read_with_their_configuration(session: boto3.Session) -> None:
    key = client(session, "kms").create_key()["KeyMetadata"]["Arn"]
    ct = client(session, "cloudtrail")
    sound = ct.create_event_data_store(
        Name="org-events", KmsKeyId=key, RetentionPeriod=2557, BillingMode="FIXED_RETENTION_PRICING"
    )["EventDataStoreArn"]
    weak = client(session, "cloudtrail", OTHER_REGION).create_event_data_store(
        Name="scratch",
        MultiRegionEnabled=False,
        RetentionPeriod=30,
        TerminationProtectionEnabled=False,
        StartIngestion=False,
    )["EventDataStoreArn"]

    snap = collect(CollectOptions(regions=SCAN_REGIONS), session=session)

    assert snap.errors == ()
    (home,) = _stores(snap)
    assert (home.arn, home.name, home.region) == (sound, "org-events", REGION)
    # The builders' sound store, but for the organisation (moto has none) and the key made here.
    sound_config = sound_event_data_store().config
    assert isinstance(sound_config, EventDataStoreConfig)
    assert home.config == replace(
        sound_config,
        organization_enabled=False,
        kms_key_id=key,
        advanced_event_selectors=home.config.advanced_event_selectors,
    )
    assert [s.field for s in home.config.advanced_event_selectors[0].field_selectors] == ["eventCategory"]
    (other,) = _stores(snap, OTHER_REGION)
    assert other.arn == weak and isinstance(other.config, EventDataStoreConfig)
    assert (other.config.status, other.config.multi_region_enabled, other.config.retention_days) == (
        "STOPPED_INGESTION",
        False,
        30,
    )
    verdicts = {(r.resource_id, r.status) for c in LAKE_CHECKS for r in _results(snap, c) if c != "lake-organization"}
    assert ("org-events", Status.PASS) in verdicts and ("scratch", Status.FAIL) in verdicts
    assert ("org-events", Status.FAIL) not in verdicts


def test_every_page_of_event_data_stores_is_followed(session: boto3.Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo_moto, "page_size", 2)
    ct = client(session, "cloudtrail")
    arns = {ct.create_event_data_store(Name=f"store-{i}")["EventDataStoreArn"] for i in range(5)}
    calls = CallLog(session)

    snap = collect(CollectOptions(regions=(REGION,)), session=session)

    assert not isinstance(_stores(snap), CollectionError), _stores(snap)
    assert {s.arn for s in _stores(snap)} == arns
    assert calls.count("cloudtrail", "ListEventDataStores") == 3
    assert calls.count("cloudtrail", "GetEventDataStore") == 5


def test_a_next_token_that_repeats_is_an_incomplete_list_not_a_short_one(session: boto3.Session) -> None:
    client(session, "cloudtrail").create_event_data_store(Name="org-events")

    def looping(parsed: dict[str, Any], **_: Any) -> None:
        parsed["NextToken"] = "page-00000000"  # a token the server accepts, again and again

    session.events.register("after-call.cloudtrail.ListEventDataStores", looping)
    snap = collect(CollectOptions(regions=(REGION,)), session=session)

    err = _stores(snap)
    assert isinstance(err, CollectionError) and err.error_code == "PaginationNotFinished"
    assert err in snap.errors
    assert {r.status for r in _results(snap, "lake-ingestion")} == {Status.ERROR}


def test_refused_listing_is_an_error_for_the_region(session: boto3.Session) -> None:
    client(session, "cloudtrail").create_event_data_store(Name="org-events")
    deny(session, "cloudtrail", "ListEventDataStores")

    snap = collect(CollectOptions(regions=(REGION,)), session=session)

    err = _stores(snap)
    assert isinstance(err, CollectionError) and (err.operation, err.error_code) == (
        "ListEventDataStores",
        "AccessDenied",
    )
    for check_id in LAKE_CHECKS:
        results = _results(snap, check_id)
        assert [r.status for r in results] == [Status.ERROR], check_id
        assert "ListEventDataStores" in results[0].message


def test_refused_get_event_data_store_is_an_error_for_that_store(session: boto3.Session) -> None:
    arn = client(session, "cloudtrail").create_event_data_store(Name="org-events")["EventDataStoreArn"]
    deny(session, "cloudtrail", "GetEventDataStore")

    snap = collect(CollectOptions(regions=(REGION,)), session=session)

    (store,) = _stores(snap)
    assert (store.arn, store.name) == (arn, "org-events")
    assert isinstance(store.config, CollectionError)
    assert (store.config.operation, store.config.resource, store.config.account_id) == (
        "GetEventDataStore",
        arn,
        CALLER,
    )
    for check_id in LAKE_CHECKS:
        results = _results(snap, check_id)
        assert [r.status for r in results] == [Status.ERROR], check_id
        assert "GetEventDataStore" in results[0].message and results[0].resource_arn == arn


def test_an_account_without_stores_is_not_applicable(session: boto3.Session) -> None:
    snap = collect(CollectOptions(regions=SCAN_REGIONS), session=session)
    assert _stores(snap) == () and _stores(snap, OTHER_REGION) == ()
    for check_id in LAKE_CHECKS:
        assert {r.status for r in _results(snap, check_id)} == {Status.NOT_APPLICABLE}

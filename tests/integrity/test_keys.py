"""Public key sources: CloudTrail ListPublicKeys (through botocore's Stubber) and saved files."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from cryptography.hazmat.primitives.asymmetric import rsa

from auditor.aws.digest_source import verify_s3
from auditor.integrity import CloudTrailKeySource, CombinedKeySource, DigestScope, FileKeySource
from auditor.integrity.fixtures import build_chain, put_objects, utc
from auditor.integrity.keys import load_public_key
from auditor.integrity.model import IntegrityReport
from auditor.model.errors import AuditorError

KeyPair = tuple[rsa.RSAPrivateKey, list[dict[str, str]]]
START = utc(2026, 11, 1)


def _cloudtrail_with_keys(entries: list[dict[str, Any]], pages: int = 1) -> tuple[Any, Stubber]:
    client = boto3.client("cloudtrail", region_name="us-east-1")
    stubber = Stubber(client)
    chunks = [entries[i::pages] for i in range(pages)]
    for i, chunk in enumerate(chunks):
        response: dict[str, Any] = {"PublicKeyList": chunk}
        expected: dict[str, Any] = {"StartTime": START - timedelta(hours=1), "EndTime": START + timedelta(hours=5)}
        if i + 1 < pages:
            response["NextToken"] = f"t{i + 1}"
        if i > 0:
            expected["NextToken"] = f"t{i}"
        stubber.add_response("list_public_keys", response, expected)
    return client, stubber


def _api_entry(entry: dict[str, str]) -> dict[str, Any]:
    """What boto3 returns: Value as raw DER bytes, times as datetimes."""
    return {
        "Value": base64.b64decode(entry["Value"]),
        "Fingerprint": entry["Fingerprint"],
        "ValidityStartTime": utc(2026, 1, 1),
        "ValidityEndTime": utc(2027, 1, 1),
    }


def _verify_four_hours(s3: Any, signing_key: KeyPair, client: Any) -> IntegrityReport:
    """Seed a four-hour chain signed by ``signing_key`` and verify it with keys from ``client``."""
    chain = build_chain("acme-trail-logs", None, "111111111111", "us-east-1", START, 4, signing_key[0])
    put_objects(s3, "acme-trail-logs", chain.objects)
    scope = DigestScope("acme-trail-logs", None, "111111111111", ("us-east-1",), START, START + timedelta(hours=4))
    return verify_s3(s3, scope, CloudTrailKeySource(client))


def test_cloudtrail_list_public_keys_keys_validate_a_chain(
    s3: Any, signing_key: KeyPair, attacker_key: KeyPair
) -> None:
    client, stubber = _cloudtrail_with_keys([_api_entry(attacker_key[1][0]), _api_entry(signing_key[1][0])], pages=2)
    with stubber:
        report = _verify_four_hours(s3, signing_key, client)
        stubber.assert_no_pending_responses()
    assert report.failures() == [] and report.digests_valid == 4


def test_cloudtrail_key_source_failure_is_an_error_not_a_pass(s3: Any, signing_key: KeyPair) -> None:
    client = boto3.client("cloudtrail", region_name="us-east-1")
    stubber = Stubber(client)
    stubber.add_client_error("list_public_keys", "AccessDeniedException", "not allowed")
    with stubber:
        report = _verify_four_hours(s3, signing_key, client)
    assert report.digests_valid == 0
    assert {f.status.value for f in report.files} == {"error"}
    assert report.errors and report.errors[0].operation == "cloudtrail:ListPublicKeys"


def test_key_file_accepts_the_cli_output_with_epoch_times(tmp_path: Path, signing_key: KeyPair) -> None:
    entry = signing_key[1][0]
    path = tmp_path / "keys.json"
    path.write_text(
        json.dumps(
            {"PublicKeyList": [{**entry, "ValidityStartTime": "1793491200.0", "ValidityEndTime": "1796083200.0"}]}
        )
    )
    source = FileKeySource(path)
    assert list(source.keys_for(utc(2026, 11, 1), utc(2026, 11, 2))) == [entry["Fingerprint"]]
    assert source.keys_for(utc(2025, 1, 1), utc(2025, 1, 2)) == {}


def test_key_file_that_is_not_a_key_list_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"keys": "nope"}))
    with pytest.raises(AuditorError, match="list of public keys"):
        FileKeySource(path)
    path.write_text("{not json")
    with pytest.raises(AuditorError, match="not JSON"):
        FileKeySource(path)


def test_documented_subject_public_key_info_value_loads() -> None:
    # The third key of the ListPublicKeys sample in the CloudTrail docs (SPKI DER).
    value = (
        "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqlzPJbvZJ42UdcmLfPUqXYNfOs6I8lCfao/tOs8Cmz"
        "POEdtLWugB9xoIUz78qVHdKIqxbaG4jWHfJBiOSSFBM0lt8cdVo4TnRa7oG9io5pysS6DJhBBAeXsicufsiFJR"
        "+wrUNh8RSLxL4k6G1+BhLX20tJkZ/erT97tDGBujAelqseGg3vPZbTx9SMfOLN65PdLFudLP7Gat0Z9p5jw/rj"
        "pclKfo9Bfc3heeBxWGKwBBOKnFAaN9V57pOaosCvPKmHd9bg7jsQkI9Xp22IzGLsTFJZYVA3KiTAElDMu80iFX"
        "PHEq9hKNbt9e4URFam+1utKVEiLkR2disdCmPTK0VQIDAQAB"
    )
    assert load_public_key(value).key_size == 2048


def test_combined_source_merges_regions(signing_key: KeyPair, attacker_key: KeyPair) -> None:
    combined = CombinedKeySource(
        FileKeySource.from_entries(signing_key[1]), FileKeySource.from_entries(attacker_key[1])
    )
    keys = combined.keys_for(START, START + timedelta(hours=1))
    assert set(keys) == {signing_key[1][0]["Fingerprint"], attacker_key[1][0]["Fingerprint"]}


def test_cloudtrail_keys_are_listed_once_per_range_and_failures_are_retried(signing_key: KeyPair) -> None:
    """An organisation trail validates every member's chains over one range with one source."""
    client, stubber = _cloudtrail_with_keys([_api_entry(signing_key[1][0])])
    source = CloudTrailKeySource(client)
    lo, hi = START - timedelta(hours=1), START + timedelta(hours=5)
    with stubber:
        first = source.keys_for(lo, hi)
        second = source.keys_for(lo, hi)  # a second ListPublicKeys would find no stubbed response
        stubber.assert_no_pending_responses()
    assert first == second and len(first) == 1

    failing = boto3.client("cloudtrail", region_name="us-east-1")
    stub = Stubber(failing)
    stub.add_client_error("list_public_keys", "ThrottlingException", "slow down")
    stub.add_response("list_public_keys", {"PublicKeyList": [_api_entry(signing_key[1][0])]})
    retried = CloudTrailKeySource(failing)
    with stub:
        with pytest.raises(Exception, match="slow down"):
            retried.keys_for(lo, hi)
        assert len(retried.keys_for(lo, hi)) == 1

"""Digest-chain validation against moto S3: a clean chain, and every way to tamper with it."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from moto import mock_aws

from auditor.aws.digest_source import verify_s3
from auditor.integrity import DigestScope, FileKeySource, IntegrityReport, summary_lines
from auditor.integrity.fixtures import (
    DemoChain,
    DemoObject,
    build_chain,
    fingerprint_of,
    put_objects,
    seed_signed_chain,
    sign_digest,
    utc,
)
from auditor.model.timefmt import KEY_DATE_FORMAT
from tests.collect.aws_wire import DENIED, Wire

BUCKET = "acme-cloudtrail-logs"
PREFIX = "org"
ACCOUNT = "111111111111"
REGION = "us-east-1"
START = utc(2026, 11, 1)
HOURS = 8
END = START + timedelta(hours=HOURS)

KeyPair = tuple[rsa.RSAPrivateKey, list[dict[str, str]]]


def _chain(key: KeyPair, **kwargs: Any) -> DemoChain:
    return build_chain(BUCKET, PREFIX, ACCOUNT, REGION, START, kwargs.pop("hours", HOURS), key[0], **kwargs)


def _verify(s3: Any, key: KeyPair, chain: DemoChain, **kwargs: Any) -> IntegrityReport:
    put_objects(s3, BUCKET, chain.objects)
    return _verify_s3(s3, key, trail_arn=chain.trail_arn, **kwargs)


def _verify_s3(
    s3: Any,
    key: KeyPair,
    *,
    prefix: str | None = PREFIX,
    regions: tuple[str, ...] = (REGION,),
    start: datetime = START,
    end: datetime = END,
    keys: FileKeySource | None = None,
    **kwargs: Any,
) -> IntegrityReport:
    """verify_s3 over what the bucket holds, with this module's scope unless a test names its own."""
    keys = keys or FileKeySource.from_entries(key[1])
    return verify_s3(s3, DigestScope(BUCKET, prefix, ACCOUNT, regions, start, end, **kwargs), keys)


def _kinds(report: IntegrityReport) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in report.failures():
        out.setdefault(f.failure_kind.value if f.failure_kind else "?", []).append(f.path)
    return out


def _loc(key: str) -> str:
    return f"s3://{BUCKET}/{key}"


def _regular(chain: DemoChain) -> list[str]:
    return [k for k in chain.digest_keys if not k.endswith("_backfill.json.gz")]


def _digest_content(obj: DemoObject) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(gzip.decompress(obj.body))
    return data


def _resign(obj: DemoObject, data: dict[str, Any], key: rsa.RSAPrivateKey, *, keep_signature: bool = False) -> None:
    inflated = json.dumps(data, separators=(",", ":")).encode()
    obj.body = gzip.compress(inflated, mtime=0)
    if not keep_signature:
        obj.metadata = {
            "signature": sign_digest(key, data, inflated),
            "signature-algorithm": "SHA256withRSA",
        }


def test_clean_chain_is_all_valid_without_false_alarm(s3: Any, signing_key: KeyPair) -> None:
    chain = _chain(signing_key, logs_per_digest=2)
    report = _verify(s3, signing_key, chain)
    assert report.failures() == []
    assert report.errors == ()
    assert report.digest_gaps == ()
    assert (report.digests_total, report.digests_valid) == (HOURS, HOURS)
    assert (report.log_files_total, report.log_files_valid) == (2 * HOURS, 2 * HOURS)
    lines = summary_lines(report)
    assert lines[0] == "Results requested for 2026-11-01T00:00:00Z to 2026-11-01T08:00:00Z"
    assert f"{HOURS}/{HOURS} digest files valid" in lines


def test_modified_log_file_is_reported_as_modified(s3: Any, signing_key: KeyPair) -> None:
    chain = _chain(signing_key)
    log = chain.logs_of[_regular(chain)[3]][0]
    obj = chain.obj(log)
    obj.body = gzip.compress(gzip.decompress(obj.body).replace(b"alice", b"mallory"))
    report = _verify(s3, signing_key, chain)
    assert _kinds(report) == {"log_file_modified": [_loc(log)]}
    assert report.digests_valid == HOURS


def test_hash_is_over_the_uncompressed_log_so_recompression_is_not_tampering(s3: Any, signing_key: KeyPair) -> None:
    chain = _chain(signing_key)
    obj = chain.obj(chain.logs_of[_regular(chain)[1]][0])
    obj.body = gzip.compress(gzip.decompress(obj.body), compresslevel=1, mtime=12345)
    assert _verify(s3, signing_key, chain).failures() == []


def test_deleted_log_file_is_reported_missing(s3: Any, signing_key: KeyPair) -> None:
    chain = _chain(signing_key)
    log = chain.logs_of[_regular(chain)[2]][0]
    chain.objects = [o for o in chain.objects if o.key != log]
    report = _verify(s3, signing_key, chain)
    assert _kinds(report) == {"log_file_missing": [_loc(log)]}


def test_deleted_digest_is_reported_missing_not_as_a_gap(s3: Any, signing_key: KeyPair) -> None:
    chain = _chain(signing_key)
    gone = _regular(chain)[4]
    chain.objects = [o for o in chain.objects if o.key != gone]
    report = _verify(s3, signing_key, chain)
    assert _kinds(report) == {"digest_missing": [_loc(gone)]}
    assert report.digest_gaps == ()


def test_digest_moved_from_its_location_is_reported_moved(s3: Any, signing_key: KeyPair) -> None:
    chain = _chain(signing_key)
    original = _regular(chain)[3]
    obj = chain.obj(original)
    stamp = chain.digests[original]["digestEndTime"].replace("-", "").replace(":", "")
    moved_key = original.replace(stamp, (START + timedelta(hours=3, minutes=30)).strftime(KEY_DATE_FORMAT))
    obj.key = moved_key
    report = _verify(s3, signing_key, chain)
    kinds = _kinds(report)
    assert kinds["digest_moved"] == [_loc(moved_key)]
    assert kinds["digest_missing"] == [_loc(original)]
    assert set(kinds) == {"digest_moved", "digest_missing"}


def test_altered_digest_content_is_reported_as_content_altered(s3: Any, signing_key: KeyPair) -> None:
    # The attacker edits a log file and updates its hash in the digest: the
    # digest's signature no longer verifies and the next digest's recorded hash differs.
    chain = _chain(signing_key)
    target = _regular(chain)[2]
    obj = chain.obj(target)
    data = _digest_content(obj)
    log_obj = chain.obj(data["logFiles"][0]["s3Object"])
    raw = gzip.decompress(log_obj.body).replace(b"alice", b"mallory")
    log_obj.body = gzip.compress(raw)
    data["logFiles"][0]["hashValue"] = hashlib.sha256(raw).hexdigest()
    _resign(obj, data, signing_key[0], keep_signature=True)
    report = _verify(s3, signing_key, chain)
    assert _kinds(report) == {"digest_content_altered": [_loc(target)]}
    assert report.log_files_total == HOURS - 1  # an unverified digest vouches for nothing


Tamper = Callable[[DemoChain, DemoObject, KeyPair, KeyPair], None]


def _swap_in_another_digests_signature(chain: DemoChain, obj: DemoObject, key: KeyPair, attacker: KeyPair) -> None:
    other = chain.obj(_regular(chain)[4])
    obj.metadata = {**obj.metadata, "signature": other.metadata["signature"]}


def _resign_by_another_key(chain: DemoChain, obj: DemoObject, key: KeyPair, attacker: KeyPair) -> None:
    # under the real fingerprint
    _resign(obj, _digest_content(obj), attacker[0])


def _sign_by_an_unknown_key(chain: DemoChain, obj: DemoObject, key: KeyPair, attacker: KeyPair) -> None:
    data = _digest_content(obj)
    data["digestPublicKeyFingerprint"] = fingerprint_of(attacker[0])
    _resign(obj, data, attacker[0])


def _replace_by_a_validly_signed_digest(chain: DemoChain, obj: DemoObject, key: KeyPair, attacker: KeyPair) -> None:
    # A digest replaced by another correctly signed one (e.g. re-delivered or
    # re-signed with a leaked key) verifies alone; only the link shows it.
    data = _digest_content(obj)
    data["logFiles"] = []
    _resign(obj, data, key[0])


@pytest.mark.parametrize(
    ("index", "tamper", "kind"),
    [
        pytest.param(5, _swap_in_another_digests_signature, "signature_invalid", id="replaced-signature-metadata"),
        # the newest digest: nothing later vouches for it
        pytest.param(-1, _resign_by_another_key, "signature_invalid", id="resigned-by-another-key"),
        pytest.param(-1, _sign_by_an_unknown_key, "public_key_not_found", id="signed-by-an-unknown-key"),
        pytest.param(3, _replace_by_a_validly_signed_digest, "chain_broken", id="validly-signed-replacement"),
    ],
)
def test_tampered_digest_is_reported_by_its_kind(
    s3: Any, signing_key: KeyPair, attacker_key: KeyPair, index: int, tamper: Tamper, kind: str
) -> None:
    chain = _chain(signing_key)
    target = _regular(chain)[index]
    tamper(chain, chain.obj(target), signing_key, attacker_key)
    report = _verify(s3, signing_key, chain)
    assert _kinds(report) == {kind: [_loc(target)]}


def test_no_published_key_means_every_digest_reports_key_not_found(
    s3: Any, signing_key: KeyPair, attacker_key: KeyPair
) -> None:
    chain = _chain(signing_key)
    report = _verify(s3, signing_key, chain, keys=FileKeySource.from_entries(attacker_key[1]))
    assert set(_kinds(report)) == {"public_key_not_found"}
    assert report.digests_valid == 0


def test_forged_digest_inserted_mid_chain_is_not_part_of_the_chain(s3: Any, signing_key: KeyPair) -> None:
    chain = _chain(signing_key)
    before, after = _regular(chain)[2], _regular(chain)[3]
    template = chain.digests[after]
    stamp_after = template["digestEndTime"].replace("-", "").replace(":", "")
    forged_key = after.replace(stamp_after, (START + timedelta(hours=3, minutes=20)).strftime(KEY_DATE_FORMAT))
    data = {
        **template,
        "digestS3Object": forged_key,
        "logFiles": [],
        "digestEndTime": "2026-11-01T03:20:00Z",
        "previousDigestS3Object": before,
        "previousDigestSignature": chain.obj(before).metadata["signature"],
    }
    forged = DemoObject(forged_key, b"")
    _resign(forged, data, signing_key[0])
    chain.objects.append(forged)
    report = _verify(s3, signing_key, chain)
    assert _kinds(report) == {"chain_broken": [_loc(forged_key)]}


def test_five_hours_without_digests_is_a_precise_gap(s3: Any, signing_key: KeyPair) -> None:
    chain = _chain(signing_key, hours=14, off_hours=range(5, 10))
    report = _verify(s3, signing_key, chain, end=START + timedelta(hours=14))
    assert report.failures() == []
    assert [g.to_dict() for g in report.digest_gaps] == [
        {
            "account_id": ACCOUNT,
            "region": REGION,
            "trail_arn": chain.trail_arn,
            "start": "2026-11-01T05:00:00Z",
            "end": "2026-11-01T10:00:00Z",
            "hours": 5.0,
        }
    ]


def test_backfill_digests_validate_and_do_not_break_the_chain(s3: Any, signing_key: KeyPair) -> None:
    chain = _chain(signing_key, backfill_hours={2, 5})
    report = _verify(s3, signing_key, chain)
    assert report.failures() == []
    assert report.digest_gaps == ()
    assert report.digests_total == HOURS + 2
    assert report.log_files_valid == HOURS + 2


def test_tampered_backfill_log_is_still_reported(s3: Any, signing_key: KeyPair) -> None:
    chain = _chain(signing_key, backfill_hours={2})
    backfill = next(k for k in chain.digest_keys if k.endswith("_backfill.json.gz"))
    log = chain.logs_of[backfill][0]
    chain.objects = [o for o in chain.objects if o.key != log]
    assert _kinds(_verify(s3, signing_key, chain)) == {"log_file_missing": [_loc(log)]}


def test_only_digests_of_days_in_range_are_listed(s3: Any, signing_key: KeyPair) -> None:
    chain = build_chain(BUCKET, PREFIX, ACCOUNT, REGION, utc(2026, 10, 30, 20), 30, signing_key[0])
    put_objects(s3, BUCKET, chain.objects)
    report = _verify_s3(
        s3, signing_key, start=utc(2026, 10, 31, 10), end=utc(2026, 10, 31, 14), trail_arn=chain.trail_arn
    )
    assert report.failures() == []
    # digests ending 10:00 .. 15:00 (an hour of spill-over, like the CLI)
    assert report.digests_total == 6


def test_organization_trail_layout_validates(s3: Any, signing_key: KeyPair) -> None:
    chain = build_chain(BUCKET, None, ACCOUNT, REGION, START, 4, signing_key[0], org_id="o-abc123def4")
    put_objects(s3, BUCKET, chain.objects)
    report = _verify_s3(s3, signing_key, prefix=None, end=START + timedelta(hours=4), org_id="o-abc123def4")
    assert report.failures() == [] and report.digests_valid == 4
    assert [s.trail_arn for s in report.scopes] == [chain.trail_arn]


def test_region_without_any_digest_is_one_whole_range_gap(s3: Any, signing_key: KeyPair) -> None:
    chain = _chain(signing_key)
    put_objects(s3, BUCKET, chain.objects)
    report = _verify_s3(s3, signing_key, regions=(REGION, "eu-west-1"), trail_arn=chain.trail_arn)
    assert [(g.scope.region, g.hours) for g in report.digest_gaps] == [("eu-west-1", 8.0)]


def test_seeded_demo_chain_shows_the_two_tampered_log_files(s3: Any, signing_key: KeyPair) -> None:
    info = seed_signed_chain(s3, _chain(signing_key, hours=6), tamper=True)
    report = _verify_s3(s3, signing_key, end=START + timedelta(hours=6), trail_arn=info["trail_arn"])
    assert _kinds(report) == {
        "log_file_modified": [_loc(info["tampered"]["modified_log"])],
        "log_file_missing": [_loc(info["tampered"]["deleted_log"])],
    }


def test_bad_time_range_is_a_user_error(s3: Any, signing_key: KeyPair) -> None:
    from auditor.model.errors import AuditorError

    with pytest.raises(AuditorError):
        _verify_s3(s3, signing_key, prefix=None, start=END, end=START)


def test_digests_that_cannot_be_read_are_errors_not_a_delivery_gap(signing_key: KeyPair) -> None:
    """A refused GetObject (the answer S3 sends, parsed by botocore) is ERROR evidence; no gap is invented."""
    with mock_aws():
        writer = boto3.client("s3", region_name=REGION)
        writer.create_bucket(Bucket=BUCKET)
        chain = _chain(signing_key)
        put_objects(writer, BUCKET, chain.objects)
        session = boto3.Session(region_name=REGION)
        Wire(session).fail("s3", "GetObject", DENIED)  # hooks before the client: clients copy them
        report = _verify_s3(session.client("s3"), signing_key, trail_arn=chain.trail_arn)
    assert report.digest_gaps == ()
    assert report.errors and all(e.operation.endswith("GetObject") for e in report.errors)
    assert report.digests_valid == 0

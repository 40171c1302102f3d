"""Offline validation from a folder, the public digest samples, and the report's JSON shape."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import jsonschema
from botocore.stub import Stubber
from cryptography.hazmat.primitives.asymmetric import rsa

import auditor
from auditor.aws.digest_source import verify_s3
from auditor.integrity import (
    DigestScope,
    FileKeySource,
    merge_reports,
    parse_digest,
    summary_lines,
    verify_local,
    write_demo_chain,
)
from auditor.integrity.fixtures import build_chain, utc, write_objects
from auditor.integrity.store import SIDECAR_SUFFIX

KeyPair = tuple[rsa.RSAPrivateKey, list[dict[str, str]]]
FIXTURES = Path(__file__).parent.parent / "fixtures" / "integrity"
SCHEMA = json.loads((Path(auditor.__file__).parent / "schemas" / "integrity.schema.json").read_text())
START = utc(2026, 11, 1)
REAL = "llm-guard_327878933619_CloudTrail-Digest_ap-northeast-1_20231015T230404Z.json"


def test_local_folder_with_sidecars_reports_the_tampered_files(tmp_path: Path, signing_key: KeyPair) -> None:
    chain = build_chain("acme-logs", "pre", "111111111111", "eu-west-1", START, 6, signing_key[0])
    info = write_demo_chain(tmp_path, chain, tamper=True)
    report = verify_local(tmp_path, START, START + timedelta(hours=6), FileKeySource.from_entries(signing_key[1]))
    kinds = {f.failure_kind.value: f.path for f in report.failures() if f.failure_kind}
    assert kinds == {
        "log_file_modified": info["tampered"]["modified_log"],
        "log_file_missing": info["tampered"]["deleted_log"],
    }
    assert report.digests_valid == 6 and report.digest_gaps == ()
    jsonschema.validate(report.to_dict(), SCHEMA)


def test_without_sidecars_the_next_digest_vouches_but_the_newest_cannot_be_verified(
    tmp_path: Path, signing_key: KeyPair
) -> None:
    chain = build_chain("acme-logs", None, "111111111111", "us-east-1", START, 4, signing_key[0])
    for o in chain.objects:
        o.metadata = {}
    write_objects(tmp_path, chain.objects)
    assert not list(tmp_path.rglob(f"*{SIDECAR_SUFFIX}"))
    report = verify_local(tmp_path, None, None, FileKeySource.from_entries(signing_key[1]))
    failures = [(f.path, f.failure_kind.value if f.failure_kind else "") for f in report.failures()]
    assert failures == [(chain.digest_keys[-1], "signature_metadata_missing")]
    assert report.digests_valid == 3


def test_sidecar_may_be_saved_head_object_output(tmp_path: Path, signing_key: KeyPair) -> None:
    chain = build_chain("acme-logs", None, "111111111111", "us-east-1", START, 2, signing_key[0])
    write_objects(tmp_path, chain.objects)
    newest = tmp_path / (chain.digest_keys[-1] + SIDECAR_SUFFIX)
    newest.write_text(json.dumps({"ContentType": "application/json", "Metadata": json.loads(newest.read_text())}))
    report = verify_local(tmp_path, None, None, FileKeySource.from_entries(signing_key[1]))
    assert report.failures() == [] and report.digests_valid == 2


def test_log_path_in_a_digest_cannot_escape_the_folder(tmp_path: Path, signing_key: KeyPair) -> None:
    import gzip

    from auditor.integrity.fixtures import sign_digest

    chain = build_chain("acme-logs", None, "111111111111", "us-east-1", START, 1, signing_key[0])
    (tmp_path / "outside.json").write_text("{}")
    root = tmp_path / "bucket"
    obj = chain.obj(chain.digest_keys[0])
    data = json.loads(gzip.decompress(obj.body))
    data["logFiles"][0]["s3Object"] = "../outside.json"
    inflated = json.dumps(data).encode()
    obj.body = gzip.compress(inflated)
    obj.metadata["signature"] = sign_digest(signing_key[0], data, inflated)
    write_objects(root, chain.objects)
    report = verify_local(root, None, None, FileKeySource.from_entries(signing_key[1]))
    assert [f.failure_kind.value for f in report.failures() if f.failure_kind] == ["log_file_missing"]


def test_documentation_samples_parse() -> None:
    for name in ("awsdocs_example_digest.json", "awsdocs_example_empty_digest.json", REAL):
        data, inflated = parse_digest((FIXTURES / name).read_bytes())
        assert data["digestSignatureAlgorithm"] == "SHA256withRSA"
        assert inflated == (FIXTURES / name).read_bytes()
    empty, _ = parse_digest((FIXTURES / "awsdocs_example_empty_digest.json").read_bytes())
    assert empty["logFiles"] == []


def test_real_digest_without_signature_metadata_is_not_reported_valid(tmp_path: Path, signing_key: KeyPair) -> None:
    raw = (FIXTURES / REAL).read_bytes()
    data, _ = parse_digest(raw)
    import gzip

    path = tmp_path / data["digestS3Object"]
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(raw))
    report = verify_local(tmp_path, None, None, FileKeySource.from_entries(signing_key[1]))
    assert [(f.path, f.status.value, f.failure_kind.value if f.failure_kind else None) for f in report.files] == [
        (data["digestS3Object"], "invalid", "signature_metadata_missing")
    ]
    assert report.digests_valid == 0
    assert [s.trail_arn for s in report.scopes] == ["arn:aws:cloudtrail:us-west-2:327878933619:trail/llm-guard-trail"]
    assert any("signature metadata missing" in line for line in summary_lines(report))


def test_access_denied_listing_is_recorded_as_an_error(signing_key: KeyPair) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    stubber = Stubber(s3)
    stubber.add_client_error("list_objects_v2", "AccessDenied", "Access Denied", 403)
    with stubber:
        scope = DigestScope("acme-logs", None, "111111111111", ("us-east-1",), START, START + timedelta(hours=2))
        report = verify_s3(s3, scope, FileKeySource.from_entries(signing_key[1]))
    assert [(e.error_code, e.operation) for e in report.errors] == [("AccessDenied", "s3:ListBucket")]
    assert not report.ok
    jsonschema.validate(report.to_dict(), SCHEMA)


def test_merged_report_keeps_every_scope_and_validates(tmp_path: Path, signing_key: KeyPair) -> None:
    keys = FileKeySource.from_entries(signing_key[1])
    a, b = tmp_path / "a", tmp_path / "b"
    write_demo_chain(a, build_chain("acme-logs", None, "111111111111", "us-east-1", START, 3, signing_key[0]))
    write_demo_chain(
        b, build_chain("acme-logs", None, "222222222222", "us-east-1", START, 3, signing_key[0]), tamper=True
    )
    merged = merge_reports([verify_local(a, None, None, keys), verify_local(b, None, None, keys)])
    doc: dict[str, Any] = merged.to_dict()
    jsonschema.validate(doc, SCHEMA)
    assert doc["scope"]["accounts"] == ["111111111111", "222222222222"]
    assert doc["failure_counts"] == {"log_file_missing": 1, "log_file_modified": 1}
    assert doc["digests_total"] == 6

"""`scan --engine athena` validates the digest chains as the streaming scan does.

Digest files are not in the Athena table: both engines read them from the trail
bucket, so logs-digest-integrity judges the same integrity document under either.
The Athena table here does not exist (its log checks ERROR): the digests must not
depend on it.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from rich.console import Console

from auditor.app.pipeline import EvaluationOptions
from auditor.app.scanjob import ScanJob, ScanOutcome, run_scan_job
from auditor.aws.athena import AthenaOptions
from auditor.aws.collect import CollectOptions
from auditor.engine.checkapi import Status
from auditor.integrity.fixtures import build_chain, generate_demo_key, seed_signed_chain
from tests.collect.conftest import CALLER, REGION, access_denied, client, seed_configured_account, session

__all__ = ["session"]  # the moto-backed session fixture of the collection tests

KeyPair = tuple[rsa.RSAPrivateKey, list[dict[str, str]]]
CHECK = "logs-digest-integrity"


@pytest.fixture(scope="module")
def signing_key() -> KeyPair:
    """One RSA key for the module (generating keys is the slow part)."""
    return generate_demo_key()


def _seed(session: boto3.Session, key: KeyPair, tmp_path: Path, *, tamper: bool) -> Path:
    """The configured account's trail bucket holding six hours of signed digests; the keys file."""
    seeded = seed_configured_account(session)
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=8)
    s3 = client(session, "s3")
    chain = build_chain(seeded.bucket, None, CALLER, REGION, start, 6, key[0], trail_arn=seeded.trail_arn)
    seed_signed_chain(s3, chain, tamper)
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps(key[1]))
    return keys


def _scan(session: boto3.Session, keys: Path, now: datetime, *, athena: bool) -> tuple[ScanOutcome, str]:
    out = io.StringIO()
    job = ScanJob(
        collect=CollectOptions(regions=(REGION,)),
        evaluation=EvaluationOptions(),
        logs_since="1d",
        public_keys=keys,
        athena=AthenaOptions(table="trail.cloudtrail_logs", output="s3://results/q/") if athena else None,
    )
    outcome = run_scan_job(job, session=session, console=Console(file=out, width=200), now=now)
    return outcome, out.getvalue()


def _digest_results(outcome: ScanOutcome) -> list[tuple[str, Status, str]]:
    return sorted((f.resource_id, f.status, f.message) for f in outcome.results.findings if f.check_id == CHECK)


def _document(outcome: ScanOutcome) -> dict[str, Any]:
    assert outcome.snapshot.integrity is not None
    return outcome.snapshot.integrity.to_dict()


def _both(session: boto3.Session, keys: Path) -> tuple[ScanOutcome, ScanOutcome, str]:
    now = datetime.now(UTC)  # one window for both runs
    stream, _ = _scan(session, keys, now, athena=False)
    athena, said = _scan(session, keys, now, athena=True)
    return stream, athena, said


@pytest.mark.parametrize(("tamper", "verdict"), [(False, Status.PASS), (True, Status.FAIL)], ids=["clean", "tampered"])
def test_a_chain_is_judged_alike_under_both_engines_with_the_same_document(
    session: boto3.Session,
    signing_key: KeyPair,
    tmp_path: Path,
    moto_env: dict[str, str],
    tamper: bool,
    verdict: Status,
) -> None:
    """A clean chain passes and a tampered one fails, under either engine."""
    keys = _seed(session, signing_key, tmp_path, tamper=tamper)

    stream, athena, said = _both(session, keys)

    assert _digest_results(athena) == _digest_results(stream)
    assert {status for _, status, _ in _digest_results(athena)} == {verdict}
    assert _document(athena) == _document(stream)
    assert "Validating digests of acme-trail from s3://acme-cloudtrail-logs-" in said
    # the Athena evidence could not be computed (no table): its checks ERROR, the digests still count
    assert athena.snapshot.log_evidence is not None
    log_checks = {f.status for f in athena.results.findings if f.check_id == "logs-root-activity"}
    assert log_checks == {Status.ERROR}


def test_a_digest_that_cannot_be_read_is_an_error_under_both_engines(
    session: boto3.Session, signing_key: KeyPair, tmp_path: Path, moto_env: dict[str, str]
) -> None:
    keys = _seed(session, signing_key, tmp_path, tamper=False)

    def refuse_digests(params: dict[str, Any], **_: Any) -> None:
        if "CloudTrail-Digest" in str(params.get("Key", "")):
            raise access_denied("GetObject")

    session.events.register("before-parameter-build.s3.GetObject", refuse_digests)
    stream, athena, _ = _both(session, keys)

    assert _digest_results(athena) == _digest_results(stream)
    results = _digest_results(athena)
    assert results and {status for _, status, _ in results} == {Status.ERROR}
    errors = _document(athena)["errors"]
    assert errors and all(e["operation"] == "s3:GetObject" and e["error_code"] == "AccessDenied" for e in errors), (
        errors
    )

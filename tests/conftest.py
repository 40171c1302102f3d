"""Shared test configuration: never let a test reach real AWS."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials and region, so that boto3 can only talk to moto."""
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


@pytest.fixture(autouse=True, scope="session")
def _moto_taught_what_it_lacks() -> Iterator[None]:
    """moto as the demo runs it: taught CloudTrail Lake and the CloudTrail delegated administrator.

    moto 5.2 lacks both (auditor/aws/demo_moto.py says how they are simulated); every
    scan against moto makes those calls, so every test's moto answers them (session-wide, so that
    module-scoped seeding fixtures see it too).
    """
    try:
        import moto  # noqa: F401

        from auditor.aws.demo_moto import taught
    except ImportError:  # a test environment without the demo extra
        yield
        return
    with taught():
        yield

"""Shared pieces for digest-validation tests: a signing key and a moto S3 bucket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from moto import mock_aws

from auditor.integrity.fixtures import generate_demo_key


@pytest.fixture(scope="session")
def signing_key() -> tuple[rsa.RSAPrivateKey, list[dict[str, str]]]:
    """One RSA key for the session (generating keys is the slow part)."""
    return generate_demo_key()


@pytest.fixture(scope="session")
def attacker_key() -> tuple[rsa.RSAPrivateKey, list[dict[str, str]]]:
    """A second key that CloudTrail never published."""
    return generate_demo_key()


@pytest.fixture
def s3() -> Iterator[Any]:
    """An in-process moto S3 client."""
    with mock_aws():
        yield boto3.client("s3", region_name="us-east-1")

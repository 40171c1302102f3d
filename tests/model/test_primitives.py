"""The one time format and the one ARN reader (auditor.model.timefmt, auditor.model.arn)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from auditor.model.arn import GLOBAL, Arn, arn_part, log_group_name, parse_arn, partition_of
from auditor.model.timefmt import hour_stamp, iso, parse_iso, parse_key_date


def test_times_parse_to_aware_utc_and_format_with_z() -> None:
    paris = timezone(timedelta(hours=1))
    assert parse_iso("2026-01-02T03:04:05Z") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_iso("2026-01-02T04:04:05+01:00").tzinfo is UTC
    assert parse_iso("2026-01-02T03:04:05") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)  # naive is UTC
    assert iso(datetime(2026, 1, 2, 4, 4, 5, 999, tzinfo=paris)) == "2026-01-02T03:04:05Z"
    assert iso(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05Z"
    assert hour_stamp(parse_iso("2026-01-02T03:59:59Z")) == "2026-01-02T03:00:00Z"
    assert parse_key_date("20260102T030405Z") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_iso("last tuesday")


def test_arns_split_on_the_first_five_colons_only() -> None:
    arn = parse_arn("arn:aws:logs:eu-west-1:111111111111:log-group:trail:logs:*")
    assert arn == Arn("aws", "logs", "eu-west-1", "111111111111", "log-group:trail:logs:*")
    assert log_group_name(arn) == "trail:logs"
    trail = Arn.parse("arn:aws-cn:cloudtrail:cn-north-1:111111111111:trail/org")
    assert (trail.partition, trail.resource_name) == ("aws-cn", "org")
    assert parse_arn("arn:aws:s3") is None and parse_arn("not:an:arn:at:all:x") is None
    with pytest.raises(ValueError):
        Arn.parse("111111111111")


def test_arn_parts_are_lenient_for_truncated_arns() -> None:
    assert arn_part("arn:aws:iam::*", 4) == "*"
    assert arn_part("arn:aws:iam::*", 5) == ""
    assert arn_part("111111111111", 4) == ""
    assert partition_of("arn:aws-us-gov:iam::1:root") == "aws-us-gov"
    assert partition_of(None) == partition_of("") == "aws"
    assert GLOBAL == "global"


def test_a_collection_error_is_one_evidence_shape() -> None:
    from auditor.model.snapshot import CollectionError

    err = CollectionError("111111111111", "eu-west-1", "s3", "GetBucketPolicy", "AccessDenied", "no", "b")
    assert err.evidence() == {
        "account_id": "111111111111",
        "region": "eu-west-1",
        "service": "s3",
        "operation": "GetBucketPolicy",
        "error_code": "AccessDenied",
        "message": "no",
        "resource": "b",
    }
    assert err.evidence(located=False) == {
        "service": "s3",
        "operation": "GetBucketPolicy",
        "error_code": "AccessDenied",
        "message": "no",
        "resource": "b",
    }

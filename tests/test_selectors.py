"""auditor.semantics.event_selectors: management and S3 data event coverage of basic and advanced selectors."""

from __future__ import annotations

import pytest

from auditor.model.snapshot import (
    AdvancedEventSelector,
    BasicEventSelector,
    DataResource,
    EventSelectors,
    FieldSelector,
)
from auditor.semantics.event_selectors import (
    OTHER_SOURCES,
    field_matches,
    is_all_buckets_value,
    management_coverage,
    s3_data_coverage,
)


def basic(*selectors: BasicEventSelector) -> EventSelectors:
    return EventSelectors(basic=selectors)


def adv(*selectors: tuple[FieldSelector, ...]) -> EventSelectors:
    return EventSelectors(
        advanced=tuple(AdvancedEventSelector(name=f"sel{i}", field_selectors=fs) for i, fs in enumerate(selectors))
    )


MGMT = FieldSelector("eventCategory", equals=("Management",))
DATA = FieldSelector("eventCategory", equals=("Data",))
S3OBJ = FieldSelector("resources.type", equals=("AWS::S3::Object",))


# --------------------------------------------------------------------------- field matching


def test_field_matches_each_operator() -> None:
    assert field_matches(FieldSelector("f", equals=("a", "b")), "b")
    assert not field_matches(FieldSelector("f", equals=("a",)), "b")
    assert field_matches(FieldSelector("f", starts_with=("ab",)), "abc")
    assert not field_matches(FieldSelector("f", starts_with=("ab",)), "xabc")
    assert field_matches(FieldSelector("f", ends_with=("bc",)), "abc")
    assert not field_matches(FieldSelector("f", not_equals=("a",)), "a")
    assert field_matches(FieldSelector("f", not_equals=("a",)), "b")
    assert not field_matches(FieldSelector("f", not_starts_with=("a",)), "abc")
    assert not field_matches(FieldSelector("f", not_ends_with=("c",)), "abc")


def test_field_operators_are_anded() -> None:
    fs = FieldSelector("f", starts_with=("a",), not_equals=("ab",))
    assert field_matches(fs, "ac")
    assert not field_matches(fs, "ab")


# --------------------------------------------------------------------------- basic management

#: A basic selector's ReadWriteType and whether it records (reads, writes).
READ_WRITE_TYPES = [
    ("All", True, True),
    ("ReadOnly", True, False),
    ("WriteOnly", False, True),
]


@pytest.mark.parametrize(("rw", "read", "write"), READ_WRITE_TYPES)
def test_basic_read_write_type(rw: str, read: bool, write: bool) -> None:
    cov = management_coverage(basic(BasicEventSelector(read_write_type=rw)))
    assert (cov.read, cov.write) == (read, write)
    assert cov.complete is (read and write)


def test_basic_without_management_events_records_none() -> None:
    cov = management_coverage(basic(BasicEventSelector(include_management_events=False)))
    assert not cov.any
    assert not cov.complete
    assert cov.describe() == "records no management events"


def test_no_selectors_records_no_management_events() -> None:
    assert not management_coverage(EventSelectors()).any


def test_basic_excluded_sources_are_gaps() -> None:
    cov = management_coverage(
        basic(BasicEventSelector(exclude_management_event_sources=("kms.amazonaws.com", "rdsdata.amazonaws.com")))
    )
    assert cov.read and cov.write
    assert not cov.complete
    assert cov.excluded_sources == ("kms.amazonaws.com", "rdsdata.amazonaws.com")
    assert "kms.amazonaws.com" in cov.describe()


def test_basic_read_and_write_selectors_combine() -> None:
    cov = management_coverage(
        basic(BasicEventSelector(read_write_type="ReadOnly"), BasicEventSelector(read_write_type="WriteOnly"))
    )
    assert cov.complete


def test_basic_exclusion_compensated_by_another_selector() -> None:
    cov = management_coverage(
        basic(
            BasicEventSelector(exclude_management_event_sources=("kms.amazonaws.com",)),
            BasicEventSelector(read_write_type="All"),
        )
    )
    assert cov.complete


def test_basic_exclusion_for_writes_only_is_a_write_gap() -> None:
    cov = management_coverage(
        basic(
            BasicEventSelector(read_write_type="ReadOnly"),
            BasicEventSelector(read_write_type="WriteOnly", exclude_management_event_sources=("kms.amazonaws.com",)),
        )
    )
    assert cov.read_gaps == ()
    assert cov.write_gaps == ("kms.amazonaws.com",)
    assert not cov.complete


def test_unknown_read_write_type_is_never_complete() -> None:
    cov = management_coverage(basic(BasicEventSelector(read_write_type="Everything")))
    assert not cov.complete


# --------------------------------------------------------------------------- advanced management


def test_advanced_management_without_read_only_records_both() -> None:
    assert management_coverage(adv((MGMT,))).complete


@pytest.mark.parametrize(("value", "read", "write"), [("true", True, False), ("false", False, True)])
def test_advanced_read_only_field(value: str, read: bool, write: bool) -> None:
    cov = management_coverage(adv((MGMT, FieldSelector("readOnly", equals=(value,)))))
    assert (cov.read, cov.write) == (read, write)
    assert not cov.complete


def test_advanced_read_and_write_selectors_combine() -> None:
    cov = management_coverage(
        adv((MGMT, FieldSelector("readOnly", equals=("true",))), (MGMT, FieldSelector("readOnly", equals=("false",))))
    )
    assert cov.complete


def test_advanced_event_source_not_equals_is_exclusion() -> None:
    cov = management_coverage(adv((MGMT, FieldSelector("eventSource", not_equals=("kms.amazonaws.com",)))))
    assert cov.read and cov.write
    assert cov.excluded_sources == ("kms.amazonaws.com",)
    assert not cov.complete


def test_advanced_event_source_equals_records_only_that_source() -> None:
    cov = management_coverage(adv((MGMT, FieldSelector("eventSource", equals=("iam.amazonaws.com",)))))
    assert cov.read and cov.write
    assert OTHER_SOURCES in cov.read_gaps
    assert not cov.complete


def test_advanced_unknown_field_is_never_complete() -> None:
    cov = management_coverage(adv((MGMT, FieldSelector("eventName", equals=("CreateUser",)))))
    assert cov.any
    assert not cov.complete
    assert cov.unevaluated


def test_advanced_data_selector_is_not_management() -> None:
    assert not management_coverage(adv((DATA, S3OBJ))).any


def test_advanced_selector_without_category_is_not_management() -> None:
    assert not management_coverage(adv((FieldSelector("readOnly", equals=("true",)),))).any


# --------------------------------------------------------------------------- S3 data events


@pytest.mark.parametrize("value", ["arn:aws:s3", "arn:aws:s3:::", "arn:aws-us-gov:s3", "arn:aws-cn:s3:::"])
def test_all_buckets_values(value: str) -> None:
    assert is_all_buckets_value(value)


@pytest.mark.parametrize(
    "value", ["arn:aws:s3:::my-bucket/", "arn:aws:s3:::my-bucket", "arn:aws:s3:::a/b", "arn:aws:s3x"]
)
def test_specific_bucket_values_are_not_all_buckets(value: str) -> None:
    assert not is_all_buckets_value(value)


@pytest.mark.parametrize(("rw", "read", "write"), READ_WRITE_TYPES)
def test_basic_s3_all_buckets(rw: str, read: bool, write: bool) -> None:
    cov = s3_data_coverage(
        basic(
            BasicEventSelector(
                read_write_type=rw, data_resources=(DataResource("AWS::S3::Object", ("arn:aws:s3:::",)),)
            )
        )
    )
    assert (cov.read, cov.write) == (read, write)


def test_basic_s3_specific_bucket_is_partial() -> None:
    cov = s3_data_coverage(
        basic(BasicEventSelector(data_resources=(DataResource("AWS::S3::Object", ("arn:aws:s3:::my-bucket/",)),)))
    )
    assert not cov.read and not cov.write
    assert cov.partial


def test_basic_lambda_data_resource_is_not_s3() -> None:
    cov = s3_data_coverage(
        basic(BasicEventSelector(data_resources=(DataResource("AWS::Lambda::Function", ("arn:aws:lambda",)),)))
    )
    assert not cov.read and not cov.write


def test_advanced_s3_all_buckets_both() -> None:
    cov = s3_data_coverage(adv((DATA, S3OBJ)))
    assert cov.read and cov.write


@pytest.mark.parametrize(("value", "read", "write"), [("true", True, False), ("false", False, True)])
def test_advanced_s3_read_only(value: str, read: bool, write: bool) -> None:
    cov = s3_data_coverage(adv((DATA, S3OBJ, FieldSelector("readOnly", equals=(value,)))))
    assert (cov.read, cov.write) == (read, write)


@pytest.mark.parametrize("prefix", ["arn:aws:s3", "arn:aws:s3:::", "arn:"])
def test_advanced_s3_arn_prefix_covering_all(prefix: str) -> None:
    cov = s3_data_coverage(adv((DATA, S3OBJ, FieldSelector("resources.ARN", starts_with=(prefix,)))))
    assert cov.read and cov.write


@pytest.mark.parametrize(
    "arn",
    [
        FieldSelector("resources.ARN", starts_with=("arn:aws:s3:::my-bucket/",)),
        FieldSelector("resources.ARN", equals=("arn:aws:s3:::b/key",)),
        FieldSelector("resources.ARN", not_starts_with=("arn:aws:s3:::noisy-bucket/",)),
        FieldSelector("resources.ARN", starts_with=("arn:aws:s3",), not_equals=("arn:aws:s3:::b/k",)),
    ],
)
def test_advanced_s3_arn_restriction_is_partial(arn: FieldSelector) -> None:
    cov = s3_data_coverage(adv((DATA, S3OBJ, arn)))
    assert not cov.read and not cov.write
    assert cov.partial


def test_advanced_s3_event_name_restriction_is_partial() -> None:
    cov = s3_data_coverage(adv((DATA, S3OBJ, FieldSelector("eventName", equals=("PutObject",)))))
    assert not cov.write
    assert cov.partial


def test_advanced_other_resource_type_is_not_s3() -> None:
    cov = s3_data_coverage(adv((DATA, FieldSelector("resources.type", equals=("AWS::DynamoDB::Table",)))))
    assert not cov.read and not cov.write


def test_advanced_management_selector_records_no_s3_data() -> None:
    cov = s3_data_coverage(adv((MGMT,)))
    assert not cov.read and not cov.write


def test_advanced_s3_event_source_s3_is_fine() -> None:
    cov = s3_data_coverage(adv((DATA, S3OBJ, FieldSelector("eventSource", equals=("s3.amazonaws.com",)))))
    assert cov.read and cov.write

"""The shared wildcard matcher: regex semantics without regex backtracking (issue 17, item 3)."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.model.wildcard import Glob, glob_match


def _regex(pattern: str, case_sensitive: bool, question_mark: bool) -> re.Pattern[str]:
    """The reference: what the callers compiled before (fnmatch-style, no classes)."""
    parts = (".*" if c == "*" else "." if c == "?" and question_mark else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.DOTALL | (0 if case_sensitive else re.IGNORECASE))


PATTERNS = st.text(alphabet="ab*?A\n", max_size=8)
VALUES = st.text(alphabet="abAB?*\n", max_size=10)


@settings(max_examples=2000, deadline=None, database=None)  # no .hypothesis/ in the checkout
@given(PATTERNS, VALUES, st.booleans(), st.booleans())
def test_agrees_with_the_regex_it_replaces(pattern: str, value: str, case_sensitive: bool, question_mark: bool) -> None:
    expected = _regex(pattern, case_sensitive, question_mark).fullmatch(value) is not None
    assert glob_match(pattern, value, case_sensitive=case_sensitive, question_mark=question_mark) is expected


#: (pattern, value, matches) for patterns whose only wildcard is ``*``: every caller's
#: matcher agrees on these (tests/test_filterpattern.py runs them through filter patterns).
STAR_EXAMPLES = [
    ("AccessDenied*", "AccessDeniedException", True),
    ("AccessDenied*", "AccessDenied", True),
    ("AccessDenied*", "XAccessDenied", False),
    ("*UnauthorizedOperation", "Client.UnauthorizedOperation", True),
    ("*UnauthorizedOperation", "UnauthorizedOperationX", False),
    ("a*c", "abbbc", True),
    ("a*c", "ab", False),
    ("a.c", "abc", False),  # regex characters are literal
    ("a*a", "a", False),
    ("a*a", "aa", True),
    ("arn:aws:s3:::b/*", "arn:aws:s3:::b/AWSLogs/1/x", True),
    ("arn:aws:s3:::b/*", "arn:aws:s3:::c/AWSLogs", False),
]


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("", "", True),
        ("", "a", False),
        ("*", "", True),
        ("*", "anything\nat all", True),
        ("kms:Generate?ataKey*", "kms:GenerateDataKeyWithoutPlaintext", True),
        *STAR_EXAMPLES,
    ],
)
def test_examples(pattern: str, value: str, expected: bool) -> None:
    assert glob_match(pattern, value) is expected


def test_case_insensitive_folds_both_sides() -> None:
    assert glob_match("S3:Put*", "s3:putobject", case_sensitive=False)
    assert not glob_match("S3:Put*", "s3:putobject")


def test_tokens_keep_escaped_wildcards_literal() -> None:
    glob = Glob.from_tokens([("t", "a*"), ("*", ""), ("t", "?b")])
    assert glob.matches("a*xyz?b")
    assert not glob.matches("aXyz?b")


@pytest.mark.parametrize("pattern", ["*" * 40 + "Q", "*a" * 40 + "Q", "?*" * 40 + "Q", "a*" * 20 + "?" * 20 + "*Q"])
def test_many_stars_against_long_text_is_fast(pattern: str) -> None:
    value = "a" * 20_000
    start = time.perf_counter()
    assert not glob_match(pattern, value)
    assert not glob_match(pattern, value, case_sensitive=False)
    assert time.perf_counter() - start < 0.05

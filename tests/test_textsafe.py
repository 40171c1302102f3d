"""clean_text: the one gate untrusted text passes before a report or the console."""

from __future__ import annotations

import pytest

from auditor.model.textsafe import REPLACEMENT, clean_text


@pytest.mark.parametrize(
    "raw",
    [
        "\x1b]52;c;ZXZpbA==\x07",  # OSC 52 clipboard write
        "\x1b[2J\x1b[H",  # clear screen
        "\x9b31m",  # C1 CSI
        "\x00\x7f\x85",
        "evil\u202egpj.exe",  # right-to-left override
        "\u2066a\u2067b\u2068c\u2069",  # isolates
        "\u202a\u202b\u202c\u202d",
        "\ud800",  # lone surrogate
        "a\u2028b",
        "x.json\rgate PASSED",
    ],
)
def test_controls_and_bidi_are_replaced(raw: str) -> None:
    out = clean_text(raw)
    assert REPLACEMENT in out
    assert all(ch.isprintable() or ch == REPLACEMENT for ch in out)
    out.encode("utf-8")  # never raises


def test_newline_cannot_forge_a_line_in_a_single_line_field() -> None:
    assert clean_text("x.json\ngate PASSED: 0 failing") == "x.json\ufffdgate PASSED: 0 failing"


def test_multiline_keeps_line_feeds_and_tabs_but_not_carriage_returns() -> None:
    assert clean_text("a\r\nb\n\tc\rd\x1b", multiline=True) == "a\nb\n\tc\ufffdd\ufffd"


def test_ordinary_text_is_unchanged() -> None:
    text = "arn:aws:s3:::bucket/AWSLogs/123456789012/é ü 日本\tend"
    assert clean_text(text) == text

"""The redactor removes a credential whole, whatever its first character, in every shape the SDK logs it.

Found by the CLI's debug-output test, which failed about one run in forty: moto's
secret keys are random, and a secret starting with ``b`` lost its first letter to
the separator (the ``b`` of a ``b'...'`` bytes literal), so the output read
``<SecretAccessKey>b<redacted>``.
"""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from auditor.model.redact import REDACTED, redact

#: What AWS secret keys, session tokens and signatures are written with (base64 and hex).
_CREDENTIAL_CHARS = string.ascii_letters + string.digits + "+/="
_values = st.text(alphabet=_CREDENTIAL_CHARS, min_size=8, max_size=60).filter(lambda v: not v.startswith("="))

#: How botocore's debug log and the CLI's own messages carry a named credential.
_SHAPES = (
    "<SecretAccessKey>{v}</SecretAccessKey>",
    "<SessionToken>{v}</SessionToken>",
    '"SecretAccessKey": "{v}"',
    "'X-Amz-Security-Token': b'{v}'",
    "'aws_session_token': '{v}'",
    "X-Amz-Signature={v}&X-Amz-Date=20260101T000000Z",
    "ExternalId={v}",
    "Signature={v}",
)


@given(value=_values, shape=st.sampled_from(_SHAPES))
def test_a_named_credential_is_redacted_whole(value: str, shape: str) -> None:
    text = f"DEBUG botocore.parsers: Response body: {shape.format(v=value)}"
    out = redact(text)
    assert value not in out
    name_end = shape.index("{v}")
    assert shape[:name_end] + REDACTED in out.replace("b'<redacted>", "b'" + REDACTED)
    assert out.startswith("DEBUG botocore.parsers: Response body: ")


def test_a_secret_starting_with_b_keeps_no_letter() -> None:
    out = redact("<SecretAccessKey>bSecretValue0123456789</SecretAccessKey>")
    assert out == f"<SecretAccessKey>{REDACTED}</SecretAccessKey>"


def test_a_bytes_literal_keeps_its_quote_and_loses_its_value() -> None:
    out = redact("{'X-Amz-Security-Token': b'FQoGZXIvYXdzEBYaDtoken+/='}")
    assert out == f"{{'X-Amz-Security-Token': b'{REDACTED}'}}"

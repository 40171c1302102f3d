"""Fuzz the loaders of attacker-shapeable files (issue 11, systematic part).

For the snapshot, results and baseline loaders, hypothesis generates random
JSON and YAML, mutations of valid documents (a random field replaced by a
random value), deep nesting, aliases, wrong types, huge numbers and lone
surrogates. The only allowed outcomes are a loaded object or an
:class:`~auditor.model.errors.AuditorError` whose message names the file; any other
exception is a crash and fails the test. Memory stays bounded: the peak
traced allocation of every example is checked.

The budget is fixed (``derandomize`` and ``max_examples``) so that CI runs the
same cases in well under 30 s; set ``FUZZ_EXAMPLES`` to run more locally.
"""

from __future__ import annotations

import json
import os
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.engine.checkapi import Status
from auditor.engine.results_io import load_results
from auditor.gate.baseline import load_baseline
from auditor.model.errors import AuditorError
from auditor.model.snapshot_io import load_snapshot
from tests.builders import sound_snapshot
from tests.gate.builders import finding, results

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
#: Peak memory one example may allocate (the inputs are at most a few hundred KB).
PEAK_LIMIT = 64 * 1024 * 1024
TRIED: dict[str, int] = {}

# Text that includes lone surrogates, controls and astral characters.
_chars = st.characters(codec=None, categories=None)
_text = st.text(_chars, max_size=40)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**200), max_value=2**200),
    st.floats(allow_nan=True, allow_infinity=True),
    _text,
    st.sampled_from(
        [
            "PASS",
            "FAIL",
            "WAIVED",
            "high",
            "critical",
            "2026-11-20T10:00:00Z",
            "",
            "*",
            "1.0",
            "trail-auditor",
            "collection_error",
            "2027-06-30",
            "\ud800",
        ]
    ),
)
_json = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(_text, inner, max_size=5)),
    max_leaves=30,
)


def _valid_results() -> dict[str, Any]:
    doc: dict[str, Any] = results(
        [finding("bucket-versioning", Status.FAIL), finding("trail-enabled", Status.PASS)]
    ).to_dict()
    return doc


def _valid_snapshot() -> dict[str, Any]:
    snap = sound_snapshot()
    return {"format": "trail-auditor-snapshot", "sha256": snap.sha256(), "snapshot": snap.to_dict()}


VALID_BASELINE: dict[str, Any] = {
    "version": 1,
    "frameworks": ["pci-dss-4.0.1"],
    "fail_on": "high",
    "profile": "pci",
    "trusted_accounts": ["111122223333"],
    "severity_overrides": {"trail-insights": "info"},
    "waivers": [
        {
            "check": "bucket-mfa-delete",
            "account": "123456789012",
            "resource": "arn:aws:s3:::acme*",
            "reason": "Object Lock",
            "owner": "secops@example.com",
            "expires": "2027-06-30",
        }
    ],
}


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value in a JSON document (for mutation)."""
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out.extend(_paths(v, (*prefix, i)))
    return out


def _mutated(valid: Callable[[], dict[str, Any]]) -> st.SearchStrategy[Any]:
    """A valid document with one value (or a whole subtree) replaced by a random one."""
    template = valid()
    paths = _paths(template)

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        doc = valid()
        for _ in range(draw(st.integers(1, 3))):
            path = draw(st.sampled_from(paths))
            value = draw(_json)
            if not path:
                return value
            target = doc
            try:
                for part in path[:-1]:
                    target = target[part]
                target[path[-1]] = value
            except (KeyError, IndexError, TypeError):
                continue
        return doc

    return build()


def _nested(depth: st.SearchStrategy[int]) -> st.SearchStrategy[str]:
    return depth.flatmap(lambda n: st.sampled_from(["[" * n + "]" * n, '{"a":' * n + "1" + "}" * n, "[" * n]))


def _dump(doc: Any, draw_style: int) -> bytes:
    ascii_only = draw_style % 2 == 0
    text = json.dumps(doc, ensure_ascii=ascii_only, allow_nan=True)
    return text.encode("utf-8", errors="surrogatepass")


def _json_inputs(valid: Callable[[], dict[str, Any]]) -> st.SearchStrategy[bytes]:
    as_json = st.tuples(st.one_of(_mutated(valid), _json), st.integers(0, 1)).map(lambda t: _dump(*t))
    deep = _nested(st.integers(60, 3000)).map(str.encode)
    deep_in_valid = st.integers(50, 2000).map(lambda n: _deep_inside(valid(), n))
    return st.one_of(as_json, deep, deep_in_valid, st.binary(max_size=200))


def _deep_inside(doc: dict[str, Any], n: int) -> bytes:
    """A valid document whose first field holds an object nested ``n`` levels (built as text)."""
    first = next(iter(doc))
    doc[first] = "@@DEEP@@"
    return json.dumps(doc).replace('"@@DEEP@@"', '{"k":' * n + "1" + "}" * n).encode()


def _aliases(draw: st.DrawFn) -> str:
    levels = draw(st.integers(1, 9))
    width = draw(st.integers(1, 9))
    lines = [f"a0: &a0 [{','.join(['x'] * width)}]"]
    lines += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@st.composite
def _yaml_inputs(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 5))
    if kind == 0:
        text = _aliases(draw)
    elif kind == 1:
        text = draw(_nested(st.integers(60, 3000)))
    elif kind == 2:
        doc = draw(_mutated(lambda: json.loads(json.dumps(VALID_BASELINE))))
        text = yaml.safe_dump(doc, allow_unicode=draw(st.booleans()))
    elif kind == 3:
        # YAML-shaped noise: tags, anchors, flow and block syntax, dates, escapes.
        pieces = st.sampled_from(
            [
                "version: 1\n",
                "waivers:\n",
                "  - ",
                "check: x\n",
                "&a ",
                "*a ",
                "!!binary ",
                "!!python/object:os.system ",
                "? ",
                ": ",
                "[",
                "]",
                "{",
                "}",
                "- ",
                "'",
                '"\\ud800"',
                '"\\x00"',
                "2027-06-30",
                "<<: *a\n",
                "\t",
                "---\n",
                "...\n",
                "%YAML 1.1\n",
                "!!set {a, b}\n",
                "expires: 2027-13-45\n",
                "1e999",
                ".nan",
                "fail_on: ",
                "severity_overrides: {2020-01-01: info}\n",
            ]
        )
        text = "".join(draw(st.lists(pieces, max_size=40)))
    elif kind == 4:
        return draw(st.binary(max_size=200))
    else:
        text = draw(_text)
    try:
        return text.encode("utf-8", errors="surrogatepass")
    except UnicodeEncodeError:  # pragma: no cover - surrogatepass encodes every str
        return b""


def _check(kind: str, tmp: Path, data: bytes, load: Callable[[Path], Any]) -> None:
    """The loader returns an object or raises AuditorError naming the file; memory stays bounded."""
    TRIED[kind] = TRIED.get(kind, 0) + 1
    path = tmp / f"input-{kind}"
    path.write_bytes(data)
    tracemalloc.start()
    try:
        load(path)
    except AuditorError as exc:
        assert str(path) in str(exc), str(exc)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < PEAK_LIMIT, f"{kind}: {peak} bytes for a {len(data)}-byte input"


@FUZZ
@given(data=_json_inputs(_valid_results))
def test_results_loader_only_loads_or_reports(tmp_path: Path, data: bytes) -> None:
    _check("results", tmp_path, data, load_results)


@FUZZ
@given(data=_json_inputs(_valid_snapshot))
def test_snapshot_loader_only_loads_or_reports(tmp_path: Path, data: bytes) -> None:
    _check("snapshot", tmp_path, data, load_snapshot)


@FUZZ
@given(data=_yaml_inputs())
def test_baseline_loader_only_loads_or_reports(tmp_path: Path, data: bytes) -> None:
    _check("baseline", tmp_path, data, load_baseline)


def test_the_valid_documents_load(tmp_path: Path) -> None:
    """The mutation seeds are valid, so the fuzz explores near real documents, not only noise."""
    tmp = tmp_path
    (tmp / "r.json").write_text(json.dumps(_valid_results()), encoding="utf-8")
    (tmp / "s.json").write_text(json.dumps(_valid_snapshot()), encoding="utf-8")
    (tmp / "b.yaml").write_text(yaml.safe_dump(VALID_BASELINE), encoding="utf-8")
    assert load_results(tmp / "r.json").findings
    assert load_snapshot(tmp / "s.json").accounts
    assert load_baseline(tmp / "b.yaml").waivers

"""Compiled filter patterns against a plain reading of their documented semantics.

The compiled matcher specialises comparisons on key-only paths and remembers
wildcard answers (:mod:`auditor.semantics.filterpattern`); this interpreter
reads the tree directly, every path as a list of selected values, as the
module docstring defines them. The two must agree on every pattern and event.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.model.wildcard import glob_match
from auditor.semantics.filterpattern import (
    GLOB_MEMO,
    And,
    Comparison,
    Expr,
    Not,
    Or,
    Value,
    compile_pattern,
    matches,
    render,
)


def _select(ev: Any, path: tuple[str | int | None, ...]) -> list[Any]:
    """Every value the path selects, read recursively (the compiled matcher walks it level by level)."""
    if not path:
        return [ev]
    seg, rest = path[0], path[1:]
    if isinstance(seg, str):
        return _select(ev[seg], rest) if isinstance(ev, dict) and seg in ev else []
    if not isinstance(ev, list):
        return []
    if seg is None:
        return [v for item in ev for v in _select(item, rest)]
    return _select(ev[seg], rest) if -len(ev) <= seg < len(ev) else []


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _as_text(v: float) -> str:
    if isinstance(v, int):
        return str(v)
    return str(int(v)) if float(v).is_integer() and abs(v) < 2**53 else repr(float(v))


def _equal(v: Any, value: Value) -> bool:
    if value.kind == "number":
        return _number(v) and v == value.number
    if isinstance(v, str):
        return glob_match(value.text, v, question_mark=False)
    return _number(v) and glob_match(value.text, _as_text(v), question_mark=False)


def reference(expr: Expr, ev: dict[str, Any]) -> bool:
    if isinstance(expr, And):
        return all(reference(i, ev) for i in expr.items)
    if isinstance(expr, Or):
        return any(reference(i, ev) for i in expr.items)
    if isinstance(expr, Not):
        return not reference(expr.item, ev)
    values = _select(ev, expr.path)
    op = expr.op
    if op == "EXISTS":
        return bool(values)
    if op == "NOT EXISTS":
        return not values
    if op == "IS NULL":
        return any(v is None for v in values)
    if op == "IS TRUE":
        return any(v is True for v in values)
    if op == "IS FALSE":
        return any(v is False for v in values)
    assert expr.value is not None
    if op == "=":
        return any(_equal(v, expr.value) for v in values)
    if op == "!=":
        return not any(_equal(v, expr.value) for v in values)
    num = expr.value.number
    assert num is not None
    test = {"<": num.__gt__, ">": num.__lt__, "<=": num.__ge__, ">=": num.__le__}[op]
    return any(_number(v) and bool(test(v)) for v in values)


_KEYS = ("a", "b", "c")
_PATHS = st.tuples(
    st.sampled_from(_KEYS), st.lists(st.one_of(st.sampled_from(_KEYS), st.sampled_from((0, 1, None))), max_size=2)
).map(lambda p: (p[0], *p[1]))
_TEXT = st.text(alphabet="ab1*", min_size=0, max_size=5)
_VALUES = st.one_of(
    _TEXT.map(lambda t: Value("string", t)),
    st.sampled_from((0, 1, 2, -1, 1.5)).map(lambda n: Value("number", _as_text(n), float(n))),
)


_UNARY = ("IS NULL", "IS TRUE", "IS FALSE", "EXISTS", "NOT EXISTS")


@st.composite
def _comparisons(draw: st.DrawFn) -> Comparison:
    path = draw(_PATHS)
    op = draw(st.sampled_from(("=", "!=", "<", ">", "<=", ">=", *_UNARY)))
    if op in _UNARY:
        return Comparison(path, op)
    value = draw(_VALUES)
    if op not in ("=", "!=") and value.kind != "number":
        value = Value("number", "1", 1.0)
    return Comparison(path, op, value)


_EXPRS = st.recursive(
    _comparisons(),
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: And(tuple(xs))),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: Or(tuple(xs))),
        inner.map(Not),
    ),
    max_leaves=6,
)
_SCALARS = st.one_of(st.none(), st.booleans(), st.sampled_from((0, 1, 2, -1, 1.0, 1.5, -0.0)), _TEXT.map(str))
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(_KEYS), inner, max_size=3)),
    max_leaves=8,
)
_EVENTS = st.dictionaries(st.sampled_from(_KEYS), _JSON, max_size=3)


@settings(max_examples=1000, deadline=None)
@given(_comparisons(), st.lists(_EVENTS, min_size=1, max_size=8))
def test_each_comparison_agrees_with_the_plain_reading(cmp: Comparison, events: list[dict[str, Any]]) -> None:
    pattern = compile_pattern("{ " + render(cmp) + " }")
    for ev in events * 2:  # twice: a remembered wildcard answer must be the one computed
        assert matches(pattern, ev) is reference(pattern.root, ev), (pattern.text, ev)


@settings(max_examples=400, deadline=None)
@given(_EXPRS, st.lists(_EVENTS, min_size=1, max_size=6))
def test_compiled_pattern_agrees_with_the_plain_reading(expr: Expr, events: list[dict[str, Any]]) -> None:
    pattern = compile_pattern("{ " + render(expr) + " }")
    for ev in events * 2:  # twice: a remembered wildcard answer must be the one computed
        assert matches(pattern, ev) is reference(pattern.root, ev), (pattern.text, ev)


def test_wildcard_answers_stay_right_past_the_memo_bound() -> None:
    pattern = compile_pattern('{ ($.errorCode = "AccessDenied*") || ($.errorCode = "*UnauthorizedOperation") }')
    codes = [f"AccessDenied{i}" if i % 3 == 0 else f"X{i}" for i in range(GLOB_MEMO * 2 + 7)]
    for code in codes + codes[::-1]:
        assert matches(pattern, {"errorCode": code}) is code.startswith("AccessDenied")


class _Folded(str):
    """A str subclass equal to any casing of itself: the memo must not answer for it from a plain str."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and other.lower() == self.lower()

    def __hash__(self) -> int:
        return hash(self.lower())


def test_a_str_subclass_is_judged_on_its_own_characters() -> None:
    pattern = compile_pattern('{ $.errorCode = "Access*" }')
    assert matches(pattern, {"errorCode": "accessdenied"}) is False
    assert matches(pattern, {"errorCode": _Folded("AccessDenied")}) is True
    assert matches(pattern, {"errorCode": _Folded("accessdenied")}) is False

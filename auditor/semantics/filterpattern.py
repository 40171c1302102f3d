"""The CloudWatch Logs JSON filter-pattern language: parse, evaluate, compare.

One parser serves two masters:

* the ``alarm-*`` checks, which must decide whether a metric filter someone
  configured *satisfies* a CIS benchmark pattern (:func:`satisfies`), comparing
  parsed patterns rather than strings, so that quoting, whitespace and clause
  order do not matter while a missing or narrowing clause does;
* the ``logs-*`` evidence checks, which evaluate the very same patterns over
  millions of CloudTrail events (:func:`matches`), so a compiled pattern is a
  tree of closures with wildcards pre-compiled to regular expressions.

Grammar (JSON patterns only; the space-delimited and plain-term flavours are
out of scope because CIS and CloudTrail use JSON patterns)::

    pattern    := '{' or_expr '}'
    or_expr    := and_expr ( '||' and_expr )*
    and_expr   := unary ( '&&' unary )*
    unary      := '!' '(' or_expr ')' | '(' or_expr ')' | comparison
    comparison := SELECTOR ( OP value | 'IS' ('NULL'|'TRUE'|'FALSE')
                             | 'NOT' 'EXISTS' | 'EXISTS' )
    OP         := '=' | '!=' | '<' | '>' | '<=' | '>='
    value      := "quoted string" | bare-word | number
    SELECTOR   := '$' ( '.' name | '[' index ']' | '[*]' )*

Decisions where the AWS documentation is silent (documented, tested):

* **Precedence.** ``&&`` binds tighter than ``||``, as in every language the
  operators are borrowed from; the AWS pages show only fully parenthesised
  compound examples and never state an order. CIS 4.1 and 4.13 are written
  without full parentheses. For 4.13 both readings (precedence and
  left-to-right) are the same expression; for 4.1 they differ, so
  :mod:`auditor.semantics.cis` lists the left-to-right reading as an accepted
  alternative. Either way, a configured filter textually equal to the CIS
  pattern parses to the same tree and therefore satisfies it.
* **Missing fields.** ``=``, ``<``, ``>``, ``<=``, ``>=``, ``IS ...`` are false
  when the selected field is absent; ``!=`` is the exact complement of ``=``
  (true when the field is absent), so ``!($.a = x)`` and ``$.a != x`` are the
  same condition.
* **Wildcards.** ``*`` inside a string value (quoted or bare) matches any run of
  characters, anchored at both ends: ``"AccessDenied*"`` is a prefix match and
  ``CreateRoute`` matches only the whole name ``CreateRoute``.
* Values are case sensitive, as CloudWatch Logs filter patterns are.
* Regex values (``%...%``) are rejected with a clear error rather than guessed.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from auditor.model.errors import AuditorError
from auditor.model.wildcard import compile_glob, glob_match

__all__ = [
    "And",
    "Comparison",
    "Not",
    "Or",
    "Pattern",
    "PatternError",
    "SatisfactionResult",
    "Value",
    "compile_pattern",
    "matches",
    "parse",
    "render",
    "satisfies",
    "satisfies_any",
]

#: The most conjunctions a pattern may expand to in disjunctive normal form.
MAX_DNF_TERMS = 4096
#: The deepest parenthesis nesting accepted. Filter patterns come from scanned
#: accounts; without a bound, deep nesting ends in RecursionError instead of
#: a PatternError naming the column. CIS patterns nest two levels.
MAX_NESTING = 64


class PatternError(AuditorError):
    """A filter pattern that is not valid JSON filter-pattern syntax.

    ``position`` is the 0-based character offset in the pattern text.
    """

    def __init__(self, message: str, text: str, position: int) -> None:
        self.text = text
        self.position = position
        self.detail = message
        snippet = text[max(0, position - 15) : position + 15]
        super().__init__(f"invalid filter pattern at column {position + 1}: {message} (near {snippet!r})")


# --------------------------------------------------------------------------- AST

Operator = Literal["=", "!=", "<", ">", "<=", ">=", "IS NULL", "IS TRUE", "IS FALSE", "EXISTS", "NOT EXISTS"]
_VALUE_OPS = ("=", "!=", "<", ">", "<=", ">=")
#: Path segment: a key name, an array index, or None for ``[*]``.
Segment = str | int | None


@dataclass(frozen=True)
class Value:
    """A comparison's right-hand side, normalised: quoting is not part of it.

    ``kind`` is "string" (may contain ``*`` wildcards) or "number".
    """

    kind: Literal["string", "number"]
    text: str
    number: float | None = None

    @property
    def has_wildcard(self) -> bool:
        """Whether the string contains a ``*`` wildcard."""
        return self.kind == "string" and "*" in self.text

    def render(self) -> str:
        """Canonical source form: strings quoted, numbers bare."""
        if self.kind == "number":
            return self.text
        escaped = self.text.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'


@dataclass(frozen=True)
class Comparison:
    """One atomic condition on one field of the event."""

    path: tuple[Segment, ...]
    op: Operator
    value: Value | None = None

    @property
    def selector(self) -> str:
        """The canonical ``$.a.b[0]`` form of the path."""
        parts = ["$"]
        for seg in self.path:
            if seg is None:
                parts.append("[*]")
            elif isinstance(seg, int):
                parts.append(f"[{seg}]")
            else:
                parts.append(f".{seg}")
        return "".join(parts)

    def render(self) -> str:
        """Canonical source form, e.g. ``$.eventName = "CreateTrail"``."""
        if self.value is None:
            return f"{self.selector} {self.op}"
        return f"{self.selector} {self.op} {self.value.render()}"


@dataclass(frozen=True)
class And:
    """All items hold."""

    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    """At least one item holds."""

    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    """The parenthesised expression does not hold."""

    item: Expr


Expr = Comparison | And | Or | Not


@dataclass(frozen=True)
class Pattern:
    """A parsed filter pattern: its source text, tree and compiled matcher."""

    text: str
    root: Expr
    _match: Callable[[Mapping[str, Any]], bool] = field(repr=False, compare=False, hash=False)

    def matches(self, event: Mapping[str, Any]) -> bool:
        """Whether the event matches (see :func:`matches`)."""
        return self._match(event)


# --------------------------------------------------------------------------- tokenizer

_TokKind = Literal["{", "}", "(", ")", "&&", "||", "!", "OP", "SEL", "STR", "WORD", "EOF"]


@dataclass(frozen=True)
class _Token:
    kind: _TokKind
    text: str
    pos: int
    #: For SEL: the parsed path; for STR: the unescaped content.
    path: tuple[Segment, ...] = ()


_WORD_STOP = set(' \t\r\n(){}&|!=<>"')
_NAME_STOP = set(' \t\r\n(){}&|!=<>".[]')
_NUMBER_RE = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")


def _tokenize(text: str) -> list[_Token]:
    toks: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t\r\n":
            i += 1
            continue
        two = text[i : i + 2]
        if c in "{}()":
            toks.append(_Token(c, c, i))  # type: ignore[arg-type]
            i += 1
        elif two == "&&" or two == "||":
            toks.append(_Token(two, two, i))  # type: ignore[arg-type]
            i += 2
        elif c == "&" or c == "|":
            raise PatternError(f"expected {c * 2!r}, found a single {c!r}", text, i)
        elif two in ("!=", "<=", ">="):
            toks.append(_Token("OP", two, i))
            i += 2
        elif c in "=<>":
            toks.append(_Token("OP", c, i))
            i += 1
        elif c == "!":
            toks.append(_Token("!", c, i))
            i += 1
        elif c == "$":
            tok, i = _selector(text, i)
            toks.append(tok)
        elif c == '"':
            tok, i = _string(text, i)
            toks.append(tok)
        elif c == "%":
            raise PatternError("regular-expression values (%...%) are not supported", text, i)
        else:
            start = i
            while i < n and text[i] not in _WORD_STOP:
                i += 1
            toks.append(_Token("WORD", text[start:i], start))
    toks.append(_Token("EOF", "", n))
    return toks


def _selector(text: str, start: int) -> tuple[_Token, int]:
    i, n = start + 1, len(text)
    path: list[Segment] = []
    while i < n and text[i] in ".[":
        if text[i] == ".":
            j = i + 1
            while j < n and text[j] not in _NAME_STOP:
                j += 1
            if j == i + 1:
                raise PatternError("expected a field name after '.'", text, j)
            path.append(text[i + 1 : j])
            i = j
        else:
            close = text.find("]", i)
            if close < 0:
                raise PatternError("unclosed '[' in selector", text, i)
            inner = text[i + 1 : close].strip()
            if inner == "*":
                path.append(None)
            elif inner.isdigit():
                path.append(int(inner))
            else:
                raise PatternError(f"array index must be a number or '*', got {inner!r}", text, i + 1)
            i = close + 1
    if not path:
        raise PatternError("a selector needs at least one field, e.g. $.eventName", text, start)
    if i < n and text[i] not in _WORD_STOP:
        raise PatternError(f"unexpected character {text[i]!r} in selector", text, i)
    return _Token("SEL", text[start:i], start, tuple(path)), i


def _string(text: str, start: int) -> tuple[_Token, int]:
    i, n = start + 1, len(text)
    out: list[str] = []
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            out.append(text[i + 1])
            i += 2
        elif c == '"':
            return _Token("STR", "".join(out), start), i + 1
        else:
            out.append(c)
            i += 1
    raise PatternError("unterminated string", text, start)


# --------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokenize(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> _Token:
        return self.toks[self.i]

    def take(self) -> _Token:
        tok = self.toks[self.i]
        if tok.kind != "EOF":
            self.i += 1
        return tok

    def expect(self, kind: _TokKind, what: str) -> _Token:
        tok = self.peek()
        if tok.kind != kind:
            raise PatternError(f"expected {what}, found {_describe(tok)}", self.text, tok.pos)
        return self.take()

    def pattern(self) -> Expr:
        self.expect("{", "'{' (only JSON filter patterns are supported)")
        if self.peek().kind == "}":
            raise PatternError("empty pattern", self.text, self.peek().pos)
        expr = self.or_expr()
        self.expect("}", "'&&', '||' or '}'")
        self.expect("EOF", "end of pattern")
        return expr

    def or_expr(self) -> Expr:
        return self.chain("||", self.and_expr, Or)

    def and_expr(self) -> Expr:
        return self.chain("&&", self.unary, And)

    def chain(self, op: _TokKind, operand: Callable[[], Expr], combine: Callable[[tuple[Expr, ...]], Expr]) -> Expr:
        """``operand (op operand)*``: a lone operand as itself, two or more ``combine``d."""
        items = [operand()]
        while self.peek().kind == op:
            self.take()
            items.append(operand())
        return items[0] if len(items) == 1 else combine(tuple(items))

    def unary(self) -> Expr:
        tok = self.peek()
        if tok.kind == "!":
            self.take()
            if self.peek().kind != "(":
                raise PatternError("'!' must be followed by a parenthesised expression", self.text, self.peek().pos)
            return Not(self.group())
        if tok.kind == "(":
            return self.group()
        if tok.kind == "SEL":
            return self.comparison()
        raise PatternError(f"expected a selector like $.eventName or '(', found {_describe(tok)}", self.text, tok.pos)

    def group(self) -> Expr:
        tok = self.expect("(", "'('")
        if self.depth >= MAX_NESTING:
            raise PatternError(f"parentheses nested deeper than {MAX_NESTING}", self.text, tok.pos)
        if self.peek().kind == ")":
            raise PatternError("empty parentheses", self.text, self.peek().pos)
        self.depth += 1
        expr = self.or_expr()
        self.depth -= 1
        self.expect(")", "'&&', '||' or ')'")
        return expr

    def comparison(self) -> Comparison:
        sel = self.take()
        tok = self.peek()
        if tok.kind == "OP":
            self.take()
            return Comparison(sel.path, tok.text, self.value(tok.text))  # type: ignore[arg-type]
        if tok.kind == "WORD":
            kw = tok.text.upper()
            if kw == "IS":
                self.take()
                what = self.peek()
                if what.kind == "WORD" and what.text.upper() in ("NULL", "TRUE", "FALSE"):
                    self.take()
                    return Comparison(sel.path, f"IS {what.text.upper()}")  # type: ignore[arg-type]
                raise PatternError(
                    f"expected NULL, TRUE or FALSE after IS, found {_describe(what)}", self.text, what.pos
                )
            if kw == "EXISTS":
                self.take()
                return Comparison(sel.path, "EXISTS")
            if kw == "NOT":
                self.take()
                what = self.peek()
                if what.kind == "WORD" and what.text.upper() == "EXISTS":
                    self.take()
                    return Comparison(sel.path, "NOT EXISTS")
                raise PatternError(f"expected EXISTS after NOT, found {_describe(what)}", self.text, what.pos)
        raise PatternError(
            f"expected an operator (=, !=, <, >, <=, >=, IS, NOT EXISTS) after {sel.text}, found {_describe(tok)}",
            self.text,
            tok.pos,
        )

    def value(self, op: str) -> Value:
        tok = self.peek()
        if tok.kind == "STR":
            self.take()
            value = Value("string", tok.text)
        elif tok.kind == "WORD":
            self.take()
            if _NUMBER_RE.fullmatch(tok.text):
                num = float(tok.text)
                value = Value("number", _number_text(num), num)
            else:
                value = Value("string", tok.text)
        else:
            raise PatternError(f"expected a value after {op!r}, found {_describe(tok)}", self.text, tok.pos)
        if op in ("<", ">", "<=", ">=") and value.kind != "number":
            raise PatternError(f"operator {op!r} needs a number, got {value.render()}", self.text, tok.pos)
        return value


def _number_text(num: float) -> str:
    return str(int(num)) if num.is_integer() and abs(num) < 2**53 else repr(num)


def _describe(tok: _Token) -> str:
    if tok.kind == "EOF":
        return "end of pattern"
    return repr(f'"{tok.text}"' if tok.kind == "STR" else tok.text)


def parse(text: str) -> Expr:
    """Parse a JSON filter pattern into its expression tree.

    Raises :class:`PatternError` naming the column of the first problem.
    """
    return _Parser(text).pattern()


@functools.lru_cache(maxsize=1024)
def compile_pattern(text: str) -> Pattern:
    """Parse and compile a pattern once; the result is cached by its text."""
    root = parse(text)
    return Pattern(text=text, root=root, _match=_compile(root))


def render(expr: Expr) -> str:
    """Canonical text of an expression (without the outer braces).

    Every ``&&``/``||`` group is parenthesised, so the text means the same
    under any precedence rule; values are quoted, numbers bare.
    """
    if isinstance(expr, Comparison):
        return expr.render()
    if isinstance(expr, Not):
        return f"!({render(expr.item)})"
    sep = " && " if isinstance(expr, And) else " || "
    return sep.join(f"({render(i)})" if isinstance(i, (And, Or)) else render(i) for i in expr.items)


def matches(pattern: Pattern, event: Mapping[str, Any]) -> bool:
    """Whether one (decoded JSON) CloudTrail event matches the pattern."""
    return pattern._match(event)


# --------------------------------------------------------------------------- evaluation

_MISSING = object()
_Matcher = Callable[[Mapping[str, Any]], bool]
#: Distinct strings a wildcard comparison remembers its answer for (then it starts afresh).
GLOB_MEMO = 4096


def _compile(expr: Expr) -> Callable[[Mapping[str, Any]], bool]:
    if isinstance(expr, Comparison):
        return _compile_comparison(expr)
    if isinstance(expr, Not):
        inner = _compile(expr.item)
        return lambda ev: not inner(ev)
    if isinstance(expr, And):
        conj = tuple(_compile(i) for i in expr.items)

        def all_of(ev: Mapping[str, Any]) -> bool:
            # explicit loops: faster than all()/any() over a generator on the scan hot path
            for part in conj:  # noqa: SIM110
                if not part(ev):
                    return False
            return True

        return all_of
    disj = _compile_alternatives(expr.items)

    def any_of(ev: Mapping[str, Any]) -> bool:
        for part in disj:  # noqa: SIM110
            if part(ev):
                return True
        return False

    return any_of


def _compile_alternatives(items: tuple[Expr, ...]) -> tuple[_Matcher, ...]:
    """Compile ``||`` items; exact string alternatives on one field become one set lookup.

    CIS patterns are mostly long lists of ``$.eventName = X`` alternatives, and
    log scans evaluate them on every event.
    """
    names: dict[tuple[Segment, ...], set[str]] = {}
    others: list[_Matcher] = []
    for item in items:
        if (
            isinstance(item, Comparison)
            and item.op == "="
            and item.value is not None
            and item.value.kind == "string"
            and not item.value.has_wildcard
            and all(isinstance(s, str) for s in item.path)
        ):
            names.setdefault(item.path, set()).add(item.value.text)
        else:
            others.append(_compile(item))
    grouped = [_membership(path, frozenset(values)) for path, values in names.items()]
    return (*grouped, *others)


def _membership(path: tuple[Segment, ...], values: frozenset[str]) -> _Matcher:
    get = _getter(path)
    if get is not None:

        def member_of(ev: Mapping[str, Any]) -> bool:
            v = get(ev)
            if isinstance(v, str):
                return v in values
            return _is_number(v) and _scalar_text(v) in values

        return member_of
    resolve = _resolver(path)

    def member(ev: Mapping[str, Any]) -> bool:
        for v in resolve(ev):
            if isinstance(v, str):
                if v in values:
                    return True
            elif _is_number(v) and _scalar_text(v) in values:
                return True
        return False

    return member


def _scalar_text(v: float) -> str:
    return str(v) if isinstance(v, int) else _number_text(float(v))


def _getter(path: tuple[Segment, ...]) -> Callable[[Any], Any] | None:
    """For a path of key names only: a function giving the one value it selects, or ``_MISSING``.

    Such a path selects at most one value, so a comparison on it needs no list
    of values (:func:`_resolver`); the log scans evaluate these on every event
    they judge. None for a path with an index or ``[*]``.
    """
    if not all(isinstance(s, str) for s in path):
        return None
    keys = tuple(s for s in path if isinstance(s, str))
    if len(keys) == 1:
        (key,) = keys

        def top(ev: Any) -> Any:
            if type(ev) is dict or isinstance(ev, Mapping):
                return ev.get(key, _MISSING)
            return _MISSING

        return top

    def nested(ev: Any) -> Any:
        cur = ev
        for k in keys:
            if type(cur) is not dict and not isinstance(cur, Mapping):
                return _MISSING
            cur = cur.get(k, _MISSING)
            if cur is _MISSING:
                return _MISSING
        return cur

    return nested


def _resolver(path: tuple[Segment, ...]) -> Callable[[Any], list[Any]]:
    """A function returning every value the path selects (empty: absent)."""
    get = _getter(path)
    if get is not None:

        def simple(ev: Any) -> list[Any]:
            v = get(ev)
            return [] if v is _MISSING else [v]

        return simple

    def general(ev: Any) -> list[Any]:
        current = [ev]
        for seg in path:
            nxt: list[Any] = []
            for cur in current:
                if isinstance(seg, str):
                    if isinstance(cur, Mapping) and seg in cur:
                        nxt.append(cur[seg])
                elif isinstance(cur, list):
                    if seg is None:
                        nxt.extend(cur)
                    elif -len(cur) <= seg < len(cur):
                        nxt.append(cur[seg])
            current = nxt
            if not current:
                break
        return current

    return general


def _string_matcher(value: Value) -> Callable[[str], bool]:
    """Whether a string equals the value, wildcards and all.

    A wildcard's answer for a string is remembered (up to :data:`GLOB_MEMO`
    strings): the log scans ask it about the same few error codes and names
    again and again, and a glob costs far more than a lookup.
    """
    if not value.has_wildcard:
        return value.text.__eq__
    glob = compile_glob(value.text, question_mark=False).matches
    memo: dict[str, bool] = {}

    def wildcard(s: str) -> bool:
        if type(s) is not str:  # a subclass may hash or compare otherwise: no memo
            return glob(s)
        got = memo.get(s)
        if got is None:
            if len(memo) >= GLOB_MEMO:
                memo.clear()
            got = memo[s] = glob(s)
        return got

    return wildcard


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _equals_fn(value: Value) -> Callable[[Any], bool]:
    """Whether one selected value equals the comparison's value (False for ``_MISSING``)."""
    if value.kind == "number":
        num = value.number

        def eq_num(v: Any) -> bool:
            return _is_number(v) and bool(v == num)

        return eq_num
    smatch = _string_matcher(value)

    def eq_str(v: Any) -> bool:
        if isinstance(v, str):
            return bool(smatch(v))
        if _is_number(v):
            return bool(smatch(_scalar_text(v)))
        return False

    return eq_str


def _compile_comparison(cmp: Comparison) -> Callable[[Mapping[str, Any]], bool]:
    get = _getter(cmp.path)
    if get is not None:
        return _compile_single(cmp, get)
    resolve = _resolver(cmp.path)
    op = cmp.op
    if op == "EXISTS":
        return lambda ev: bool(resolve(ev))
    if op == "NOT EXISTS":
        return lambda ev: not resolve(ev)
    if op == "IS NULL":
        return lambda ev: any(v is None for v in resolve(ev))
    if op == "IS TRUE":
        return lambda ev: any(v is True for v in resolve(ev))
    if op == "IS FALSE":
        return lambda ev: any(v is False for v in resolve(ev))
    assert cmp.value is not None
    if op in ("=", "!="):
        eq = _equals_fn(cmp.value)
        if op == "=":
            return lambda ev: any(eq(v) for v in resolve(ev))
        return lambda ev: not any(eq(v) for v in resolve(ev))
    test = _order_test(cmp)
    return lambda ev: any(_is_number(v) and test(v) for v in resolve(ev))


def _compile_single(cmp: Comparison, get: Callable[[Any], Any]) -> Callable[[Mapping[str, Any]], bool]:
    """:func:`_compile_comparison` for a path selecting at most one value (:func:`_getter`): the same answers."""
    op = cmp.op
    if op == "EXISTS":
        return lambda ev: get(ev) is not _MISSING
    if op == "NOT EXISTS":
        return lambda ev: get(ev) is _MISSING
    if op == "IS NULL":
        return lambda ev: get(ev) is None
    if op == "IS TRUE":
        return lambda ev: get(ev) is True
    if op == "IS FALSE":
        return lambda ev: get(ev) is False
    assert cmp.value is not None
    if op in ("=", "!="):
        eq = _equals_fn(cmp.value)  # False for _MISSING, as for any value that is no string or number
        if op == "=":
            return lambda ev: eq(get(ev))
        return lambda ev: not eq(get(ev))
    test = _order_test(cmp)

    def ordered(ev: Mapping[str, Any]) -> bool:
        v = get(ev)
        return _is_number(v) and test(v)

    return ordered


def _order_test(cmp: Comparison) -> Callable[[float], bool]:
    assert cmp.value is not None
    num = cmp.value.number
    assert num is not None
    return {
        "<": lambda x: x < num,
        ">": lambda x: x > num,
        "<=": lambda x: x <= num,
        ">=": lambda x: x >= num,
    }[cmp.op]


# --------------------------------------------------------------------------- semantic comparison


@dataclass(frozen=True)
class _Lit:
    """A DNF literal: a comparison, possibly negated (only for non-invertible ops)."""

    cmp: Comparison
    negated: bool = False

    def render(self) -> str:
        return f"!({self.cmp.render()})" if self.negated else self.cmp.render()


_INVERSE: dict[str, str] = {"=": "!=", "!=": "=", "EXISTS": "NOT EXISTS", "NOT EXISTS": "EXISTS"}

_Conj = frozenset[_Lit]


def _literal(cmp: Comparison, negated: bool) -> _Lit:
    if negated and cmp.op in _INVERSE:
        return _Lit(Comparison(cmp.path, _INVERSE[cmp.op], cmp.value))  # type: ignore[arg-type]
    return _Lit(cmp, negated)


def _dnf(expr: Expr, negated: bool = False) -> list[_Conj]:
    """Disjunctive normal form: a list of conjunctions of literals."""
    if isinstance(expr, Comparison):
        return [frozenset({_literal(expr, negated)})]
    if isinstance(expr, Not):
        return _dnf(expr.item, not negated)
    is_and = isinstance(expr, And) != negated  # De Morgan
    parts = [_dnf(i, negated) for i in expr.items]
    if not is_and:
        return _dedupe(c for p in parts for c in p)
    acc: list[_Conj] = [frozenset()]
    for p in parts:
        acc = _dedupe(a | c for a in acc for c in p)
        if len(acc) > MAX_DNF_TERMS:
            raise PatternError(f"pattern expands to more than {MAX_DNF_TERMS} alternatives", "", 0)
    return acc


def _dedupe(conjs: Iterable[_Conj]) -> list[_Conj]:
    seen: dict[_Conj, None] = {}
    for c in conjs:
        seen.setdefault(c, None)
    return list(seen)


def _glob_within(inner: str, outer: str) -> bool:
    """Sound (not complete) test that every string matching glob ``inner`` matches ``outer``."""
    if inner == outer or outer == "*":
        return True
    if "*" not in inner:
        return glob_match(outer, inner, question_mark=False)
    if outer.count("*") == 1:
        prefix, suffix = outer.split("*")
        # inner's fixed head/tail must carry outer's fixed head/tail.
        head, tail = inner.split("*")[0], inner.split("*")[-1]
        return (
            head.startswith(prefix)
            and tail.endswith(suffix)
            and (len(head) >= len(prefix) and len(tail) >= len(suffix))
        )
    return False


_Interval = tuple[float, bool, float, bool]  # low, low_inclusive, high, high_inclusive


def _interval(cmp: Comparison) -> _Interval | None:
    if cmp.value is None or cmp.value.kind != "number" or cmp.value.number is None:
        return None
    n = cmp.value.number
    return {
        "=": (n, True, n, True),
        "<": (-math.inf, False, n, False),
        "<=": (-math.inf, False, n, True),
        ">": (n, False, math.inf, False),
        ">=": (n, True, math.inf, False),
    }.get(cmp.op)


def _interval_within(a: _Interval, b: _Interval) -> bool:
    lo_ok = a[0] > b[0] or (a[0] == b[0] and (b[1] or not a[1]))
    hi_ok = a[2] < b[2] or (a[2] == b[2] and (b[3] or not a[3]))
    return lo_ok and hi_ok


def _implies(a: _Lit, b: _Lit) -> bool:
    """Sound test that literal ``a`` holding on an event means ``b`` holds."""
    if a == b:
        return True
    if a.negated or b.negated or a.cmp.path != b.cmp.path:
        return False
    ca, cb = a.cmp, b.cmp
    va, vb = ca.value, cb.value
    if cb.op == "EXISTS":
        return ca.op not in ("NOT EXISTS", "!=")
    if va is None or vb is None:
        return False
    if va.kind == "string" and vb.kind == "string":
        if ca.op == "=" and cb.op == "=":
            return _glob_within(va.text, vb.text)
        if ca.op == "!=" and cb.op == "!=":
            # "not in A" implies "not in B" when B is within A.
            return _glob_within(vb.text, va.text)
        if ca.op == "=" and cb.op == "!=" and None not in ca.path:
            # the single value is exactly A, which B's glob does not match
            return not va.has_wildcard and not _glob_within(va.text, vb.text)
        return False
    if va.kind == "number" and vb.kind == "number":
        ia, ib = _interval(ca), _interval(cb)
        if ia is not None and ib is not None:
            return _interval_within(ia, ib)
        if ca.op == "=" and cb.op == "!=" and None not in ca.path:
            return va.number != vb.number
    return False


@dataclass(frozen=True)
class SatisfactionResult:
    """Whether a configured pattern satisfies a required one, and why not.

    ``missing`` names required clauses the closest configured alternative does
    not have (or has only in a narrower form); ``extra_restrictions`` names
    configured clauses that narrow what the required pattern matches.
    """

    ok: bool
    missing: tuple[str, ...] = ()
    extra_restrictions: tuple[str, ...] = ()


def _relaxation_gaps(req: _Conj, conf: _Conj) -> tuple[list[_Lit], list[_Lit]]:
    """How far ``conf`` is from being a clause-by-clause relaxation of ``req``.

    ``conf`` covers ``req`` when every required literal implies some
    configured literal on the same field (so no required clause was dropped;
    a broader form such as a wildcard is accepted) and every configured
    literal is implied by some required literal (so nothing narrows it).
    """
    missing = [r for r in req if not any(_implies(r, c) for c in conf)]
    extra = [c for c in conf if not any(_implies(r, c) for r in req)]
    return missing, extra


def _sort_key(lit: _Lit) -> str:
    return lit.render()


def satisfies(configured: Pattern, required: Pattern) -> SatisfactionResult:
    """Whether a configured filter satisfies a required (benchmark) pattern.

    Both are put in disjunctive normal form. Every required alternative must
    be covered by some configured alternative that is a clause-by-clause
    relaxation of it (see :func:`_relaxation_gaps`). Consequences, all tested:

    * clause order, parenthesisation, quoting and whitespace do not matter;
    * extra ``||`` alternatives in the configured filter are accepted;
    * an extra ``&&`` condition narrowing an alternative fails;
    * dropping a required clause fails, even though that makes the filter
      broader: the benchmark asks for every clause (spec);
    * a wildcard such as ``Create*`` in place of an explicit name is accepted
      (it matches every event the name does), but an exact different name
      never is: ``CreateRouteTable`` does not satisfy ``CreateRoute``.

    The test is sound (a PASS means every event the required pattern matches
    is matched), not complete: exotic but equivalent rewrites may fail.
    """
    req_dnf = _dnf(required.root)
    conf_dnf = _dnf(configured.root)
    missing: list[_Lit] = []
    extra: list[_Lit] = []
    for req in req_dnf:
        best: tuple[int, int, list[_Lit], list[_Lit]] | None = None
        for conf in conf_dnf:
            m, e = _relaxation_gaps(req, conf)
            if not m and not e:
                best = None
                break
            score = (len(m) + len(e), -len(req & conf), m, e)
            if best is None or score[:2] < best[:2]:
                best = score
        else:
            if best is None:  # configured pattern has no alternatives (cannot happen)
                missing.extend(req)
                continue
            _, _, m, e = best
            missing.extend(m)
            missing_paths = {lit.cmp.path for lit in m}
            # A configured clause on a field whose required clause is missing is
            # a different alternative (e.g. another event name), not a restriction.
            extra.extend(lit for lit in e if lit.cmp.path not in missing_paths)
    uniq_missing = tuple(dict.fromkeys(lit.render() for lit in sorted(missing, key=_sort_key)))
    uniq_extra = tuple(dict.fromkeys(lit.render() for lit in sorted(extra, key=_sort_key)))
    ok = not missing and not extra
    return SatisfactionResult(ok, uniq_missing, uniq_extra)


def satisfies_any(configured: Pattern, readings: Sequence[Pattern]) -> SatisfactionResult:
    """:func:`satisfies` against several accepted readings; the best result wins."""
    best: SatisfactionResult | None = None
    for req in readings:
        res = satisfies(configured, req)
        if res.ok:
            return res
        if best is None or len(res.missing) + len(res.extra_restrictions) < len(best.missing) + len(
            best.extra_restrictions
        ):
            best = res
    if best is None:
        raise ValueError("satisfies_any needs at least one required pattern")
    return best

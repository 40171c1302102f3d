"""One rule compiler: the definitions the stream evaluates, as SQL over the Athena table.

Inputs are exactly what the streaming engine evaluates: the parsed CIS filter
patterns (:mod:`auditor.semantics.filterpattern`), the rules' event-name and field
pre-filters and predicates (:mod:`auditor.logs.rules`), and the compiled Sigma
trees (:mod:`auditor.logs.sigma`). Output is a sqlglot expression pair per
rule, rendered per dialect (Trino for Athena, DuckDB locally): no rule is
written twice by hand.

Why a pair. Some conditions SQL cannot decide exactly the way the stream
does: a Python predicate (parsing an IAM policy inside ``requestParameters``),
a Sigma regular expression (Python ``re`` is neither RE2 nor Java), a number
whose text the stream formats with ``str(float)``, a Sigma field walking
through an array (the stream flattens lists), case folding of non-ASCII text.
Each node therefore compiles to :class:`Bounds`: ``lower`` holds only on
events the stream matches, ``upper`` on every event the stream matches.
Rows where ``upper`` holds and ``lower`` does not are the *residual*: the
engine fetches them and judges each with the stream's own evaluator, so the
result is exact, never a weaker SQL approximation. Where ``lower`` and
``upper`` are the same expression the rule is decided entirely in SQL.

Where the table cannot hold what a rule reads (a field that is not a column,
an array index, a number compared with a STRING column, a JSON-text column
tested for existence as a whole), compilation raises :class:`Unsupported`
with the reason.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from auditor.logs.rules import Rule
from auditor.logs.sigma import Node, SigmaRuleSpec
from auditor.logs.sql import schema
from auditor.model.errors import AuditorError
from auditor.semantics.filterpattern import And, Comparison, Expr, Not, Or, Value, compile_pattern

__all__ = [
    "Bounds",
    "CompiledRule",
    "Unsupported",
    "compile_builtin",
    "compile_pattern_expr",
    "compile_sigma",
    "resource_sql",
]


class Unsupported(AuditorError):
    """A rule construct that cannot be compiled to SQL over the Athena table, and why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"cannot compile to SQL: {reason}")


def _sql(text: str) -> exp.Expr:
    """A Trino SQL fragment as an AST (fragments are built only from quoted literals below)."""
    return _parsed(text).copy()


@functools.lru_cache(maxsize=4096)
def _parsed(text: str) -> exp.Expr:
    # rules repeat the same leaves (eventname = ..., errorcode IS NULL): parse each text once
    return sqlglot.parse_one(text, read="trino")


def lit(s: str) -> str:
    """A Trino string literal for ``s`` (quotes doubled by sqlglot)."""
    return exp.Literal.string(s).sql(dialect="trino")


TRUE: exp.Expr = exp.true()
FALSE: exp.Expr = exp.false()


def _is(e: exp.Expr, const: exp.Expr) -> bool:
    return isinstance(e, exp.Boolean) and e.this == const.this


def and_(*items: exp.Expr) -> exp.Expr:
    """Conjunction, folding constants."""
    return _fold(items, TRUE, FALSE, exp.and_)


def or_(*items: exp.Expr) -> exp.Expr:
    """Disjunction, folding constants."""
    return _fold(items, FALSE, TRUE, exp.or_)


def _fold(
    items: Sequence[exp.Expr], identity: exp.Expr, absorbing: exp.Expr, join: Callable[..., exp.Expr]
) -> exp.Expr:
    """``items`` joined by ``join`` without the ``identity`` constants; ``absorbing`` if one is among them."""
    kept = [i for i in items if not _is(i, identity)]
    if any(_is(i, absorbing) for i in kept):
        return absorbing
    if not kept:
        return identity
    return kept[0] if len(kept) == 1 else join(*(exp.paren(i, copy=False) for i in kept), copy=False)


def not_(e: exp.Expr) -> exp.Expr:
    """Negation, folding constants (operands are two-valued: see :func:`_leaf`)."""
    if _is(e, TRUE):
        return FALSE
    if _is(e, FALSE):
        return TRUE
    return exp.not_(exp.paren(e, copy=False), copy=False)


def _leaf(text: str) -> exp.Expr:
    """A condition that is never NULL, so NOT and OR keep their two-valued meaning."""
    return _sql(f"COALESCE(({text}), FALSE)")


@dataclass(frozen=True)
class Bounds:
    """``lower`` implies the stream matches; the stream matching implies ``upper``."""

    lower: exp.Expr
    upper: exp.Expr

    @property
    def exact(self) -> bool:
        """Whether SQL alone decides (no residual rows)."""
        return self.lower.sql() == self.upper.sql()

    @staticmethod
    def of(e: exp.Expr) -> Bounds:
        """An exactly compiled condition."""
        return Bounds(e, e)

    @staticmethod
    def guarded(e: exp.Expr, ambiguous: exp.Expr) -> Bounds:
        """``e`` decides except where ``ambiguous`` holds (there the stream's evaluator does)."""
        if _is(ambiguous, FALSE):
            return Bounds.of(e)
        return Bounds(and_(e, not_(ambiguous)), or_(e, ambiguous))

    def __and__(self, o: Bounds) -> Bounds:
        return Bounds(and_(self.lower, o.lower), and_(self.upper, o.upper))

    def __or__(self, o: Bounds) -> Bounds:
        return Bounds(or_(self.lower, o.lower), or_(self.upper, o.upper))

    def __invert__(self) -> Bounds:
        return Bounds(not_(self.upper), not_(self.lower))


RESIDUAL = Bounds(FALSE, TRUE)


def all_of(items: Sequence[Bounds]) -> Bounds:
    """Conjunction of bounds."""
    out = Bounds.of(TRUE)
    for b in items:
        out = out & b
    return out


def any_of(items: Sequence[Bounds]) -> Bounds:
    """Disjunction of bounds."""
    out = Bounds.of(FALSE)
    for b in items:
        out = out | b
    return out


# --------------------------------------------------------------------------- field access

_WHOLE = "existence of a JSON-text column as a whole (the table reads a JSON null and an absent field alike)"
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: JSON number text the stream renders exactly as written (``str(int)``); longer ones may not be.
_INT_RE = "^(0|-?[1-9][0-9]{0,14})$"
#: Text outside printable ASCII: case folding and code-point offsets may differ between engines.
_NON_ASCII = "[^ -~]"


@dataclass(frozen=True)
class Access:
    """How one event field reads in the table.

    ``typed``: a STRING column or struct field (a string, or NULL when absent);
    otherwise ``column`` is a JSON-text column and ``keys`` the path inside it.
    """

    typed: str | None = None
    column: str | None = None
    keys: tuple[str, ...] = ()

    @property
    def whole(self) -> bool:
        """A JSON-text column as a whole: a JSON null in it reads as an absent field."""
        return self.typed is None and not self.keys

    def _jpath(self, n: int | None = None) -> str:
        keys = self.keys[: len(self.keys) if n is None else n]
        return lit("$." + ".".join(keys) if keys else "$")

    def json_text(self, n: int | None = None) -> str:
        """JSON text of the value (NULL when absent): strings quoted, numbers as text."""
        return f"json_format(json_extract({self.column}, {self._jpath(n)}))"

    def present(self) -> str:
        return f"{self.typed} IS NOT NULL" if self.typed else f"{self.json_text()} IS NOT NULL"

    def is_string(self) -> str:
        return self.present() if self.typed else f"{self.json_text()} LIKE '\"%'"

    def content(self) -> str:
        """The string content when the value is a string."""
        return self.typed if self.typed else f"json_extract_scalar({self.column}, {self._jpath()})"

    def is_int(self) -> str:
        return "FALSE" if self.typed else f"regexp_like({self.json_text()}, {lit(_INT_RE)})"

    def is_other_number(self) -> str:
        """A JSON number whose stream text (``str(float)``, big ints) SQL does not reproduce."""
        if self.typed:
            return "FALSE"
        return f"(regexp_like({self.json_text()}, '^-?[0-9]') AND NOT {self.is_int()})"

    def array_on_path(self) -> str:
        """Some step of the path is an array: the Sigma reader flattens lists, SQL does not."""
        if self.typed:
            return "FALSE"
        steps = [f"{self.json_text(n)} LIKE '[%'" for n in (range(1, len(self.keys) + 1) if self.keys else (0,))]
        return "(" + " OR ".join(steps) + ")"


def access(path: Sequence[object], what: str) -> Access:
    """Resolve an event field path against the table, or raise :class:`Unsupported`."""
    if not path or not all(isinstance(p, str) for p in path):
        raise Unsupported(f"{what}: array indexes ([n], [*]) are not compiled")
    names = [str(p) for p in path]
    head = names[0]
    if head in schema.SCALARS:
        if len(names) > 1:
            raise Unsupported(f"{what}: {head} is a STRING column; it has no field {names[1]!r}")
        return Access(typed=schema.SCALARS[head])
    if head in schema.JSON_TEXT:
        for k in names[1:]:
            if not _KEY.match(k):
                raise Unsupported(f"{what}: field name {k!r} is not a plain identifier")
        return Access(column=schema.JSON_TEXT[head], keys=tuple(names[1:]))
    if head in schema.STRUCTS:
        col, struct = schema.STRUCTS[head]
        sql = col
        sub: schema.Struct | None = struct
        for k in names[1:]:
            if sub is None or k not in sub:
                raise Unsupported(f"{what}: {'.'.join(names)} is not a field of the table's {head} struct")
            name, sub = sub[k]
            sql = f"{sql}.{name}"
        if sub is not None:
            raise Unsupported(f"{what}: {'.'.join(names)} is a struct, not a value")
        return Access(typed=sql)
    raise Unsupported(f"{what}: {head!r} is not a column of the Athena CloudTrail table")


def _like_pattern(glob: str) -> str:
    """A CIS ``*`` glob as a LIKE pattern with ``\\`` escaping (anchored, like the stream)."""
    out = []
    for ch in glob:
        if ch == "*":
            out.append("%")
        elif ch in "%_\\":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


# --------------------------------------------------------------------------- CIS filter patterns


def _cis_equals(a: Access, value: Value, what: str) -> Bounds:
    if value.kind == "number":
        if a.typed:
            raise Unsupported(f"{what}: a number compared with the STRING column {a.typed}")
        num = value.number
        assert num is not None
        if num.is_integer() and abs(num) < 1e15:
            exact = f"{a.is_int()} AND {a.json_text()} = {lit(str(int(num)))}"
        else:
            exact = "FALSE"
        return Bounds.guarded(_leaf(exact), _ambiguous(a.is_other_number()))
    # the stream compares strings, and integers by their text (str(int)); other numbers: residual
    text = a.typed or f"(CASE WHEN {a.is_string()} THEN {a.content()} WHEN {a.is_int()} THEN {a.json_text()} END)"
    if value.has_wildcard:
        cond = f"{text} LIKE {lit(_like_pattern(value.text))} ESCAPE '\\'"
    else:
        cond = f"{text} = {lit(value.text)}"
    return Bounds.guarded(_leaf(cond), _ambiguous(a.is_other_number()))


def _ambiguous(*parts: str) -> exp.Expr:
    """Rows SQL cannot decide (FALSE when every part is FALSE)."""
    kept = [p for p in parts if p != "FALSE"]
    return _leaf(" OR ".join(kept)) if kept else FALSE


def _cis_comparison(c: Comparison) -> Bounds:
    what = c.render()
    a = access(c.path, what)
    op = c.op
    if a.whole and op in ("EXISTS", "NOT EXISTS", "IS NULL"):
        raise Unsupported(f"{what}: {_WHOLE}")
    if op == "EXISTS":
        return Bounds.of(_leaf(a.present()))
    if op == "NOT EXISTS":
        return Bounds.of(not_(_leaf(a.present())))
    if op in ("IS NULL", "IS TRUE", "IS FALSE"):
        if a.typed:
            raise Unsupported(f"{what}: the STRING column {a.typed} holds no JSON null or boolean")
        word = op.split()[1].lower()
        return Bounds.of(_leaf(f"{a.json_text()} = {lit(word)}"))
    assert c.value is not None
    if op == "=":
        return _cis_equals(a, c.value, what)
    if op == "!=":
        return ~_cis_equals(a, c.value, what)
    if a.typed:
        raise Unsupported(f"{what}: a numeric comparison on the STRING column {a.typed}")
    num = c.value.number
    assert num is not None
    short_int = "^(0|-?[1-9][0-9]{0,14})$"
    exact = f"regexp_like({a.json_text()}, {lit(short_int)}) AND TRY_CAST({a.json_text()} AS DOUBLE) {op} {num!r}"
    return Bounds.guarded(_leaf(exact), _ambiguous(a.is_other_number()))


def compile_pattern_expr(expr: Expr) -> Bounds:
    """A parsed CIS filter pattern (:mod:`auditor.semantics.filterpattern`) as bounds."""
    if isinstance(expr, Comparison):
        return _cis_comparison(expr)
    if isinstance(expr, Not):
        return ~compile_pattern_expr(expr.item)
    if isinstance(expr, And):
        return all_of([compile_pattern_expr(i) for i in expr.items])
    if isinstance(expr, Or):
        return any_of([compile_pattern_expr(i) for i in expr.items])
    raise Unsupported(f"pattern element {type(expr).__name__}")


# --------------------------------------------------------------------------- Sigma


def _sigma_text(a: Access) -> str:
    """The stream's ``_as_text``: strings, integers by their text, booleans as true/false, and
    an object as its canonical JSON text, which is what a whole JSON-text column holds."""
    if a.typed:
        return a.typed
    obj = f"WHEN {a.column} LIKE '{{%' THEN {a.column} " if a.whole else ""
    return (
        f"(CASE {obj}WHEN {a.is_string()} THEN {a.content()} WHEN {a.is_int()} "
        f"OR {a.json_text()} IN ('true', 'false') THEN {a.json_text()} END)"
    )


#: A JSON string value starting with { or [ in compact JSON text: possibly an embedded JSON
#: document, which the stream's canonical text writes as the JSON it holds (sigma.json_text).
_EMBEDDED = r'[:\[,]"[\[{]'


def _nested_object(a: Access) -> str:
    """Objects whose SQL text may differ from the stream's canonical text: below the top of a JSON-text
    column (the engine's JSON text of it: key order, escapes), or holding an embedded JSON document
    (the stream expands it). Such rows go to the residual."""
    if a.typed:
        return "FALSE"
    if a.whole:
        return f"({a.column} LIKE '{{%' AND regexp_like({a.column}, {lit(_EMBEDDED)}))"
    return f"{a.json_text()} LIKE '{{%'"


def _sigma_ambiguous(a: Access, text: str) -> exp.Expr:
    return _ambiguous(
        a.is_other_number(), a.array_on_path(), _nested_object(a), f"regexp_like({text}, {lit(_NON_ASCII)})"
    )


def _sigma_string(op: str, a: Access, want: str, cased: bool) -> Bounds:
    text = _sigma_text(a)
    cmp_text = text if cased else f"lower({text})"
    amb = _sigma_ambiguous(a, text)
    if re.search(_NON_ASCII, want):
        return Bounds(FALSE, or_(_leaf(f"{text} IS NOT NULL"), _ambiguous(a.array_on_path())))
    w = lit(want)
    if op == "eq":
        cond = f"{cmp_text} = {w}"
    elif want == "":
        cond = f"{text} IS NOT NULL"
    elif op == "prefix":
        cond = f"strpos({cmp_text}, {w}) = 1"
    elif op == "contains":
        cond = f"strpos({cmp_text}, {w}) > 0"
    else:  # suffix
        n = len(want)
        cond = f"length({cmp_text}) >= {n} AND substr({cmp_text}, length({cmp_text}) - {n - 1}) = {w}"
    return Bounds.guarded(_leaf(cond), amb)


def _sigma_node(node: Node) -> Bounds:
    op = node[0]
    if op == "and":
        return all_of([_sigma_node(c) for c in node[1]])
    if op == "or":
        return any_of([_sigma_node(c) for c in node[1]])
    if op == "not":
        return ~_sigma_node(node[1])
    path = node[1]
    what = f"Sigma {op} on {'.'.join(path)}"
    a = access(path, what)
    if op == "exists":
        if a.whole:
            raise Unsupported(f"{what}: {_WHOLE}")
        cond = _leaf(a.present())
        return Bounds.guarded(cond if node[2] else not_(cond), _ambiguous(a.array_on_path()))
    if op == "null":  # absent or JSON null, never '': the table's NULL covers both at the top
        if a.typed or a.whole:
            return Bounds.guarded(_leaf(f"{a.typed or a.column} IS NULL"), _ambiguous(a.array_on_path()))
        empty = f"{a.json_text()} IS NULL OR {a.json_text()} = 'null'"
        return Bounds.guarded(_leaf(empty), _ambiguous(a.array_on_path()))
    if op == "any":  # a bare *: any value with text (strings, numbers, booleans, objects), not null
        if a.typed or a.whole:
            return Bounds.guarded(_leaf(f"{a.typed or a.column} IS NOT NULL"), _ambiguous(a.array_on_path()))
        some = f"{a.json_text()} IS NOT NULL AND {a.json_text()} <> 'null'"
        return Bounds.guarded(_leaf(some), _ambiguous(a.array_on_path()))
    if op in ("eq", "prefix", "suffix", "contains"):
        return _sigma_string(op, a, node[2], bool(node[3]))
    if op in ("re", "glob", "num", "bool", "cidr", "cmp", "fieldref"):
        # decided by the stream's evaluator on the candidate rows (the field must hold a value)
        return Bounds(FALSE, or_(_leaf(a.present()), _ambiguous(a.array_on_path())))
    raise Unsupported(f"{what}: Sigma node {op!r}")


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class CompiledRule:
    """One rule as SQL bounds, plus what the residual rows need."""

    kind: str  # "builtin" or "sigma"
    rule_id: str
    bounds: Bounds
    #: The rule's resource field (builtin rules), as a SQL text and its ambiguity guard.
    resource: tuple[exp.Expr, exp.Expr] | None = None

    @property
    def exact(self) -> bool:
        """Decided by SQL alone."""
        return self.bounds.exact and (self.resource is None or _is(self.resource[1], FALSE))


def resource_sql(path: tuple[str, ...]) -> tuple[exp.Expr, exp.Expr]:
    """(SQL text of a rule's resource field as the stream writes it, rows where SQL cannot say).

    The stream keys matches by ``str(value)``; SQL reproduces strings and absence ('' )
    exactly, every other JSON value goes to the residual.
    """
    a = access(path, "resource field")
    if a.typed:
        return _sql(f"COALESCE({a.typed}, '')"), FALSE
    value = _sql(f"(CASE WHEN {a.is_string()} THEN {a.content()} ELSE '' END)")
    amb = _leaf(f"{a.present()} AND NOT {a.is_string()} AND {a.json_text()} <> 'null'")
    return value, amb


def compile_builtin(rule: Rule) -> CompiledRule:
    """A built-in rule: its pre-filter, its CIS pattern and its predicate (residual)."""
    parts: list[Bounds] = []
    if rule.names is not None:
        names = ", ".join(lit(n) for n in sorted(rule.names))
        parts.append(Bounds.of(_leaf(f"eventname IN ({names})")))
    if rule.field_filter is not None:
        fpath, values = rule.field_filter
        a = access(fpath, f"rule {rule.id} pre-filter")
        if not a.typed:
            raise Unsupported(f"rule {rule.id}: pre-filter on a JSON-text field")
        parts.append(Bounds.of(_leaf(f"{a.typed} IN ({', '.join(lit(v) for v in sorted(values))})")))
    if rule.pattern is not None:
        parts.append(compile_pattern_expr(compile_pattern(rule.pattern).root))
    if rule.predicate is not None:
        parts.append(RESIDUAL)
    resource = resource_sql(rule.resource_field) if rule.resource_field else None
    return CompiledRule("builtin", rule.id, all_of(parts), resource)


def compile_sigma(spec: SigmaRuleSpec) -> CompiledRule:
    """A Sigma rule (already parsed by :mod:`auditor.logs.sigma`)."""
    return CompiledRule("sigma", spec.id, _sigma_node(spec.node))

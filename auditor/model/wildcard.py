"""Wildcard matching without backtracking: the one matcher every ``*``/``?`` pattern uses.

Patterns come from scanned accounts (metric filter values, IAM and key policy
actions and resources) and log values are attacker-written, so neither side is
trusted. Turning ``*`` into ``.*`` and handing the result to :mod:`re` lets a
pattern such as ``"************Q"`` backtrack exponentially: ten stars took
11.5 s on one short value. The matcher here never backtracks.

A pattern is split at its stars into literal segments. The first segment
must start the text, the last must end it, and each middle segment is taken at
its leftmost occurrence after the previous one. Leftmost is always right:
a later occurrence leaves less room for the segments that follow, never more.
Each segment is found once (``str.find`` when it has no ``?``), so a match costs
at most O(len(text) x len(pattern)) and usually O(len(text)), whatever the
number of stars.

Semantics, identical to the regular expressions they replace (``fullmatch``,
``DOTALL``): ``*`` matches any run of characters including none and line
breaks, ``?`` (when enabled) exactly one character, everything else itself.
There are no character classes and no escapes. Case-insensitive matching folds
each character to its lower case on both sides, one character at a time (so a
character whose lower case is longer, such as U+0130, is compared as itself).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

#: A pattern token: ``("t", text)`` a literal run, ``("*", _)`` a star, ``("?", _)`` one character.
Token = tuple[str, str]


def fold(text: str) -> str:
    """``text`` in lower case, one character for one (so ``?`` still counts one)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(low if len(low := c.lower()) == 1 else c for c in text)


@dataclass(frozen=True)
class _Segment:
    """Literal characters between two stars; ``anys`` are positions any character fills."""

    text: str
    anys: frozenset[int]

    def matches_at(self, s: str, i: int) -> bool:
        if not self.anys:
            return s.startswith(self.text, i)
        if i < 0 or i + len(self.text) > len(s):
            return False
        return all(k in self.anys or s[i + k] == ch for k, ch in enumerate(self.text))

    def find(self, s: str, start: int, end: int) -> int:
        if not self.anys:
            return s.find(self.text, start, end)
        for i in range(start, end - len(self.text) + 1):
            if self.matches_at(s, i):
                return i
        return -1


@dataclass(frozen=True)
class Glob:
    """A compiled wildcard pattern: build with :func:`compile_glob` or :meth:`from_tokens`."""

    segments: tuple[_Segment, ...]
    case_sensitive: bool
    min_length: int

    @classmethod
    def from_tokens(cls, tokens: Iterable[Token], *, case_sensitive: bool = True) -> Glob:
        """A pattern from pre-parsed tokens (for languages with escapes, such as Sigma)."""
        segments: list[_Segment] = []
        text: list[str] = []
        anys: set[int] = set()
        length = 0
        for kind, value in tokens:
            if kind == "*":
                segments.append(_Segment("".join(text), frozenset(anys)))
                text, anys, length = [], set(), 0
                continue
            if kind == "?":
                anys.add(length)
                value = "?"
            elif not case_sensitive:
                value = fold(value)
            text.append(value)
            length += len(value)
        segments.append(_Segment("".join(text), frozenset(anys)))
        return cls(tuple(segments), case_sensitive, sum(len(s.text) for s in segments))

    def matches(self, value: str) -> bool:
        """Whether the whole of ``value`` matches the pattern."""
        s = value if self.case_sensitive else fold(value)
        segs = self.segments
        if len(segs) == 1:
            return len(s) == self.min_length and segs[0].matches_at(s, 0)
        if len(s) < self.min_length:
            return False
        first, last = segs[0], segs[-1]
        end = len(s) - len(last.text)
        if not (first.matches_at(s, 0) and last.matches_at(s, end)):
            return False
        pos = len(first.text)
        for seg in segs[1:-1]:
            found = seg.find(s, pos, end)
            if found < 0:
                return False
            pos = found + len(seg.text)
        return True


def _tokens(pattern: str, question_mark: bool) -> Iterable[Token]:
    for ch in pattern:
        if ch == "*":
            yield ("*", ch)
        elif ch == "?" and question_mark:
            yield ("?", ch)
        else:
            yield ("t", ch)


@lru_cache(maxsize=2048)
def compile_glob(pattern: str, *, case_sensitive: bool = True, question_mark: bool = True) -> Glob:
    """``pattern`` compiled: ``*`` any run, ``?`` one character (unless ``question_mark=False``)."""
    return Glob.from_tokens(_tokens(pattern, question_mark), case_sensitive=case_sensitive)


def glob_match(pattern: str, value: str, *, case_sensitive: bool = True, question_mark: bool = True) -> bool:
    """Whether the whole of ``value`` matches the wildcard ``pattern`` (see the module docstring)."""
    return compile_glob(pattern, case_sensitive=case_sensitive, question_mark=question_mark).matches(value)

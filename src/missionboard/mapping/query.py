"""A boolean keyword query language for mapping texts to goals, with exact evidence.

Syntax (case-insensitive operators; words and phrases match case- and accent-insensitively)::

    solar                      a word
    renewab*   wom?n           wildcards: * any run of letters, ? exactly one
    "clean energy"             a phrase: the words next to each other, in order (wildcards allowed)
    a AND b    a b             both (adjacent operands mean AND)
    a OR b                     either
    NOT a      a AND NOT b     absence; ``a NOT b`` is read as ``a AND NOT b``
    a NEAR/3 b    a W/3 b      both, at most 3 words apart, either order (W/n as in Scopus)
    a PRE/3 b                  both, ``a`` before ``b``, at most 3 words apart
    ( … )                      grouping

Precedence, tightest first: proximity (NEAR/W/PRE), NOT, AND, OR. Proximity operands may be words,
phrases or OR-groups of them. ``TITLE-ABS-KEY( … )`` and Scopus ``{exact phrase}`` are accepted too, so
that published Scopus queries read as they are written.

A query compiles once into a tree of matchers. Matching a text tokenises it once (``TextIndex``) and
answers with the exact words and phrases that made the query true (``Match.evidence``). This is the
reference evaluation; ``mapping.matcher.QuerySet`` runs all of a taxonomy's queries over a text at
once, faster, with the same results (tests/mapping/test_mapping_matcher.py).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from missionboard.errors import QuerySyntaxError as QuerySyntaxError  # re-exported: tests

_WORD = re.compile(r"\w+")  # apostrophes split words: "l'énergie" → "l", "energie"


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """Lower-case a word and strip its accents ("Energía" → "energia")."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _build_fold_table() -> dict[int, str]:
    """Accented Latin letters (Latin-1 … Latin Extended Additional, i.e. Vietnamese) → base letter."""
    table: dict[int, str] = {}
    for code in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        base = "".join(c for c in unicodedata.normalize("NFKD", chr(code)) if not unicodedata.combining(c))
        if len(base) == 1 and base != chr(code):
            table[code] = base
    table[ord("’")] = "'"
    return table


_FOLD_TABLE = _build_fold_table()
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _fold_run(match: re.Match[str]) -> str:
    return match.group().translate(_FOLD_TABLE)


def _fold_text(text: str) -> str:
    """Lower-case and strip accents keeping every character's offset (else fall back to per word)."""
    if text.isascii():
        return text.lower()
    folded = _NON_ASCII.sub(_fold_run, text).lower()
    if len(folded) != len(text):
        return ""
    return folded


# --- the index of one text --------------------------------------------------------------------


# Every wildcard's fixed start (e.g. "renewab" of "renewab*"), grouped by its first two letters:
# a text is checked only against the prefixes that could start one of its words.
_WILDCARD_PREFIXES: dict[str, set[str]] = {}


def _register_prefix(prefix: str) -> None:
    if 2 <= len(prefix) <= 12:
        _WILDCARD_PREFIXES.setdefault(prefix[:2], set()).add(prefix)


class TextIndex:
    """A text tokenised once: word → positions, and (on demand) the surface form of each position."""

    __slots__ = ("_folded", "_prefixes", "_sorted", "_spans", "positions", "text", "wildcards", "words")

    def __init__(self, text: str) -> None:
        self.text = text
        self.wildcards: dict[str, list[int]] | None = None
        folded = _fold_text(text)
        self._spans: list[tuple[int, int]] | None = None
        if len(folded) != len(text):  # rare: folding changed lengths; keep offsets honest
            found = list(_WORD.finditer(text))
            self.words = [fold(m.group()) for m in found]
            self._spans = [m.span() for m in found]
        else:
            self.words = _WORD.findall(folded)
            if not folded.isascii():  # letters outside the table (Greek, Cyrillic …) still lose accents
                self.words = [w if w.isascii() else fold(w) for w in self.words]
        self._folded = folded
        positions: dict[str, list[int]] = {}
        for i, w in enumerate(self.words):
            if w in positions:
                positions[w].append(i)
            else:
                positions[w] = [i]
        self.positions = positions
        self._sorted: list[str] | None = None
        self._prefixes: frozenset[str] | None = None

    @classmethod
    def from_tokens(
        cls, text: str, positions: dict[str, list[int]], wildcards: dict[str, list[int]]
    ) -> TextIndex:
        """An index of already tokenised text (``matcher.QuerySet``): folded word → positions, and
        the positions of every wildcard of the queries that will be asked (absent ones match nothing).
        ``words`` is left empty."""
        index = cls.__new__(cls)
        index.text = text
        index._folded = text  # same word boundaries as the folded text: only used for spans
        index._spans = None
        index.positions = positions
        index.words = []
        index.wildcards = wildcards
        index._sorted = None
        index._prefixes = frozenset(re.split(r"[*?]", pattern, maxsplit=1)[0] for pattern in wildcards)
        return index

    @property
    def spans(self) -> list[tuple[int, int]]:
        """Character offsets of each word (computed when evidence is first asked for)."""
        if self._spans is None:
            self._spans = [m.span() for m in _WORD.finditer(self._folded)]
        return self._spans

    @property
    def prefixes(self) -> frozenset[str]:
        """The registered wildcard prefixes that start some word of the text."""
        if self._prefixes is None:
            present: set[str] = set()
            starts = {w[:2] for w in self.positions}
            for start in starts.intersection(_WILDCARD_PREFIXES):
                for prefix in _WILDCARD_PREFIXES[start]:
                    if self.starting_with(prefix, first=True):
                        present.add(prefix)
            self._prefixes = frozenset(present)
        return self._prefixes

    def starting_with(self, prefix: str, *, first: bool = False) -> list[str]:
        """The distinct words of the text that start with ``prefix`` (binary search in sorted words)."""
        if self._sorted is None:
            self._sorted = sorted(self.positions)
        words = self._sorted
        i = bisect_left(words, prefix)
        out = []
        while i < len(words) and words[i].startswith(prefix):
            out.append(words[i])
            if first:
                break
            i += 1
        return out

    def surface(self, start: int, end: int) -> str:
        """The original text of word positions ``start`` … ``end`` (inclusive)."""
        spans = self.spans
        return self.text[spans[start][0] : spans[end][1]]


# --- the compiled tree -------------------------------------------------------------------------

Hit = tuple[int, int]  # first and last word position of a matched term or phrase


class Node:
    """A compiled query node. ``hits`` returns where it matches (empty: it does not).

    A *positive* node (words, phrases, proximity, ORs of them) is true exactly when its evidence is
    not empty, and its ``evidence`` may be asked for when it is false (it adds nothing then).
    """

    positive = True

    def hits(self, index: TextIndex) -> list[Hit]:
        raise NotImplementedError

    def matches(self, index: TextIndex) -> bool:
        return bool(self.hits(index))

    def evidence(self, index: TextIndex, out: list[Hit]) -> None:
        """Append the hits that make this node true (only called when it is)."""
        out.extend(self.hits(index))

    def terms(self) -> Iterable[Word]:
        return ()


@dataclass
class Word(Node):
    """One word, possibly with wildcards."""

    pattern: str
    _regex: Glob | None = field(default=None, repr=False)
    _prefix: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        self.pattern = fold(self.pattern)
        if "*" in self.pattern or "?" in self.pattern:
            self._regex = Glob(self.pattern)
            self._prefix = re.split(r"[*?]", self.pattern, maxsplit=1)[0]
            _register_prefix(self._prefix)

    @property
    def is_wildcard(self) -> bool:
        return self._regex is not None

    def positions(self, index: TextIndex) -> list[int]:
        if self._regex is None:
            return index.positions.get(self.pattern, [])
        if index.wildcards is not None:
            return index.wildcards.get(self.pattern, [])
        if 2 <= len(self._prefix) <= 12 and self._prefix not in index.prefixes:
            return []
        regex = self._regex
        found: list[int] = []
        candidates = index.starting_with(self._prefix) if self._prefix else list(index.positions)
        for w in candidates:
            if regex.match(w):
                found.extend(index.positions[w])
        if len(candidates) > 1:
            found.sort()
        return found

    def hits(self, index: TextIndex) -> list[Hit]:
        return [(p, p) for p in self.positions(index)]

    def terms(self) -> Iterable[Word]:
        yield self


class Glob:
    """A word pattern with ``*`` (any letters) and ``?`` (one letter), matched in time linear in the
    word's length for each ``*``. A regular expression (``a\\w*a\\w*…b``) backtracks exponentially: the
    query ``a*a*a*a*a*a*a*a*a*a*a*b`` took 0.3 s on one 26-letter word, doubling with each letter."""

    __slots__ = ("_first", "_last", "_last_size", "_middle", "_whole")

    def __init__(self, pattern: str) -> None:
        parts = [
            re.compile("".join(r"\w" if c == "?" else re.escape(c) for c in p)) for p in pattern.split("*")
        ]
        self._whole = parts[0] if len(parts) == 1 else None
        self._first, self._middle, self._last = parts[0], parts[1:-1], parts[-1]
        self._last_size = len(pattern.rsplit("*", 1)[-1])

    def match(self, word: str) -> bool:
        """Whether the whole word fits the pattern (fixed-size parts: the leftmost fit of each part
        between two ``*`` is as good as any)."""
        if self._whole is not None:
            return self._whole.fullmatch(word) is not None
        found = self._first.match(word)
        if found is None:
            return False
        position = found.end()
        for part in self._middle:
            found = part.search(word, position)
            if found is None:
                return False
            position = found.end()
        tail = len(word) - self._last_size
        return tail >= position and self._last.fullmatch(word, tail) is not None


@dataclass
class Phrase(Node):
    words: list[Word]

    def hits(self, index: TextIndex) -> list[Hit]:
        first = self.words[0].positions(index)
        if not first:
            return []
        rest = [set(w.positions(index)) for w in self.words[1:]]
        if any(not r for r in rest):
            return []
        n = len(self.words)
        return [(p, p + n - 1) for p in first if all(p + 1 + i in r for i, r in enumerate(rest))]

    def terms(self) -> Iterable[Word]:
        yield from self.words


@dataclass
class WordSet(Node):
    """An OR of plain words and wildcards, checked with set operations (the common case in queries)."""

    words: list[Word]

    def __post_init__(self) -> None:
        self.literals = frozenset(w.pattern for w in self.words if not w.is_wildcard)
        self.wildcards = [w for w in self.words if w.is_wildcard]
        self.by_prefix: dict[str, list[Word]] = {}
        for w in self.wildcards:
            self.by_prefix.setdefault(w._prefix, []).append(w)
        self.prefixes = frozenset(self.by_prefix)
        self.unindexed = any(not 2 <= len(p) <= 12 for p in self.prefixes)

    def _live_wildcards(self, index: TextIndex) -> list[Word]:
        if not self.wildcards:
            return []
        if index.wildcards is not None:
            return [w for w in self.wildcards if w.pattern in index.wildcards]
        if self.unindexed:
            return self.wildcards
        return [w for p in self.prefixes.intersection(index.prefixes) for w in self.by_prefix[p]]

    def hits(self, index: TextIndex) -> list[Hit]:
        out: list[Hit] = []
        positions = index.positions
        for literal in self.literals.intersection(positions):
            out.extend((p, p) for p in positions[literal])
        for w in self._live_wildcards(index):
            out.extend((p, p) for p in w.positions(index))
        return out

    def matches(self, index: TextIndex) -> bool:
        if not self.literals.isdisjoint(index.positions):
            return True
        return any(w.positions(index) for w in self._live_wildcards(index))

    def terms(self) -> Iterable[Word]:
        yield from self.words


@dataclass
class PhraseSet(Node):
    """An OR of phrases, indexed by their first word so that absent phrases cost one set operation."""

    phrases: list[Phrase]

    def __post_init__(self) -> None:
        self.by_first: dict[str, list[Phrase]] = {}
        self.other: list[Phrase] = []
        for phrase in self.phrases:
            first = phrase.words[0]
            if first.is_wildcard:
                self.other.append(phrase)
            else:
                self.by_first.setdefault(first.pattern, []).append(phrase)
        self.firsts = frozenset(self.by_first)

    def _live(self, index: TextIndex) -> list[Phrase]:
        live = [p for first in self.firsts.intersection(index.positions) for p in self.by_first[first]]
        return live + self.other if self.other else live

    def hits(self, index: TextIndex) -> list[Hit]:
        out: list[Hit] = []
        for phrase in self._live(index):
            out.extend(phrase.hits(index))
        return out

    def matches(self, index: TextIndex) -> bool:
        return any(phrase.hits(index) for phrase in self._live(index))

    def terms(self) -> Iterable[Word]:
        for phrase in self.phrases:
            yield from phrase.words


@dataclass
class Or(Node):
    children: list[Node]

    def hits(self, index: TextIndex) -> list[Hit]:
        out: list[Hit] = []
        for child in self.children:
            out.extend(child.hits(index))
        return out

    def matches(self, index: TextIndex) -> bool:
        return any(child.matches(index) for child in self.children)

    def evidence(self, index: TextIndex, out: list[Hit]) -> None:
        for child in self.children:
            if child.positive or child.matches(index):
                child.evidence(index, out)

    @property
    def positive(self) -> bool:  # type: ignore[override]
        return all(child.positive for child in self.children)

    def terms(self) -> Iterable[Word]:
        for child in self.children:
            yield from child.terms()


@dataclass
class And(Node):
    children: list[Node]
    positive = False

    def hits(self, index: TextIndex) -> list[Hit]:
        out: list[Hit] = []
        for child in self.children:
            found = child.hits(index)
            if not found and not isinstance(child, Not):
                return []
            if isinstance(child, Not) and not child.matches(index):
                return []
            out.extend(found)
        return out

    def matches(self, index: TextIndex) -> bool:
        return all(child.matches(index) for child in self.children)

    def evidence(self, index: TextIndex, out: list[Hit]) -> None:
        for child in self.children:
            child.evidence(index, out)

    def terms(self) -> Iterable[Word]:
        for child in self.children:
            yield from child.terms()


@dataclass
class Not(Node):
    child: Node
    positive = False

    def hits(self, index: TextIndex) -> list[Hit]:
        return []  # an absence has no position

    def matches(self, index: TextIndex) -> bool:
        return not self.child.matches(index)

    def evidence(self, index: TextIndex, out: list[Hit]) -> None:
        return None


@dataclass
class Near(Node):
    """Both sides within ``distance`` words of each other (``ordered``: left before right)."""

    left: Node
    right: Node
    distance: int
    ordered: bool = False

    def _pairs(self, index: TextIndex) -> list[tuple[Hit, Hit]]:
        lefts = self.left.hits(index)
        if not lefts:
            return []
        rights = self.right.hits(index)
        pairs: list[tuple[Hit, Hit]] = []
        for a in lefts:
            for b in rights:
                if b[0] > a[1]:
                    gap = b[0] - a[1] - 1
                elif a[0] > b[1]:
                    if self.ordered:
                        continue
                    gap = a[0] - b[1] - 1
                else:
                    continue  # overlapping: the same words cannot be both sides
                if gap <= self.distance:
                    pairs.append((a, b))
        return pairs

    def hits(self, index: TextIndex) -> list[Hit]:
        return [(min(a[0], b[0]), max(a[1], b[1])) for a, b in self._pairs(index)]

    def evidence(self, index: TextIndex, out: list[Hit]) -> None:
        for a, b in self._pairs(index):
            out.extend((a, b))

    def terms(self) -> Iterable[Word]:
        yield from self.left.terms()
        yield from self.right.terms()


# --- the parser ---------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<phrase>"[^"]*"|\{[^}]*\}|“[^”]*”)
  | (?P<near>(?:NEAR|W|PRE)/\d+)
  | (?P<field>(?:TITLE-ABS-KEY|TITLE-ABS|TITLE|ABS|KEY|AUTHKEY)(?=\s*\())
  | (?P<word>[^\s()"{}“”]+)
    """,
    re.VERBOSE | re.IGNORECASE,
)
_OPERATORS = {"AND", "OR", "NOT", "AND NOT"}
MAX_QUERY = 100_000
"""Characters in one query (the built-in taxonomies' longest has 451)."""
MAX_DEPTH = 100
"""Brackets, NOTs and proximity operators nested in one another (the built-in ones nest 3 deep); the
parser and the matcher recurse once per level."""
MAX_DISTANCE = 10_000
"""Words allowed between the two sides of NEAR/n, W/n, PRE/n."""


@dataclass
class _Tok:
    kind: str
    text: str
    pos: int


def _tokenise(query: str, where: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(query):
        m = _TOKEN.match(query, pos)
        if m is None:  # pragma: no cover - the word group matches any other character
            raise QuerySyntaxError(query, pos, "unexpected character", where=where)
        kind = m.lastgroup or "word"
        text = m.group()
        if kind == "word" and text.upper() in _OPERATORS:
            kind = text.upper()
        if kind != "space":
            out.append(_Tok(kind, text, pos))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, query: str, where: str) -> None:
        self.query = query
        self.where = where
        if len(query) > MAX_QUERY:
            raise QuerySyntaxError(
                query, MAX_QUERY, f"query longer than {MAX_QUERY:,} characters", where=where
            )
        self.toks = _tokenise(query, where)
        self.i = 0
        self.depth = 0

    def deeper(self, tok: _Tok | None) -> None:
        """Count one more level of nesting; refuse past MAX_DEPTH (the matcher recurses as deep)."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"nested more than {MAX_DEPTH} levels deep", tok)

    def error(self, message: str, tok: _Tok | None = None) -> QuerySyntaxError:
        pos = tok.pos if tok else len(self.query)
        return QuerySyntaxError(self.query, pos, message, where=self.where)

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        if not self.toks:
            raise self.error("empty query")
        node = self.or_expr()
        tok = self.peek()
        if tok is not None:
            raise self.error(f"unexpected {tok.text!r}", tok)
        return node

    def or_expr(self) -> Node:
        children = [self.and_expr()]
        while (tok := self.peek()) is not None and tok.kind == "OR":
            self.take()
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else Or(children)

    def _starts_operand(self, tok: _Tok | None) -> bool:
        return tok is not None and tok.kind in ("word", "phrase", "lparen", "field", "NOT")

    def and_expr(self) -> Node:
        children = [self.unary()]
        while True:
            tok = self.peek()
            if tok is not None and tok.kind == "AND":
                self.take()
                children.append(self.unary())
            elif self._starts_operand(tok):
                children.append(self.unary())  # adjacency means AND; "a NOT b" means "a AND NOT b"
            else:
                break
        return children[0] if len(children) == 1 else And(children)

    def unary(self) -> Node:
        tok = self.peek()
        if tok is not None and tok.kind == "NOT":
            self.take()
            if not self._starts_operand(self.peek()):
                raise self.error("NOT needs something after it", self.peek())
            self.deeper(tok)
            node = Not(self.unary())
            self.depth -= 1
            return node
        return self.proximity()

    def proximity(self) -> Node:
        node = self.primary()
        levels = 0
        while (tok := self.peek()) is not None and tok.kind == "near":
            self.take()
            op, _, number = tok.text.partition("/")
            if len(number) > len(str(MAX_DISTANCE)) or int(number) > MAX_DISTANCE:
                raise self.error(f"{op}/n allows at most {MAX_DISTANCE:,} words between its sides", tok)
            self.deeper(tok)  # "a NEAR/1 b NEAR/1 c" nests to the left
            levels += 1
            right = self.primary()
            for side in (node, right):
                if isinstance(side, Not):
                    raise self.error(f"{tok.text} cannot take a NOT operand", tok)
            node = Near(node, right, int(number), ordered=op.upper() == "PRE")
        self.depth -= levels
        return node

    def primary(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise self.error("query ends where a word, phrase or '(' was expected")
        if tok.kind == "field":
            self.take()
            if (nxt := self.peek()) is None or nxt.kind != "lparen":
                raise self.error(f"{tok.text} needs '('", nxt)
            return self.primary()
        if tok.kind == "lparen":
            self.take()
            self.deeper(tok)
            node = self.or_expr()
            close = self.peek()
            if close is None or close.kind != "rparen":
                raise self.error("missing ')'", close)
            self.take()
            self.depth -= 1
            return node
        if tok.kind == "phrase":
            self.take()
            words = _WORD_IN_QUERY.findall(tok.text[1:-1])
            if not words:
                raise self.error("empty phrase", tok)
            if len(words) == 1:
                return Word(words[0])
            return Phrase([Word(w) for w in words])
        if tok.kind == "word":
            self.take()
            parts = _WORD_IN_QUERY.findall(tok.text)
            if not parts:
                raise self.error(f"{tok.text!r} holds no letters or digits", tok)
            if len(parts) == 1:
                return Word(parts[0])
            return Phrase([Word(p) for p in parts])  # "well-being", "CO2-neutral": the words in order
        if tok.kind == "rparen":
            raise self.error("unexpected ')'", tok)
        raise self.error(f"unexpected {tok.text!r}", tok)


_WORD_IN_QUERY = re.compile(r"(?:\w|[*?])+")


# --- the public surface -------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """A query that matched a text, and the words and phrases that made it match."""

    query: str
    evidence: list[str]
    hits: list[Hit]


class Query:
    """A compiled query. ``Query.parse(text)`` raises ``QuerySyntaxError`` for bad syntax."""

    def __init__(self, text: str, root: Node) -> None:
        self.text = text
        self.root = root
        words = list(root.terms())
        self._literals = frozenset(w.pattern for w in words if not w.is_wildcard)
        self._prefixes = frozenset(w._prefix for w in words if w.is_wildcard)
        self._positive = root.positive
        self._can_match_without_words = _satisfiable_by_absence(root) or any(
            not 2 <= len(p) <= 12 for p in self._prefixes
        )

    @classmethod
    def parse(cls, text: str, *, where: str = "query") -> Query:
        return cls(text, _optimise(_Parser(text, where).parse()))

    def could_match(self, index: TextIndex) -> bool:
        """A cheap test: False means the query surely does not match."""
        if self._can_match_without_words:
            return True
        if not self._literals.isdisjoint(index.positions):
            return True
        return bool(self._prefixes) and not self._prefixes.isdisjoint(index.prefixes)

    def match(self, text: str | TextIndex) -> Match | None:
        index = text if isinstance(text, TextIndex) else TextIndex(text)
        if not self.could_match(index):
            return None
        hits: list[Hit] = []
        if self._positive:  # one pass: true exactly when there is evidence
            self.root.evidence(index, hits)
            if not hits:
                return None
        else:
            if not self.root.matches(index):
                return None
            self.root.evidence(index, hits)
        unique = sorted(set(hits))
        seen: list[str] = []
        for start, end in unique:
            surface = index.surface(start, end)
            if surface.lower() not in (s.lower() for s in seen):
                seen.append(surface)
        return Match(query=self.text, evidence=seen, hits=unique)


def _optimise(node: Node) -> Node:
    """Fold the plain words of every OR into one ``WordSet`` (same meaning, set-speed matching)."""
    if isinstance(node, Or):
        children = [_optimise(c) for c in node.children]
        words = [c for c in children if isinstance(c, Word)]
        phrases = [c for c in children if isinstance(c, Phrase)]
        others = [c for c in children if not isinstance(c, Word | Phrase)]
        grouped: list[Node] = []
        if words:
            grouped.append(WordSet(words) if len(words) > 1 else words[0])
        if phrases:
            grouped.append(PhraseSet(phrases) if len(phrases) > 1 else phrases[0])
        grouped.extend(others)
        return grouped[0] if len(grouped) == 1 else Or(grouped)
    if isinstance(node, And):
        return And([_optimise(c) for c in node.children])
    if isinstance(node, Not):
        return Not(_optimise(node.child))
    if isinstance(node, Near):
        return Near(_optimise(node.left), _optimise(node.right), node.distance, node.ordered)
    return node


def _satisfiable_by_absence(node: Node) -> bool:
    if isinstance(node, Not):
        return True
    if isinstance(node, Or):
        return any(_satisfiable_by_absence(c) for c in node.children)
    if isinstance(node, And):
        return all(_satisfiable_by_absence(c) for c in node.children)
    return False


def parse(text: str, *, where: str = "query") -> Query:
    """Compile a query; raises ``QuerySyntaxError`` naming the position of the problem."""
    return Query.parse(text, where=where)

"""All the queries of a taxonomy run over a text at once, with the same matches and evidence as
``Query.match`` run one query at a time (``tests/mapping/test_mapping_matcher.py`` holds them equal).

Why it is faster: a text is tokenised once for every goal's queries; each distinct word is looked up
once in a cache that says which query terms (plain words and wildcards) it is; a query is evaluated
only when one of its terms is in the text; and the common query shape, an OR of words and phrases
(every seed query of the built-in taxonomies), is answered straight from the term positions without
building the query tree's intermediate lists. Other shapes (AND, NOT, NEAR …) run through their
compiled tree on an index built from the same tokens.

Tokenising by word is exact: folding (accents, case) maps every character to one character of the
same word/non-word class, so word boundaries in the folded text are those of the original text,
and a word's folded form does not depend on its neighbours (checked for every code point in the
tests).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from missionboard.mapping.query import (
    _FOLD_TABLE,
    Hit,
    Node,
    Or,
    Phrase,
    PhraseSet,
    Query,
    TextIndex,
    Word,
    WordSet,
    _satisfiable_by_absence,
    fold,
)

_CACHE_LIMIT = 300_000  # distinct words remembered per query set (a few tens of MB at most)


def fold_word(word: str) -> str:
    """A word as ``TextIndex`` folds it (the same result as folding the whole text)."""
    if word.isascii():
        return word.lower()
    folded = word.translate(_FOLD_TABLE).lower()
    return folded if folded.isascii() else fold(folded)


@dataclass(frozen=True)
class GoalMatch:
    """The evidence one goal's queries found in a text: distinct terms as written, and all hits."""

    terms: list[str]
    hits: int


class _Flat:
    """A query that is an OR of words and phrases: true exactly where one of them occurs."""

    __slots__ = ("phrases", "words")

    def __init__(self, words: set[str], phrases: list[tuple[str, ...]]) -> None:
        self.words = frozenset(words)
        self.phrases = frozenset(phrases)


def _flatten(node: Node) -> _Flat | None:
    words: set[str] = set()
    phrases: list[tuple[str, ...]] = []

    def walk(n: Node) -> bool:
        if isinstance(n, Word):
            words.add(n.pattern)
        elif isinstance(n, WordSet):
            words.update(w.pattern for w in n.words)
        elif isinstance(n, Phrase):
            phrases.append(tuple(w.pattern for w in n.words))
        elif isinstance(n, PhraseSet):
            phrases.extend(tuple(w.pattern for w in p.words) for p in n.phrases)
        elif isinstance(n, Or):
            return all(walk(c) for c in n.children)
        else:
            return False
        return True

    return _Flat(words, phrases) if walk(node) else None


class QuerySet:
    """The compiled queries of every goal (``groups[g]`` are goal g's queries, in order)."""

    def __init__(self, groups: Sequence[Sequence[Query]]) -> None:
        self.queries: list[Query] = []
        self.goal_of: list[int] = []
        for g, queries in enumerate(groups):
            for query in queries:
                self.queries.append(query)
                self.goal_of.append(g)
        self.goals = len(groups)
        self._flat: list[_Flat | None] = [_flatten(q.root) for q in self.queries]
        literals: set[str] = set()
        wildcards: dict[str, Word] = {}
        # Which queries can be true when a term (or, for OR-queries, a phrase) is in a text: a query of
        # words and phrases is true exactly when one of them is there; any other query is evaluated
        # whenever one of its words is there, or always if it can be true by absence (NOT …).
        by_term: dict[str, set[int]] = {}
        by_phrase: dict[tuple[str, ...], set[int]] = {}
        always: set[int] = set()
        for k, query in enumerate(self.queries):
            for word in query.root.terms():
                if word.is_wildcard:
                    wildcards.setdefault(word.pattern, word)
                else:
                    literals.add(word.pattern)
                by_term.setdefault(word.pattern, set())
            flat = self._flat[k]
            if flat is None:
                for word in query.root.terms():
                    by_term[word.pattern].add(k)
                if _satisfiable_by_absence(query.root):
                    always.add(k)
            else:
                for pattern in flat.words:
                    by_term[pattern].add(k)
                for phrase in flat.phrases:
                    by_phrase.setdefault(phrase, set()).add(k)
        self._always = frozenset(always)
        self._by_term = {term: frozenset(ks) for term, ks in by_term.items()}
        self._by_phrase = {phrase: frozenset(ks) for phrase, ks in by_phrase.items()}
        self._phrases_by_first: dict[str, list[tuple[str, ...]]] = {}
        for phrase in by_phrase:
            self._phrases_by_first.setdefault(phrase[0], []).append(phrase)
        self._phrase_firsts = frozenset(self._phrases_by_first)
        self._literals = frozenset(literals)
        # Wildcards grouped by the first two letters of their fixed start (others are tried on every word).
        self._wild_by_start: dict[str, list[Word]] = {}
        self._wild_anywhere: list[Word] = []
        for word in wildcards.values():
            if len(word._prefix) >= 2:
                self._wild_by_start.setdefault(word._prefix[:2], []).append(word)
            else:
                self._wild_anywhere.append(word)
        self._cache: dict[str, tuple[str, ...]] = {}  # a text's word → the query terms it is

    def _terms_of(self, word: str) -> tuple[str, ...]:
        """The query terms (plain words, wildcards) a word of a text is; remembered per word."""
        folded = fold_word(word)
        terms = [folded] if folded in self._literals else []
        for wildcard in (*self._wild_by_start.get(folded[:2], ()), *self._wild_anywhere):
            assert wildcard._regex is not None
            if wildcard._regex.match(folded):
                terms.append(wildcard.pattern)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        found = self._cache[word] = tuple(terms)
        return found

    def match(self, text: str) -> dict[int, GoalMatch]:
        """Per goal whose queries match the text: its evidence (as ``Mapper.query_scores`` reports it)."""
        return _TextMatch(self, text).run()


class _TextMatch:
    """The state of matching one text: its words, the positions of query terms, (lazily) an index."""

    __slots__ = ("_index", "parts", "qs", "term_positions", "text", "words")

    def __init__(self, qs: QuerySet, text: str) -> None:
        self.qs = qs
        self.text = text
        # [separator, word, separator, word, …, separator]: the words, and the text between them.
        self.parts: list[str] = _SPLIT.split(text)
        self.words: list[str] = self.parts[1::2]
        entries = list(map(qs._cache.get, self.words))
        if None in entries:
            for i, entry in enumerate(entries):
                if entry is None:
                    entries[i] = qs._terms_of(self.words[i])
        positions: dict[str, list[int]] = {}
        for i in [i for i, entry in enumerate(entries) if entry]:
            for term in entries[i]:  # type: ignore[union-attr]
                found = positions.get(term)
                if found is None:
                    positions[term] = [i]
                else:
                    found.append(i)
        self.term_positions = positions
        self._index: TextIndex | None = None

    def run(self) -> dict[int, GoalMatch]:
        qs = self.qs
        positions = self.term_positions
        phrases: dict[tuple[str, ...], list[Hit]] = {}
        for first in qs._phrase_firsts.intersection(positions):
            for phrase in qs._phrases_by_first[first]:
                found = self._phrase_hits(phrase)
                if found:
                    phrases[phrase] = found
        candidates = qs._always.union(
            *map(qs._by_term.__getitem__, positions), *map(qs._by_phrase.__getitem__, phrases)
        )
        goal_terms: dict[int, list[str]] = {}
        goal_hits: dict[int, set[Hit]] = {}
        for k in sorted(candidates):
            flat = qs._flat[k]
            if flat is not None:  # a candidate OR-query is true: one of its words or phrases is there
                hits: set[Hit] = set()
                for term in flat.words.intersection(positions):
                    where = positions[term]
                    hits.update(zip(where, where, strict=True))
                for phrase in flat.phrases.intersection(phrases):
                    hits.update(phrases[phrase])
                unique = sorted(hits)
                evidence = self._surfaces(unique)
            else:
                match = qs.queries[k].match(self._general_index())
                if match is None:
                    continue
                unique, evidence = match.hits, match.evidence
            g = qs.goal_of[k]
            terms = goal_terms.get(g)
            if terms is None:
                goal_terms[g] = list(evidence)
                goal_hits[g] = set(unique)
            else:
                seen = {x.lower() for x in terms}
                terms.extend([t for t in evidence if t.lower() not in seen])
                goal_hits[g].update(unique)
        return {g: GoalMatch(terms, len(goal_hits[g])) for g, terms in goal_terms.items() if terms}

    def _phrase_hits(self, phrase: tuple[str, ...]) -> list[Hit]:
        """Where the phrase's words stand next to each other, in order (as ``Phrase.hits``)."""
        positions = self.term_positions
        first = positions[phrase[0]]
        if len(phrase) == 2:
            second = positions.get(phrase[1])
            if not second:
                return []
            after = set(second)
            return [(p, p + 1) for p in first if p + 1 in after]
        rest = [positions.get(w) for w in phrase[1:]]
        if not all(rest):
            return []
        sets = [set(r) for r in rest if r is not None]
        n = len(phrase)
        return [(p, p + n - 1) for p in first if all(p + 1 + i in r for i, r in enumerate(sets))]

    def _surfaces(self, unique: list[Hit]) -> list[str]:
        """The text of each hit as written, the first of each case-insensitive spelling (as ``Match``)."""
        seen: list[str] = []
        lowered: set[str] = set()
        for start, end in unique:
            # A word as written, or a phrase with the text between its words ("mini-grids").
            surface = self.words[start] if start == end else "".join(self.parts[2 * start + 1 : 2 * end + 2])
            key = surface.lower()
            if key not in lowered:
                lowered.add(key)
                seen.append(surface)
        return seen

    def _general_index(self) -> TextIndex:
        """A ``TextIndex`` over the same words, wildcards already resolved (for AND, NOT, NEAR …)."""
        if self._index is None:
            folded: dict[str, list[int]] = {}
            for i, word in enumerate(self.words):
                key = _folded(word)
                found = folded.get(key)
                if found is None:
                    folded[key] = [i]
                else:
                    found.append(i)
            wildcards = {t: p for t, p in self.term_positions.items() if t not in self.qs._literals}
            self._index = TextIndex.from_tokens(self.text, folded, wildcards)
        return self._index


_SPLIT = re.compile(r"(\w+)")  # the words of query.TextIndex, with the text between them kept
_FOLDED: dict[str, str] = {}


def _folded(word: str) -> str:
    found = _FOLDED.get(word)
    if found is None:
        if len(_FOLDED) >= _CACHE_LIMIT:
            _FOLDED.clear()
        found = _FOLDED[word] = fold_word(word)
    return found

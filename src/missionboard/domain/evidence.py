"""What a link's evidence points at in the project's own text: the words the goal's queries matched and
the sentence closest to the goal, found again in the text so that a page or a terminal can mark them.

The evidence is what ``Mapper.classify`` stored with the link (``mapping.classifier`` docstring); links
scored before ``closest_sentence`` existed, or by the queries alone, still get a closest sentence: the
best of ``sentences``, else the sentence of the text holding the most matched words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pydantic import JsonValue

TERM_KEYS = frozenset({"query_terms", "matched", "matched_terms", "terms", "keywords"})
"""Evidence keys whose lists hold the words a method matched."""

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)|\n\s*\n")


@dataclass(frozen=True)
class ClosestSentence:
    """The sentence of a project's text closest to the goal, and how it was chosen."""

    text: str
    chosen_by: Literal["similarity", "matched words"]
    similarity: float | None = None
    target: str | None = None
    """The code of the goal or target the sentence is closest to (similarity only)."""

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "text": self.text,
            "chosen_by": self.chosen_by,
            "similarity": self.similarity,
            "target": self.target,
        }


def matched_terms(evidence: JsonValue) -> list[str]:
    """The words and phrases the evidence says the queries matched, longest first (a phrase is marked
    whole before a word inside it), each once whatever its case."""
    found: dict[str, str] = {}

    def walk(value: JsonValue, key: str | None) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for item in value:
                if key in TERM_KEYS and isinstance(item, str):
                    found.setdefault(item.strip().lower(), item.strip())
                else:
                    walk(item, key)

    walk(evidence, None)
    return sorted((t for t in found.values() if len(t) >= 2), key=len, reverse=True)


def _stored_sentence(evidence: JsonValue) -> ClosestSentence | None:
    """``closest_sentence`` where the evidence has one, else the most similar of its ``sentences``."""
    best: ClosestSentence | None = None

    def walk(value: JsonValue) -> None:
        nonlocal best
        if not isinstance(value, dict):
            if isinstance(value, list):
                for item in value:
                    walk(item)
            return
        closest = value.get("closest_sentence")
        if (
            isinstance(closest, dict)
            and isinstance(closest.get("text"), str)
            and str(closest["text"]).strip()
        ):
            best = ClosestSentence(
                str(closest["text"]).strip(),
                "similarity",
                _number(closest.get("similarity")),
                str(closest["target"]) if closest.get("target") is not None else None,
            )
            return
        sentences = value.get("sentences")
        if isinstance(sentences, list) and best is None:
            scored = [
                (_number(s.get("similarity")) or 0.0, str(s["text"]).strip())
                for s in sentences
                if isinstance(s, dict) and isinstance(s.get("text"), str) and str(s["text"]).strip()
            ]
            if scored:
                similarity, text = max(scored, key=lambda pair: pair[0])
                best = ClosestSentence(text, "similarity", similarity)
        for key, item in value.items():
            if key not in ("closest_sentence", "sentences"):
                walk(item)

    walk(evidence)
    return best


def _number(value: JsonValue) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def sentences_of(text: str) -> list[str]:
    """The sentences of ``text`` (split after ., ! or ? and at blank lines)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def closest_sentence(text: str, evidence: JsonValue) -> ClosestSentence | None:
    """The sentence of the project's ``text`` closest to the link's goal: the one the semantic method
    found (``closest_sentence``, else the best of ``sentences``), else the sentence holding the most
    matched words (the first of those tied); None where the evidence points at no sentence."""
    stored = _stored_sentence(evidence)
    if stored is not None:
        return stored
    terms = matched_terms(evidence)
    if not terms:
        return None
    best, best_hits = "", 0
    for sentence in sentences_of(text):
        hits = len(term_spans(sentence, terms))
        if hits > best_hits:
            best, best_hits = sentence, hits
    return ClosestSentence(best, "matched words") if best_hits else None


def _pattern(phrase: str) -> str:
    """A phrase as a pattern whose words may be separated by any white space."""
    return r"\s+".join(re.escape(word) for word in phrase.split())


def find_passage(text: str, passage: str) -> tuple[int, int] | None:
    """Where ``passage`` (a sentence the evidence quotes, perhaps cut or with other white space, perhaps
    with the full stop that joins a title to its abstract) stands in ``text``, ignoring case; None where
    it does not."""
    core = passage.strip().rstrip(".!?…").strip()
    if not core:
        return None
    match = re.search(_pattern(core) + r"[.!?…]*", text, re.IGNORECASE)
    return (match.start(), match.end()) if match and match.end() > match.start() else None


def term_spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """Where the terms occur in ``text`` (case-insensitive, words of one term separated by any white
    space), left to right, never overlapping (the longer term first where two start together)."""
    patterns = [_pattern(term) for term in sorted(terms, key=len, reverse=True) if term.split()]
    if not patterns:
        return []
    matcher = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
    return [(m.start(), m.end()) for m in matcher.finditer(text) if m.end() > m.start()]

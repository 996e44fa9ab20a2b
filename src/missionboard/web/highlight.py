"""A link's evidence marked in the project's own text, so that a reviewer sees why the mapping proposed it."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

from markupsafe import Markup, escape
from pydantic import JsonValue

from missionboard.domain.evidence import TERM_KEYS, find_passage, matched_terms, term_spans

SENTENCE_KEYS = frozenset({"sentences"})
"""Evidence keys whose lists hold the passages a method found closest (``{"text": …}``)."""


def evidence_terms(evidence: JsonValue) -> list[str]:
    """The words and passages the evidence names, longest first (so that a phrase is marked whole
    before a word inside it), each once whatever its case."""
    found: dict[str, str] = {}

    def walk(value: JsonValue, key: str | None) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for item in value:
                if key in TERM_KEYS and isinstance(item, str):
                    found.setdefault(item.strip().lower(), item.strip())
                elif key in SENTENCE_KEYS and isinstance(item, dict) and isinstance(item.get("text"), str):
                    text = str(item["text"]).strip()
                    found.setdefault(text.lower(), text)
                else:
                    walk(item, key)

    walk(evidence, None)
    return sorted((t for t in found.values() if len(t) >= 2), key=len, reverse=True)


def highlight(text: str, terms: Iterable[str]) -> Markup:
    """``text`` escaped, with every occurrence of the terms (case-insensitive; words of one term may be
    separated by any white space) wrapped in ``<mark>``."""
    patterns = [r"\s+".join(re.escape(word) for word in term.split()) for term in terms if term.split()]
    if not patterns:
        return Markup(escape(text))
    matcher = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
    out: list[str] = []
    last = 0
    for match in matcher.finditer(text):
        if match.end() == match.start():
            continue
        out.append(str(escape(text[last : match.start()])))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out))


def mark_evidence(text: str, evidence: JsonValue, sentence: str | None = None) -> Markup:
    """``text`` escaped, with the words the queries matched in ``<mark>`` and the ``sentence`` closest to
    the goal (``mapping.evidence.closest_sentence``), where it stands in ``text``, in
    ``<mark class="closest-sentence">`` around them."""
    terms = [(start, end, "term") for start, end in term_spans(text, matched_terms(evidence))]
    span = find_passage(text, sentence) if sentence else None
    cuts = {0, len(text)} | {i for start, end, _ in terms for i in (start, end)}
    if span is not None:
        cuts |= set(span)
    out: list[str] = []
    points = sorted(cuts)
    for start, end in itertools.pairwise(points):
        piece = str(escape(text[start:end]))
        if any(a <= start and end <= b for a, b, _ in terms):
            piece = f"<mark>{piece}</mark>"
        if span is not None and start == span[0]:
            out.append('<mark class="closest-sentence">')
        out.append(piece)
        if span is not None and end == span[1]:
            out.append("</mark>")
    return Markup("".join(out))

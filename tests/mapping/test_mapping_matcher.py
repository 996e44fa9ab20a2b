"""The compiled query set (``mapping.matcher``) finds exactly what each query finds on its own.

The reference is the straightforward evaluation: every query of every goal run one at a time with
``Query.match`` on a ``TextIndex`` of the whole text, combined per goal as ``Mapper.query_scores``
always did. The corpus mixes every operator, wildcards of every shape, Scopus syntax, accents, case,
apostrophes, hyphens and non-Latin scripts, so that an optimisation cannot change the semantics unseen.
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

import pytest

from missionboard.mapping.classifier import Mapper
from missionboard.mapping.matcher import GoalMatch, QuerySet, fold_word
from missionboard.mapping.query import _FOLD_TABLE, Query, TextIndex, parse
from missionboard.mapping.taxonomy import builtin

HERE = Path(__file__).parent

VOCABULARY = [
    "solar",
    "Solar",
    "SOLAR",
    "solaire",
    "energy",
    "énergie",
    "Energía",
    "energia",
    "clean",
    "climate",
    "change",
    "adaptation",
    "water",
    "agua",
    "eau",
    "drinking",
    "potable",
    "well",
    "being",
    "women",
    "woman",
    "womxn",
    "girls",
    "renewable",
    "renewables",
    "renew",
    "renewal",
    "mini",
    "grid",
    "grids",
    "gridlock",
    "wind",
    "winds",
    "power",
    "hydropower",
    "farm",
    "farms",
    "farmer",
    "l",
    "s",
    "d",
    "pauvreté",
    "pauvrete",
    "fattigdom",
    "Straße",
    "strasse",
    "İstanbul",
    "istanbul",
    "ΟΔΟΣ",
    "οδος",
    "вода",
    "ВОДА",
    "nước",
    "sạch",
    "năng",
    "lượng",
    "co2",
    "CO2",
    "2030",
    "a",
    "an",
    "the",
    "of",
    "and",
    "or",
    "not",
    "near",
    "x_y",
    "education",
    "educación",
    "school",
    "schools",
    "école",
]
SEPARATORS = [" ", " ", " ", ", ", "-", "'", "’", ". ", "\n", " (", ") ", "; ", "/"]
QUERY_WORDS = [
    "solar",
    "energy",
    "energia",
    "clean",
    "climate",
    "change",
    "adaptation",
    "water",
    "agua",
    "potable",
    "women",
    "girls",
    "wind",
    "power",
    "farm",
    "pauvreté",
    "strasse",
    "straße",
    "istanbul",
    "οδος",
    "вода",
    "nước",
    "co2",
    "2030",
    "education",
    "ecole",
    "school",
    "l",
    "s",
    "x_y",
    "solar*",
    "renew*",
    "renewab*",
    "wom?n",
    "grid*",
    "farm?",
    "*power",
    "s*",
    "?ater",
    "educaci*",
    "hydropower*",
    "e*",
    "энерг*",
    "ener*ia",
    "straße*",
    "nu?c",
    "verylongprefixword*",
]


def random_text(rng: random.Random) -> str:
    words = [rng.choice(VOCABULARY) for _ in range(rng.randint(0, 40))]
    out = []
    for word in words:
        out.append(rng.choice([word, word, word.upper(), word.title()]))
        out.append(rng.choice(SEPARATORS))
    return "".join(out)


def random_operand(rng: random.Random, depth: int) -> str:
    roll = rng.random()
    if roll < 0.35 or depth > 2:
        return rng.choice(QUERY_WORDS)
    if roll < 0.5:
        words = " ".join(rng.choice(QUERY_WORDS) for _ in range(rng.randint(2, 3)))
        return rng.choice([f'"{words}"', f"{{{words}}}"])
    if roll < 0.55:
        return f"{rng.choice(QUERY_WORDS)}-{rng.choice(QUERY_WORDS)}"  # a hyphenated word: a phrase
    return f"({random_query(rng, depth + 1)})"


def random_query(rng: random.Random, depth: int = 0) -> str:
    parts = [random_operand(rng, depth)]
    for _ in range(rng.randint(0, 3)):
        op = rng.choice(["AND", "OR", "OR", "", "AND NOT", "NOT", "NEAR/2", "W/3", "PRE/1", "NEAR/0"])
        if op.startswith(("NEAR", "W/", "PRE")):
            # proximity takes words, phrases or OR-groups of them
            left = rng.choice(QUERY_WORDS)
            right = rng.choice(
                [rng.choice(QUERY_WORDS), f'"{rng.choice(QUERY_WORDS)} {rng.choice(QUERY_WORDS)}"']
            )
            parts.append(rng.choice(["AND", "OR"]))
            parts.append(f"({left} OR {rng.choice(QUERY_WORDS)}) {op} {right}")
        else:
            if op:
                parts.append(op)
            parts.append(random_operand(rng, depth))
    query = " ".join(parts)
    if depth == 0 and rng.random() < 0.3:
        query = f"TITLE-ABS-KEY({query})"
    if depth == 0 and rng.random() < 0.1:
        query = f"NOT {random_operand(rng, 1)}"
    return query


def reference(groups: list[list[Query]], text: str) -> dict[int, GoalMatch]:
    """Each query on its own over a fresh ``TextIndex``, combined per goal (the straightforward way)."""
    index = TextIndex(text)
    out: dict[int, GoalMatch] = {}
    for g, queries in enumerate(groups):
        terms: list[str] = []
        hits: set[tuple[int, int]] = set()
        for query in queries:
            match = query.match(index)
            if match is not None:
                seen = {x.lower() for x in terms}
                terms.extend(t for t in match.evidence if t.lower() not in seen)
                hits.update(match.hits)
        if terms:
            out[g] = GoalMatch(terms, len(hits))
    return out


def test_folding_a_text_word_by_word_keeps_every_character_one_character_of_its_class() -> None:
    word = re.compile(r"\w")
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        folded = char.translate(_FOLD_TABLE).lower()
        assert len(folded) == 1 and bool(word.match(folded)) == bool(word.match(char)), hex(code)


def test_words_fold_as_in_the_whole_text() -> None:
    rng = random.Random(3)
    for _ in range(300):
        text = random_text(rng)
        index = TextIndex(text)
        assert [fold_word(w) for w in re.findall(r"\w+", text)] == index.words


def test_random_queries_find_the_same_goals_terms_and_hits_as_one_query_at_a_time() -> None:
    rng = random.Random(11)
    groups = [[parse(random_query(rng)) for _ in range(rng.randint(1, 4))] for _ in range(40)]
    matcher = QuerySet(groups)
    operators = " ".join(q.text for g in groups for q in g)
    for op in ("AND", "OR", "NOT", "NEAR/", "W/", "PRE/", "TITLE-ABS-KEY(", "{", '"', "*", "?"):
        assert op in operators, op  # the corpus exercises every operator
    matched = 0
    for _ in range(1500):
        text = random_text(rng)
        expected = reference(groups, text)
        assert matcher.match(text) == expected, text
        matched += len(expected)
    assert matched > 1000  # the corpus is not trivially empty


@pytest.mark.parametrize("code", ["sdg", "eu-missions"])
def test_builtin_queries_find_the_same_evidence_in_multilingual_abstracts(code: str) -> None:
    mapper = Mapper(builtin(code), method="query")
    texts = [line for line in (HERE / "labelled_snippets.jsonl").read_text("utf-8").splitlines() if line]
    rng = random.Random(5)
    texts += [" ".join(rng.sample(texts, 4)) for _ in range(200)]  # raw JSON lines: quotes, braces
    for text in texts:
        assert mapper.query_set.match(text) == reference(mapper.queries, text)


def test_a_word_cache_reset_changes_nothing() -> None:
    matcher = QuerySet([[parse("renew* OR wom?n")], [parse('"clean energy" AND NOT coal')]])
    text = "Renewables for women: clean energy, no coal"
    first = matcher.match(text)
    matcher._cache.clear()
    assert (
        matcher.match(text)
        == first
        == reference([[parse("renew* OR wom?n")], [parse('"clean energy" AND NOT coal')]], text)
    )

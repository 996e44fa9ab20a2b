"""The query language, fed random and hostile text: a compiled query or a QuerySyntaxError naming the
position, never another exception; and a compiled query matches any text without failing."""

from __future__ import annotations

import re
import time

import pytest
from fuzz_support import fuzz, nasty_text, parsed_or_refused
from hypothesis import example, given
from hypothesis import strategies as st

from missionboard.errors import InputError
from missionboard.mapping.query import Glob, QuerySyntaxError, parse

TOKENS = [
    "AND", "OR", "NOT", "AND NOT", "(", ")", '"', "{", "}", "“", "”", "NEAR/3", "W/0", "PRE/99999999999",
    "NEAR/", "TITLE-ABS-KEY(", "TITLE(", "KEY", "*", "?", "hydro*", "?ater", "energ?", "co2-neutral", "l'énergie",
    "ﬁsh", "İstanbul", "ß", "\u0301", "٣", "-", "'", "\x00", "\t", "\n", " ",
]  # fmt: skip

queries = st.one_of(
    st.lists(st.sampled_from(TOKENS) | st.from_regex(r"[a-z]{1,6}", fullmatch=True), max_size=12).map(
        " ".join
    ),
    nasty_text(),
)


@fuzz(300)
@given(query=queries, text=nasty_text(80))
@example(query="(" * 5000 + "a" + ")" * 5000, text="a")
@example(query="NOT " * 5000 + "a", text="b")
@example(query="a NEAR/" + "9" * 5000 + " b", text="a b")
@example(query=" OR ".join(["a AND b"] * 2000), text="a b")
def test_a_query_compiles_or_is_refused_with_its_position_and_then_matches_any_text(
    query: str, text: str
) -> None:
    compiled = parsed_or_refused(
        lambda: parse(query, where="goals[0].queries[0]"), file="goals[0].queries[0]"
    )
    if compiled is not None:
        compiled.match(text)


@fuzz(100)
@given(word=st.from_regex(r"[a-z][a-z0-9]{0,12}", fullmatch=True), before=nasty_text(), after=nasty_text())
def test_a_plain_word_matches_every_text_holding_it_as_a_word(word: str, before: str, after: str) -> None:
    if word.upper() in ("AND", "OR", "NOT"):
        return
    assert parse(word).match(f"{before} {word} {after}") is not None


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("(" * 5000 + "a" + ")" * 5000, "nested more than"),
        ("NOT " * 5000 + "a", "nested more than"),
        ("a NEAR/" + "9" * 5000 + " b", "NEAR/"),
        ("x" * 100_001, "characters"),
    ],
)
def test_hostile_queries_are_refused_with_a_reason(query: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(query)
    assert message in caught.value.problems[0].message
    assert isinstance(caught.value, InputError)


@fuzz(300)
@given(pattern=st.text("ab*?", min_size=1, max_size=8), word=st.text("ab", min_size=1, max_size=10))
def test_a_wildcard_word_matches_as_the_plain_regular_expression_does(pattern: str, word: str) -> None:
    if not pattern.strip("*?"):
        return  # a pattern without letters is refused ("holds no letters or digits")
    reference = re.fullmatch("".join(r"\w*" if c == "*" else r"\w" if c == "?" else c for c in pattern), word)
    assert Glob(pattern).match(word) == (reference is not None)


def test_a_wildcard_query_cannot_backtrack_for_ever() -> None:
    query = parse("a*a*a*a*a*a*a*a*a*a*a*a*a*a*b")
    started = time.monotonic()
    assert query.match("x " + "a" * 100_000 + " y") is None
    assert time.monotonic() - started < 1

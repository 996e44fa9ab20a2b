"""The boolean keyword query language: each operator, wildcards, accents, evidence, syntax errors."""

from __future__ import annotations

import pytest

from missionboard.mapping.query import QuerySyntaxError, parse


def matches(query: str, text: str) -> bool:
    return parse(query).match(text) is not None


def evidence(query: str, text: str) -> list[str]:
    match = parse(query).match(text)
    assert match is not None, f"{query!r} should match {text!r}"
    return match.evidence


def test_a_word_matches_whole_words_only_and_ignores_case() -> None:
    assert matches("solar", "SOLAR panels")
    assert not matches("solar", "solarium visits")


def test_accents_are_folded_on_both_sides() -> None:
    assert matches("energia", "Energía renovable")
    assert matches("pauvreté", "lutte contre la pauvrete")


def test_and_needs_both_and_adjacent_terms_mean_and() -> None:
    assert matches("solar AND wind", "wind and solar farms")
    assert not matches("solar AND wind", "solar farms")
    assert matches("solar wind", "wind and solar")
    assert not matches("solar wind", "solar only")


def test_or_needs_either() -> None:
    assert matches("solar OR wind", "wind turbines")
    assert not matches("solar OR wind", "coal plants")


def test_not_excludes_and_a_not_b_reads_as_a_and_not_b() -> None:
    assert matches("energy AND NOT nuclear", "renewable energy")
    assert not matches("energy AND NOT nuclear", "nuclear energy")
    assert not matches("energy NOT nuclear", "nuclear energy")
    assert matches("NOT nuclear", "wind power")


def test_phrases_need_the_words_next_to_each_other_in_order() -> None:
    assert matches('"clean energy"', "access to clean energy for all")
    assert not matches('"clean energy"', "energy that is clean")
    assert not matches('"clean energy"', "clean and cheap energy")


def test_star_wildcard_matches_any_ending_and_question_mark_one_letter() -> None:
    assert matches("renewab*", "renewables and renewability")
    assert not matches("renewab*", "renew")
    assert matches("wom?n", "women and girls")
    assert not matches("wom?n", "womxxn")


def test_wildcards_work_inside_phrases() -> None:
    assert matches('"energy efficien*"', "improving energy efficiency in buildings")


def test_near_is_unordered_within_n_words() -> None:
    assert matches("climate NEAR/3 adaptation", "adaptation of farms to climate")
    assert matches("climate W/3 adaptation", "climate change and adaptation")
    assert not matches("climate NEAR/2 adaptation", "climate is one of the hard parts of adaptation")


def test_pre_is_ordered_within_n_words() -> None:
    assert matches("climate PRE/2 change", "climate change")
    assert not matches("climate PRE/2 change", "change the climate")


def test_proximity_takes_or_groups_and_phrases() -> None:
    q = '(solar OR wind) NEAR/4 "mini grid*"'
    assert matches(q, "wind powered mini grids in villages")
    assert not matches(q, "wind farms far away from anything like the mini grids")


def test_precedence_and_binds_tighter_than_or_and_parentheses_override() -> None:
    assert matches("solar OR wind AND coal", "solar")  # solar OR (wind AND coal)
    assert not matches("(solar OR wind) AND coal", "solar")


def test_scopus_title_abs_key_and_braces_are_accepted() -> None:
    q = 'TITLE-ABS-KEY(({extreme poverty} OR "social protection") AND NOT "carbon tax")'
    assert matches(q, "Cash transfers reduce extreme poverty.")
    assert not matches(q, "Extreme poverty and a carbon tax.")


def test_hyphenated_terms_match_as_a_phrase() -> None:
    assert matches("well-being", "mental well being of pupils")
    assert matches("well-being", "mental well-being of pupils")


def test_evidence_is_the_matched_words_and_phrases_as_written() -> None:
    found = evidence(
        '("clean energy" OR solar*) AND NOT coal', "We build Solar-powered pumps and clean energy grids."
    )
    assert found == ["Solar", "clean energy"]


def test_evidence_of_near_names_both_sides() -> None:
    assert evidence("climate W/3 resilien*", "Climate risk and resilience planning") == [
        "Climate",
        "resilience",
    ]


def test_evidence_leaves_out_branches_that_did_not_match() -> None:
    assert evidence("(water OR sanitation) AND (rural OR village*)", "Water for villages") == [
        "Water",
        "villages",
    ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "empty query"),
        ("solar AND", "query ends"),
        ("(solar OR wind", "missing ')'"),
        ("solar )", "unexpected ')'"),
        ("NOT", "NOT needs something after it"),
        ('""', "empty phrase"),
        ("solar W/3 NOT wind", "unexpected 'NOT'"),
    ],
)
def test_syntax_errors_name_the_problem_and_position(query: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse(query)
    assert message in str(info.value)
    assert "position" in str(info.value)


def test_matching_is_deterministic() -> None:
    q = parse("(solar OR wind* OR hydro*) NEAR/5 (power OR energy)")
    text = "Hydropower and wind energy: power for the grid, wind power for villages."
    first = q.match(text)
    assert first is not None
    assert all(q.match(text) == first for _ in range(5))


def test_apostrophes_split_words_so_elided_articles_do_not_hide_them() -> None:
    assert matches("energie", "l'énergie solaire")
    assert matches("women's", "women's empowerment")
    assert not matches("women's", "women empowerment")

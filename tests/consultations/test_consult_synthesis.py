"""The synthesis reads a consultation the way a careful analyst would: themes, proposals, ratings by group."""

from __future__ import annotations

import datetime as dt

import pytest

from missionboard.consultation.synthesis import (
    DISAGREEMENT,
    MIN_GROUP,
    distribution,
    group_ratings,
    mean,
    passages_of,
    spread,
    summarise_rating,
    synthesise,
)
from missionboard.domain.consultations import (
    Answer,
    Channel,
    Consultation,
    GroupRating,
    Proposal,
    ProposalKind,
    Rating,
    Response,
    default_questions,
)
from missionboard.domain.missions import HelixType, Indicator, Level, Mission, Objective
from missionboard.mapping.embedding import Embedder, get_embedder

NOW = dt.datetime(2026, 10, 20, 9, 0, tzinfo=dt.UTC)
GOV, RES, IND, CIV = HelixType.GOVERNMENT, HelixType.RESEARCH, HelixType.INDUSTRY, HelixType.CIVIL_SOCIETY

CYCLING = [
    "The bike lanes stop in the middle of the junction and cyclists are left among the lorries.",
    "Protected cycle paths to every school would let children ride their bicycles safely.",
    "We need secure bicycle parking at the railway station, my bike was stolen twice.",
    "Cyclists and pedestrians share the same narrow path along the river, which is dangerous.",
    "Snow is never cleared from the cycle lanes in winter, so people stop cycling in December.",
    "Electric bikes make cycling to work possible even up the hill to the hospital.",
    "Painted bike lanes are not enough, cyclists need kerbs separating them from cars.",
    "A cycling network that connects the suburbs to the centre would get me out of my car.",
]
FOOD = [
    "Supermarkets throw away tonnes of bread and vegetables that are still perfectly edible.",
    "Best-before dates confuse people, so good food is binned at home every week.",
    "Restaurants should be able to give leftover meals to food banks without red tape.",
    "Households need compost bins for food scraps collected every week.",
    "Smaller portions in school canteens would stop so much food being scraped into the bin.",
    "Apps that sell surplus food from bakeries at the end of the day cut waste a lot.",
    "Farmers plough in ugly carrots and potatoes that shops refuse to sell.",
    "Freezing leftovers and planning meals halves the food my family throws away.",
]


def mission() -> Mission:
    return Mission(
        id="green-city",
        title="Green city",
        challenge={"title": "Traffic and waste"},
        statement="By 2030 half of all trips are cycled and food waste is halved.",
        owner="City council",
        objectives=[
            Objective(
                id="more-cycling",
                title="Raise the share of trips made by bicycle",
                indicator=Indicator(id="cycling_share", name="Share of trips made by bicycle", unit="%"),
                keywords=["cycling", "bike lanes"],
            ),
            Objective(
                id="less-food-waste",
                title="Halve food waste in households and shops",
                indicator=Indicator(id="food_waste_kg", name="Food waste per person", unit="kg"),
                keywords=["food waste", "leftovers"],
            ),
        ],
    )


def consultation() -> Consultation:
    return Consultation(
        id="green-city-2026",
        mission_id="green-city",
        mission_version=1,
        title="Green city consultation",
        purpose="Hear residents, shops and researchers.",
        opens_on=dt.date(2026, 9, 1),
        closes_on=dt.date(2026, 10, 15),
        questions=default_questions(),
        status="closed",
        created_by="owner",
        created_at=NOW,
    )


def response(
    rid: int,
    text: str = "",
    helix: HelixType = CIV,
    level: Level = Level.LOCAL,
    *,
    ratings: list[Rating] | None = None,
    proposals: list[Proposal] | None = None,
    hidden: bool = False,
) -> Response:
    return Response(
        id=rid,
        consultation_id="green-city-2026",
        channel=Channel.PUBLIC,
        helix=helix,
        level=level,
        answers=[Answer(question_id="views", text=text)] if text else [],
        ratings=ratings or [],
        proposals=proposals or [],
        consented_at=NOW,
        submitted_at=NOW,
        hidden=hidden,
        hidden_reason="advertising" if hidden else None,
    )


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return get_embedder()


def crafted() -> list[Response]:
    """Cyclists are mostly citizens, food waste mostly shops; one citizen writes two cycling sentences."""
    out = [response(i + 1, t, CIV if i < 6 else GOV) for i, t in enumerate(CYCLING)]
    out += [response(20 + i, t, IND if i < 5 else RES, Level.NATIONAL) for i, t in enumerate(FOOD)]
    out.append(response(40, f"{CYCLING[0]} {CYCLING[1]}", CIV))
    return out


@pytest.fixture(scope="module")
def result(embedder: Embedder):  # type: ignore[no-untyped-def]
    hidden = response(
        99,
        "Buy our cheap bike lights and bike locks at the shop, discount for cyclists.",
        IND,
        ratings=[Rating(objective_id="more-cycling", importance=1, ambition=1)],
        hidden=True,
    )
    return synthesise(consultation(), mission(), [*crafted(), hidden], now=NOW, embedder=embedder)


def topic_of(response_id: int) -> str:
    return "cycling" if response_id < 20 or response_id == 40 else "food"


# --- themes -----------------------------------------------------------------------------------------


def test_two_obvious_topics_never_share_a_theme(result) -> None:  # type: ignore[no-untyped-def]
    assert 2 <= len(result.themes) <= 4
    for theme in result.themes:
        assert len({topic_of(q.response_id) for q in theme.quotes}) == 1, theme


def test_with_two_themes_asked_for_each_topic_is_one_theme(embedder: Embedder) -> None:
    result = synthesise(consultation(), mission(), crafted(), now=NOW, embedder=embedder, k=2)
    assert sorted(t.size for t in result.themes) == [8, 9]
    cycling = next(t for t in result.themes if t.size == 9)
    food = next(t for t in result.themes if t.size == 8)
    assert {topic_of(q.response_id) for q in cycling.quotes} == {"cycling"}
    assert {topic_of(q.response_id) for q in food.quotes} == {"food"}
    assert {"cyclists", "cycling", "bike", "bicycle", "lanes", "cycle"} & set(cycling.keywords)
    assert {"food", "leftovers", "supermarkets", "bin", "waste", "leftover"} & set(food.keywords)


def test_a_theme_counts_respondents_not_passages_by_helix_and_level(embedder: Embedder) -> None:
    result = synthesise(consultation(), mission(), crafted(), now=NOW, embedder=embedder, k=2)
    cycling = next(t for t in result.themes if t.size == 9)  # 10 passages from 9 people
    assert cycling.by_helix == {GOV: 2, CIV: 7}
    assert cycling.by_level == {Level.LOCAL: 9}
    food = next(t for t in result.themes if t.size == 8)
    assert food.by_helix == {RES: 3, IND: 5}
    assert food.by_level == {Level.NATIONAL: 8}


def test_quotes_come_from_different_respondents_and_prefer_different_groups(embedder: Embedder) -> None:
    result = synthesise(consultation(), mission(), crafted(), now=NOW, embedder=embedder, k=2)
    for theme in result.themes:
        assert len(theme.quotes) == 3
        assert len({q.response_id for q in theme.quotes}) == 3
        assert len({q.helix for q in theme.quotes}) == 2  # both groups of each topic are heard


def test_a_hidden_response_is_left_out_of_the_synthesis(result) -> None:  # type: ignore[no-untyped-def]
    assert result.hidden == 1
    assert result.responses == 17
    assert result.by_helix == {GOV: 2, RES: 3, IND: 5, CIV: 7}
    quoted = {q.response_id for t in result.themes for q in t.quotes}
    assert 99 not in quoted
    assert sum(t.by_helix.get(IND, 0) for t in result.themes) == 5
    assert all(r.n == 0 for r in result.ratings)


def test_short_sentences_are_joined_to_their_neighbour() -> None:
    assert passages_of("Agreed. The bike lanes must be separated from the cars. Thanks!") == [
        "Agreed. The bike lanes must be separated from the cars. Thanks!"
    ]
    assert passages_of(
        "The bike lanes must be separated from cars. Food waste in shops is a scandal too."
    ) == [
        "The bike lanes must be separated from cars.",
        "Food waste in shops is a scandal too.",
    ]


def test_the_synthesis_is_deterministic(embedder: Embedder) -> None:
    responses = crafted()
    first = synthesise(consultation(), mission(), responses, now=NOW, embedder=embedder)
    second = synthesise(consultation(), mission(), list(reversed(responses)), now=NOW, embedder=embedder)
    assert first.model_dump() == second.model_dump()


def test_no_texts_give_no_themes_and_load_no_model() -> None:
    rated = [response(1, ratings=[Rating(objective_id="more-cycling", importance=4)])]
    result = synthesise(consultation(), mission(), rated, now=NOW, embedder=None)
    assert result.themes == [] and result.proposals == []
    assert result.ratings[0].n == 1


# --- proposals --------------------------------------------------------------------------------------


def test_proposals_are_mapped_to_the_obviously_right_objective_and_sdg(embedder: Embedder) -> None:
    responses = [
        response(
            1,
            proposals=[
                Proposal(
                    kind=ProposalKind.SOLUTION,
                    text="Build a network of protected bike lanes so that people can cycle safely to work.",
                )
            ],
        ),
        response(
            2,
            helix=IND,
            proposals=[
                Proposal(
                    kind=ProposalKind.OBJECTIVE, text="Halve the edible food that supermarkets throw away."
                ),
                Proposal(
                    kind=ProposalKind.SOLUTION,
                    text="Let restaurants donate their leftover meals to food banks.",
                ),
            ],
        ),
    ]
    responses[1].adopted.append(1)
    result = synthesise(consultation(), mission(), responses, now=NOW, embedder=embedder)
    bike, halve, donate = result.proposals
    assert (bike.response_id, bike.index, bike.kind) == (1, 0, ProposalKind.SOLUTION)
    assert (donate.response_id, donate.index, donate.helix) == (2, 1, IND)
    assert bike.objectives[0].code == "more-cycling"
    assert halve.objectives[0].code == "less-food-waste"
    assert donate.objectives[0].code == "less-food-waste"
    assert bike.objectives[0].score > bike.objectives[1].score
    assert "11" in [m.code for m in bike.sdgs]  # sustainable cities (transport)
    assert "12" in [m.code for m in halve.sdgs]  # responsible consumption (food waste)
    assert all(len(p.sdgs) == 3 for p in result.proposals)
    assert [p.adopted for p in result.proposals] == [False, False, True]


# --- rating maths -----------------------------------------------------------------------------------


def test_mean_and_distribution_by_hand() -> None:
    assert mean([1, 2, 2, 5]) == 2.5
    assert mean([4, 4, 5]) == 4.33
    assert mean([]) is None
    assert distribution([1, 2, 2, 5]) == {1: 1, 2: 2, 3: 0, 4: 0, 5: 1}


def test_group_ratings_by_hand() -> None:
    groups = group_ratings([(CIV, 5), (IND, 2), (CIV, 4), (IND, 3), (CIV, 3)])
    assert groups == {CIV: GroupRating(n=3, mean=4.0), IND: GroupRating(n=2, mean=2.5)}


def test_spread_only_compares_groups_with_enough_answers() -> None:
    groups = {
        CIV: GroupRating(n=MIN_GROUP, mean=4.4),
        IND: GroupRating(n=MIN_GROUP + 3, mean=2.9),
        RES: GroupRating(n=MIN_GROUP - 1, mean=1.0),  # too few to count
    }
    assert spread(groups) == 1.5
    assert spread({CIV: GroupRating(n=9, mean=4.0)}) == 0.0


def answers(
    helix: HelixType, scores: list[int], level: Level = Level.LOCAL
) -> list[tuple[HelixType, Level, int]]:
    return [(helix, level, s) for s in scores]


def test_groups_that_differ_by_a_point_or_more_disagree() -> None:
    objective = mission().objectives[0]
    rows = answers(CIV, [5, 5, 4, 5, 5]) + answers(IND, [3, 4, 3, 3, 3])  # means 4.8 and 3.2
    summary = summarise_rating(objective, "importance", rows)
    assert summary.n == 10 and summary.mean == 4.0
    assert summary.distribution == {1: 0, 2: 0, 3: 4, 4: 2, 5: 4}
    assert summary.by_helix == {IND: GroupRating(n=5, mean=3.2), CIV: GroupRating(n=5, mean=4.8)}
    assert summary.spread == 1.6 and summary.disagreement


def test_a_gap_of_exactly_one_point_is_a_disagreement() -> None:
    rows = answers(CIV, [4] * 5) + answers(GOV, [3] * 5)
    summary = summarise_rating(mission().objectives[0], "ambition", rows)
    assert summary.spread == DISAGREEMENT == 1.0 and summary.disagreement


def test_groups_that_agree_are_not_flagged() -> None:
    rows = (
        answers(CIV, [4, 4, 5, 4, 4]) + answers(IND, [4, 4, 4, 3, 4]) + answers(RES, [1, 1])
    )  # research: too few
    summary = summarise_rating(mission().objectives[0], "importance", rows)
    assert summary.spread == 0.4 and not summary.disagreement  # 4.2 against 3.8


def test_levels_can_disagree_where_helix_groups_do_not() -> None:
    rows = answers(CIV, [5] * 5, Level.LOCAL) + answers(CIV, [2] * 5, Level.NATIONAL)
    summary = summarise_rating(mission().objectives[0], "importance", rows)
    assert summary.by_helix == {CIV: GroupRating(n=10, mean=3.5)}
    assert summary.by_level[Level.NATIONAL].mean == 2.0
    assert summary.spread == 3.0 and summary.disagreement


def test_every_objective_gets_importance_and_ambition_even_unrated(embedder: Embedder) -> None:
    rated = [
        response(i, ratings=[Rating(objective_id="more-cycling", importance=5, ambition=2)], helix=CIV)
        for i in range(1, 6)
    ]
    rated += [
        response(i, ratings=[Rating(objective_id="more-cycling", importance=2, ambition=2)], helix=IND)
        for i in range(6, 11)
    ]
    result = synthesise(consultation(), mission(), rated, now=NOW, embedder=embedder)
    assert [(r.objective_id, r.criterion) for r in result.ratings] == [
        ("more-cycling", "importance"),
        ("more-cycling", "ambition"),
        ("less-food-waste", "importance"),
        ("less-food-waste", "ambition"),
    ]
    importance, ambition, *unrated = result.ratings
    assert importance.disagreement and importance.spread == 3.0
    assert not ambition.disagreement
    assert all(r.n == 0 and r.mean is None and not r.disagreement for r in unrated)

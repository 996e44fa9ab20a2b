"""The cofunding, conditions, disciplines and gender sections of a mission's analysis, on the
hand-computed portfolio of structure_portfolio.py (P1, P2, P3 count: 1700 EUR; P4's link is rejected)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from structure_portfolio import rows_by, structure_workspace

from missionboard.analytics.funding_detail import cofunding_section
from missionboard.analytics.mission_structure import mission_structure_sections
from missionboard.domain.missions import Mission
from missionboard.domain.portfolio_rule import PortfolioRule, RateTable
from missionboard.store.funding_detail import FundingDetailStore
from missionboard.store.missions import MissionStore
from missionboard.store.portfolio_scope import held_ids, linked_project_ids, portfolio_project_ids
from missionboard.store.workspace import Workspace


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def structure(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Workspace]:
    with structure_workspace(request, tmp_path_factory.mktemp("funding")) as ws:
        yield ws


@pytest.fixture(scope="module")
def sections(structure: Workspace) -> dict[str, Any]:
    return mission_structure_sections(structure, "transit")


def value(sections: dict[str, Any], section: str, key: str) -> Any:
    return sections[section][key]["value"]


# --- cofunding -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("projects_with_detail", 2),  # P1 and P2; P4 is not in the portfolio
        ("total", 450.0),  # 300 + 100 + 500 SEK × 0.1
        ("public", 800.0),  # P1 600 + P2 2000 SEK × 0.1
        ("leverage", 0.5625),  # 450 / 800
    ],
)
def test_cofunding_figures(sections: dict[str, Any], key: str, expected: float) -> None:
    assert value(sections, "cofunding", key) == expected


@pytest.mark.parametrize(
    ("source", "amount", "share", "leverage"),
    [
        ("other_public", 50.0, 0.111111, 0.0625),
        ("private", 300.0, 0.666667, 0.375),
        ("eu", 100.0, 0.222222, 0.125),
    ],
)
def test_cofunding_by_source_type(
    sections: dict[str, Any], source: str, amount: float, share: float, leverage: float
) -> None:
    row = rows_by(sections["cofunding"]["by_source"], "source_type")[source]
    assert (row["amount"], row["share"], row["leverage"]) == (amount, share, leverage)


def test_a_portfolio_without_cofunding_detail_gets_a_section_that_says_so(
    sqlite_workspace: Workspace,
) -> None:
    mission = Mission.model_validate(
        {"id": "plain", "title": "Plain", "challenge": "C", "statement": "S", "owner": "O", "objectives": []}
    )
    with sqlite_workspace.reading() as session:
        section = cofunding_section(FundingDetailStore(session), mission, "EUR", RateTable())
    assert (section["projects_with_detail"]["value"], section["by_source"]["computed_from"]) == (
        0,
        "no project in the portfolio states co-funding by source (project_cofunding is empty for it)",
    )


def test_cofunding_says_what_it_was_computed_from(sections: dict[str, Any]) -> None:
    assert "project_cofunding" in sections["cofunding"]["by_source"]["computed_from"]


# --- conditions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("projects_with_conditions", 2),  # P1 repayable, P2 access; P3's plain grant is no condition
        ("money_with_conditions", 1200.0),
        ("share_with_conditions", 0.705882),  # 1200 / 1700
    ],
)
def test_conditions_figures(sections: dict[str, Any], key: str, expected: float) -> None:
    assert value(sections, "conditions", key) == expected


@pytest.mark.parametrize(
    ("kind", "money", "covered"),
    [
        ("grant", 500.0, 500.0),
        ("repayable", 1000.0, 500.0),  # 50 % of P1's funding is repayable
        ("access", 200.0, 200.0),  # no share given: the whole
    ],
)
def test_conditions_by_kind(sections: dict[str, Any], kind: str, money: float, covered: float) -> None:
    row = rows_by(sections["conditions"]["by_kind"], "kind")[kind]
    assert (row["money"], row["covered_money"]) == (money, covered)


def test_a_kind_only_outside_the_portfolio_is_not_listed(sections: dict[str, Any]) -> None:
    assert "equity" not in rows_by(sections["conditions"]["by_kind"], "kind")


# --- disciplines -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("projects_with_area", 3),
        ("cross_disciplinary", 1),  # P1: engineering and social sciences
        ("ssh_projects", 2),  # P1, P2; P4 (humanities) is not in the portfolio
        ("ssh_share", 0.666667),
    ],
)
def test_discipline_figures(sections: dict[str, Any], key: str, expected: float) -> None:
    assert value(sections, "disciplines", key) == expected


@pytest.mark.parametrize(
    ("area", "projects", "main"),
    [("engineering_technology", 2, 2), ("social_sciences", 2, 1)],
)
def test_projects_per_area(sections: dict[str, Any], area: str, projects: int, main: int) -> None:
    row = rows_by(sections["disciplines"]["by_area"], "area")[area]
    assert (row["projects"], row["main"]) == (projects, main)


# --- gender ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "value_", "projects", "money"),
    [
        ("by_marker", "significant", 1, 1000.0),
        ("by_marker", "not_targeted", 1, 200.0),
        ("by_marker", "not_given", 1, 500.0),
        ("by_lead_gender", "female", 1, 1000.0),
        ("by_lead_gender", "male", 1, 200.0),
        ("by_lead_gender", "not_given", 1, 500.0),
    ],
)
def test_money_and_projects_by_gender(
    sections: dict[str, Any], table: str, value_: str, projects: int, money: float
) -> None:
    row = rows_by(sections["gender"][table], "value")[value_]
    assert (row["projects"], row["money"]) == (projects, money)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("gender_targeted_share", 0.833333),  # 1000 / (1000 + 200)
        ("lead_gender_unknown", 1),
        ("female_lead_share", 0.5),
    ],
)
def test_gender_figures(sections: dict[str, Any], key: str, expected: float) -> None:
    assert value(sections, "gender", key) == expected


# --- the portfolio evaluated once ----------------------------------------------------------------


def test_a_read_only_workspace_gets_the_same_sections(structure: Workspace, sections: dict[str, Any]) -> None:
    reader = Workspace.open(structure.url, read_only=True)
    try:
        assert mission_structure_sections(reader, "transit") == sections
    finally:
        reader.close()


def test_the_portfolio_is_held_in_a_temporary_table_for_the_block_only(structure: Workspace) -> None:
    with structure.reading() as session:
        ids = portfolio_project_ids(MissionStore(session).get("transit").mission)
        expected = sorted(session.scalars(ids))
        with held_ids(session, ids) as held:
            name = held.get_final_froms()[0].name  # type: ignore[attr-defined]
            assert sorted(session.scalars(held)) == expected
        assert name.startswith("portfolio_projects")
        with pytest.raises(Exception, match=name):
            session.execute(text(f"SELECT count(*) FROM {name}"))


def test_a_read_only_workspace_reads_the_portfolio_subquery_itself(structure: Workspace) -> None:
    reader = Workspace.open(structure.url, read_only=True)
    try:
        with reader.reading() as session:
            ids = portfolio_project_ids(MissionStore(session).get("transit").mission)
            with held_ids(session, ids) as held:
                assert held is ids
    finally:
        reader.close()


@pytest.mark.parametrize("threshold", [0.0, 0.5, 0.95, 1.0])
def test_the_portfolio_read_by_index_ranges_is_the_portfolio(structure: Workspace, threshold: float) -> None:
    rule = PortfolioRule(threshold)
    with structure.reading() as session:
        mission = MissionStore(session).get("transit").mission
        expected = sorted(session.scalars(portfolio_project_ids(mission, rule)))
        assert sorted(session.scalars(linked_project_ids(mission, rule=rule))) == expected

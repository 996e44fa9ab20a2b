"""Projects link to the outcomes of a mission's theory of change as they link to objectives: a link to an
outcome counts for every objective the outcome leads to, directly or through other outcomes, and a
project counts once per objective however many of its links lead there — in the service, the tree, the
explorer, the analysis, the logic section, monitoring and the project's evidence alike."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from missionboard.analytics import analyze_portfolio
from missionboard.domain.missions import Mission
from missionboard.mapping.taxonomy import taxonomy_of_mission
from missionboard.monitoring.board import monitor_mission
from missionboard.services import explorer
from missionboard.services.mapping import map_projects
from missionboard.services.portfolio import mission_portfolio
from missionboard.store.missions import MissionStore
from missionboard.store.tables import LinkRow, ProjectRow
from missionboard.store.workspace import Workspace

# kitchens-measure → waste-down → food-waste; menus-change → food-waste and meal-climate; dead-end → nothing
MISSION: dict[str, Any] = {
    "id": "meals",
    "title": "Sustainable school meals",
    "challenge": "School meals waste food and emit too much",
    "statement": "By 2030 every school meal is healthy and sustainable.",
    "owner": "Agency",
    "start": "2022-01-01",
    "deadline": "2030-12-31",
    "currency": "EUR",
    "objectives": [
        {"id": "food-waste", "title": "Halve food waste", "keywords": ["food waste"]},
        {"id": "meal-climate", "title": "Cut the climate footprint of a meal", "keywords": ["footprint"]},
    ],
    "logic": {
        "outcomes": [
            {
                "id": "kitchens-measure",
                "title": "Kitchens weigh plate waste",
                "leads_to": ["waste-down"],
                "keywords": ["smart scales"],
            },
            {"id": "waste-down", "title": "Less food is thrown away", "leads_to": ["food-waste"]},
            {
                "id": "menus-change",
                "title": "Menus turn plant-rich",
                "leads_to": ["food-waste", "meal-climate"],
            },
            {"id": "dead-end", "title": "An outcome leading nowhere yet"},
        ]
    },
}


def _project(session: Any, name: str, amount: int, links: dict[str, tuple[str, float]]) -> int:
    row = ProjectRow(
        source="test",
        source_id=name,
        title=f"Project {name}",
        abstract=f"Project {name}",
        budget_amount=Decimal(amount),
        budget_currency="EUR",
        start=dt.date(2023, 3, 1),
        end=dt.date(2027, 12, 31),
        status="active",
        content_hash=name.rjust(64, "0"),
    )
    session.add(row)
    session.flush()
    for goal, (status, score) in links.items():
        session.add(
            LinkRow(
                project_id=row.id,
                taxonomy="mission:meals",
                goal=goal,
                score=score,
                method="query",
                status=status,
            )
        )
    return int(row.id)


@pytest.fixture
def meals(workspace: Workspace) -> Workspace:
    with workspace.transaction() as session:
        MissionStore(session).save(Mission.model_validate(MISSION), author="test")
        # through two outcomes to food-waste
        _project(session, "scales", 100, {"kitchens-measure": ("accepted", 0.9)})
        # one outcome serving two objectives
        _project(session, "menus", 200, {"menus-change": ("proposed", 0.8)})
        # directly (proposed) and through an outcome (accepted): once for food-waste, accepted
        _project(session, "both", 400, {"food-waste": ("proposed", 0.7), "waste-down": ("accepted", 0.6)})
        # an outcome leading to no objective puts nothing in the portfolio
        _project(session, "nowhere", 800, {"dead-end": ("accepted", 0.9)})
        # under the threshold through an outcome: left out, counted as below the threshold
        _project(session, "weak", 1600, {"menus-change": ("proposed", 0.3)})
    return workspace


def test_a_link_to_an_outcome_counts_for_every_objective_it_leads_to(meals: Workspace) -> None:
    found = mission_portfolio(meals, "meals")
    assert found.projects == 3  # scales, menus, both
    assert found.money == pytest.approx(700)
    per = {o.objective: o for o in found.objectives}
    assert (per["food-waste"].projects, per["food-waste"].accepted, per["food-waste"].proposed) == (3, 2, 1)
    assert (per["meal-climate"].projects, per["meal-climate"].accepted) == (1, 0)
    assert per["food-waste"].below_threshold == 1 and per["meal-climate"].below_threshold == 1
    assert per["food-waste"].money == pytest.approx(700)
    assert per["meal-climate"].money == pytest.approx(200)


def test_the_tree_and_the_explorer_count_what_the_service_counts(meals: Workspace) -> None:
    expected = {o.objective: o for o in mission_portfolio(meals, "meals").objectives}
    mission = Mission.model_validate(MISSION)
    with meals.reading() as session:
        counts = explorer.objective_links(session, mission)
        for objective in ("food-waste", "meal-climate"):
            shown = counts[objective]
            o = expected[objective]
            assert (shown.get("accepted", 0), shown.get("proposed", 0)) == (o.accepted, o.proposed)
            assert shown.get("below_threshold", 0) == o.below_threshold
            listed = explorer.query_projects(
                session, explorer.ProjectFilter(goal=f"mission:meals/{objective}")
            )
            assert listed.total == o.projects
        top = explorer.top_projects(session, mission, "food-waste")
        assert sorted(p["project_id"] for p in top) == sorted({p["project_id"] for p in top})  # each once


def test_the_analysis_attributes_outcome_links_to_objectives(meals: Workspace) -> None:
    data = analyze_portfolio(meals, "meals").to_dict()
    assert data["projects"]["projects"]["value"] == 3
    coverage = {r["goal"]: r for r in data["coverage"]["rows"]}
    assert set(coverage) == {"food-waste", "meal-climate"}  # outcomes are not goals of their own here
    assert (coverage["food-waste"]["projects"], coverage["food-waste"]["accepted"]) == (3, 2)
    assert coverage["meal-climate"]["projects"] == 1
    # 'menus' serves two objectives: half its money each; the others all to food-waste
    assert coverage["food-waste"]["budget_split"] == pytest.approx(100 + 100 + 400)
    assert coverage["meal-climate"]["budget_split"] == pytest.approx(100)


def test_the_logic_section_shows_the_projects_linked_to_each_outcome_itself(meals: Workspace) -> None:
    pathways = {r["id"]: r for r in analyze_portfolio(meals, "meals").to_dict()["logic"]["pathways"]["rows"]}
    assert pathways["kitchens-measure"]["linked_projects"] == 1
    assert pathways["waste-down"]["linked_projects"] == 1  # 'both'
    assert pathways["dead-end"]["linked_projects"] == 1 and pathways["dead-end"]["projects"] == 0
    assert pathways["food-waste"]["linked_projects"] == 1  # linked to the objective itself
    assert pathways["food-waste"]["projects"] == 3  # and through the outcomes leading to it
    assert pathways["food-waste"]["money"] == pytest.approx(700)
    assert pathways["meal-climate"]["projects"] == 1


def test_monitoring_funds_the_objectives_the_outcomes_lead_to(meals: Workspace) -> None:
    board = monitor_mission(meals, "meals", as_of=dt.date(2025, 1, 1))
    assert {p.project for p in board.projects} == {"test:scales", "test:menus", "test:both"}
    assert board.funding == {"food-waste": pytest.approx(600), "meal-climate": pytest.approx(100)}


def test_the_missions_taxonomy_offers_the_outcomes_that_lead_to_an_objective(meals: Workspace) -> None:
    with meals.reading() as session:
        taxonomy = taxonomy_of_mission(session, "meals")
    goals = {g.code: g for g in taxonomy.goals}
    assert list(goals) == ["food-waste", "meal-climate", "kitchens-measure", "waste-down", "menus-change"]
    assert goals["kitchens-measure"].queries == ['"smart scales"']
    assert "Leads to: Less food is thrown away." in goals["kitchens-measure"].description


def test_mapping_proposes_links_to_outcomes(workspace: Workspace) -> None:
    with workspace.transaction() as session:
        MissionStore(session).save(Mission.model_validate(MISSION), author="test")
        row = ProjectRow(
            source="test",
            source_id="p1",
            title="Smart scales in school canteens",
            abstract="Smart scales weigh what pupils leave on their plates.",
            content_hash="1".rjust(64, "0"),
        )
        session.add(row)
    map_projects(workspace, None, mission_id="meals", method="query", user="test")
    with workspace.reading() as session:
        goals = {g for (g,) in session.query(LinkRow.goal).filter(LinkRow.taxonomy == "mission:meals")}
    assert "kitchens-measure" in goals


def test_since_scopes_the_structure_sections_as_it_scopes_the_rest(meals: Workspace) -> None:
    for since, expected in ((2020, 3), (2028, 0)):  # every project ends in 2027
        data = analyze_portfolio(meals, "meals", since=since).to_dict()
        assert data["projects"]["projects"]["value"] == expected
        pathways = {r["id"]: r for r in data["logic"]["pathways"]["rows"]}
        assert pathways["food-waste"]["projects"] == expected, since
        assert data["disciplines"]["projects"]["value"] == expected, since

"""The governance and logic sections of a mission's analysis, on the hand-computed mission of
structure_portfolio.py (every number below is worked out in its docstring)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import TypeAdapter
from structure_portfolio import rows_by, structure_workspace

from missionboard.analytics import analyze_portfolio
from missionboard.analytics.mission_structure import (
    SECTIONS,
    governance_section,
    logic_section,
    mission_structure_sections,
)
from missionboard.analytics.result import KEYS, Figure, PortfolioAnalysis, Section, Table, clean
from missionboard.domain.missions import Mission
from missionboard.reports import summary
from missionboard.store.workspace import Workspace

PLAIN = {
    "id": "plain",
    "title": "Plain mission",
    "challenge": "Something",
    "statement": "By 2030 every town halves something.",
    "owner": "Agency",
    "objectives": [{"id": "x", "title": "An objective"}],
}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def structure(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Workspace]:
    with structure_workspace(request, tmp_path_factory.mktemp("structure")) as ws:
        yield ws


@pytest.fixture(scope="module")
def sections(structure: Workspace) -> dict[str, Any]:
    return mission_structure_sections(structure, "transit")


@pytest.fixture
def governance(sections: dict[str, Any]) -> dict[str, Any]:
    return sections["governance"]


@pytest.fixture
def logic(sections: dict[str, Any]) -> dict[str, Any]:
    return sections["logic"]


def test_the_sections_come_in_their_order(sections: dict[str, Any]) -> None:
    assert list(sections) == list(SECTIONS)


@pytest.mark.parametrize("name", SECTIONS)
def test_every_section_validates_as_figures_and_tables(sections: dict[str, Any], name: str) -> None:
    section = TypeAdapter(Section).validate_python(clean(sections[name]))
    assert all(isinstance(entry, Figure | Table) for entry in section.values())


# --- governance ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "projects", "money"),
    [
        ("Ministry of Transport", 3, 1700.0),  # ob1 (P1, P3) and ob2 (P2: 2000 SEK × 0.1)
        ("Region North", 1, 200.0),  # ob2: P2
        ("City of Lund", 0, 0.0),  # ob3: only P4, whose link is rejected
        ("European Commission", 3, 1700.0),  # no objectives named: the whole mission
    ],
)
def test_a_body_has_the_projects_and_money_of_the_objectives_it_covers(
    governance: dict[str, Any], body: str, projects: int, money: float
) -> None:
    row = rows_by(governance["by_body"], "body")[body]
    assert (row["projects"], row["money"]) == (projects, money)


@pytest.mark.parametrize(
    ("body", "measures", "budget"),
    [
        ("Ministry of Transport", ["m-procure"], 1000.0),
        ("Region North", ["m-standard"], 50.0),  # 500 SEK at the 2021 rate
        ("City of Lund", [], None),
    ],
)
def test_a_body_has_the_measures_it_owns_with_their_budget_converted(
    governance: dict[str, Any], body: str, measures: list[str], budget: float | None
) -> None:
    row = rows_by(governance["by_body"], "body")[body]
    assert (row["measures"], row["measure_budget"]) == (measures, budget)


def test_levels_come_in_the_order_of_government_from_local(governance: dict[str, Any]) -> None:
    assert [r["level"] for r in governance["by_level"]["rows"]] == ["local", "regional", "national", "eu"]


def test_a_level_sums_its_bodies_and_measures(governance: dict[str, Any]) -> None:
    row = rows_by(governance["by_level"], "level")["national"]
    assert (row["projects"], row["money"], row["measures"]) == (3, 1700.0, ["m-procure"])


def test_an_objective_only_a_contributor_names_has_no_owner(governance: dict[str, Any]) -> None:
    assert [r["objective"] for r in governance["unowned"]["rows"]] == ["ob3"]


def test_the_unowned_figure_counts_them(governance: dict[str, Any]) -> None:
    assert governance["objectives_without_owner"]["value"] == 1


def test_a_body_with_objectives_but_no_money_or_measure_is_listed(governance: dict[str, Any]) -> None:
    assert [r["body"] for r in governance["idle_bodies"]["rows"]] == ["City of Lund"]


def test_a_funder_naming_no_objectives_covers_the_whole_mission(governance: dict[str, Any]) -> None:
    row = rows_by(governance["by_entry"], "body")["European Commission"]
    assert (row["whole_mission"], row["objectives"]) == (True, ["ob1", "ob2", "ob3"])


def test_a_mission_without_governance_or_measures_has_no_governance_section() -> None:
    assert governance_section(None, Mission.model_validate(PLAIN), "EUR") is None  # type: ignore[arg-type]


# --- logic -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "projects", "money", "measures"),
    [
        ("ob1", 2, 1500.0, []),  # P1 accepted, P3 proposed 0.7
        ("ob2", 1, 200.0, ["m-standard"]),  # P3's 0.3 proposal does not count
        ("ob3", 0, 0.0, []),
        ("bus-fleets", 2, 1500.0, ["m-procure"]),  # the projects of ob1, which it leads to
        ("bike-lanes", 1, 200.0, []),
    ],
)
def test_each_objective_and_outcome_has_its_projects_measures_and_money(
    logic: dict[str, Any], target: str, projects: int, money: float, measures: list[str]
) -> None:
    row = rows_by(logic["pathways"], "id")[target]
    assert (row["projects"], row["money"], row["measures"]) == (projects, money, measures)


def test_an_outcome_says_which_objectives_its_projects_come_from(logic: dict[str, Any]) -> None:
    assert rows_by(logic["pathways"], "id")["bus-fleets"]["projects_via"] == ["ob1"]


def test_a_row_names_its_indicator(logic: dict[str, Any]) -> None:
    assert rows_by(logic["pathways"], "id")["bus-fleets"]["indicator"] == "fleet_share"


def test_the_section_leaves_indicator_status_to_monitoring(logic: dict[str, Any]) -> None:
    assert "missionboard monitor" in logic["pathways"]["computed_from"]


def test_pathways_with_no_project_or_measure_are_listed(logic: dict[str, Any]) -> None:
    assert [r["id"] for r in logic["without_support"]["rows"]] == ["ob3", "bike-lanes", "depots"]


def test_a_failing_assumption_names_what_depends_on_it(logic: dict[str, Any]) -> None:
    (row,) = logic["failing"]["rows"]
    assert (row["id"], row["outcomes"], row["objectives"]) == ("a1", ["bus-fleets"], ["ob1"])


def test_untested_assumptions_are_counted(logic: dict[str, Any]) -> None:
    assert logic["untested_assumptions"]["value"] == 1


def test_a_mission_without_logic_has_no_logic_section() -> None:
    assert logic_section(None, Mission.model_validate(PLAIN), "EUR") is None  # type: ignore[arg-type]


# --- the report ------------------------------------------------------------------------------------


class WithStructure(PortfolioAnalysis):
    """The analysis as it will be once the sections are registered in ``PortfolioAnalysis``."""

    governance: Section | None = None
    logic: Section | None = None
    cofunding: Section | None = None
    conditions: Section | None = None
    disciplines: Section | None = None
    gender: Section | None = None


@pytest.fixture(scope="module")
def report(structure: Workspace, sections: dict[str, Any]) -> str:
    analysis = analyze_portfolio(structure, "transit").to_dict()
    return summary.markdown(WithStructure.model_validate({**analysis, **clean(sections)}))


@pytest.mark.parametrize(
    "heading",
    [
        "## Governance by body",
        "## Governance by level",
        "## Objectives without an owner",
        "## Bodies with objectives but no money or measure",
        "## Intervention logic",
        "## Pathways with no project or measure",
        "## Failing assumptions",
        "## Co-funding by source",
        "## Conditions on funding",
        "## Disciplines (Fields of Science)",
        "## Gender equality marker",
        "## Lead gender",
    ],
)
def test_the_markdown_report_has_a_table_per_section(report: str, heading: str) -> None:
    assert f"\n{heading}\n" in report


def test_the_report_shows_a_bodys_row(report: str) -> None:
    assert "| Region North | regional | co-owner | ob2 | 1 | 200 | m-standard | 50 |" in report


def test_the_report_headline_has_the_structure_figures(report: str) -> None:
    assert "| Objectives without an owner | 1 | objectives |" in report


def test_an_analysis_without_the_sections_reports_none_of_them() -> None:
    assert summary._structure_tables(WithStructure.model_validate(dict.fromkeys(KEYS))) == []


def test_an_analysis_without_the_fields_reports_none_of_them() -> None:
    assert summary._structure_tables(PortfolioAnalysis.model_validate(dict.fromkeys(KEYS))) == []

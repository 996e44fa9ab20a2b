"""Money and projects by country, for the map on the page of all missions side by side: one mission's
figures are its analysis's geography and its portfolio's money; all missions together count a project
shared by several portfolios once in each country; a caller sees only the missions they may see."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from missionboard.errors import NotFound
from missionboard.services import accounts
from missionboard.services import missions as mission_service
from missionboard.services.analytics import analyze_portfolio
from missionboard.services.demo.build import build_demo
from missionboard.services.geography import CountryMap, money_by_country
from missionboard.services.portfolio import mission_portfolio
from missionboard.store.portfolio_scope import portfolio_project_ids
from missionboard.store.tables import ProjectRow
from missionboard.store.workspace import Workspace

PASSWORD = "a long enough test password"
MISSION = "school-meals"
HIDDEN = "digital-leadership"
"""The demo's one mission that is not public."""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    path = tmp_path_factory.mktemp("demo-geography") / "missionboard.db"
    build_demo(path)
    workspace = Workspace.open(f"sqlite:///{path}")
    accounts.create_user(workspace, "outsider", PASSWORD, by="test")
    yield workspace
    workspace.close()


@pytest.fixture(scope="module")
def everything(demo: Workspace) -> CountryMap:
    return money_by_country(demo, visible=None)


@pytest.fixture(scope="module")
def one_mission(demo: Workspace) -> CountryMap:
    return money_by_country(demo, visible=None, mission_id=MISSION)


@pytest.fixture(scope="module")
def outsiders_view(demo: Workspace) -> CountryMap:
    visible = accounts.visible_missions(demo, accounts.get_account(demo, "outsider"))
    return money_by_country(demo, visible=visible)


def _countries_of_portfolios(demo: Workspace, mission_ids: list[str]) -> dict[int, list[str]]:
    """Each project of the missions' portfolios (once) with the countries it names, read from the projects."""
    found: dict[int, list[str]] = {}
    with demo.reading() as session:
        for mission_id in mission_ids:
            mission = mission_service.get_mission(demo, mission_id).mission
            ids = portfolio_project_ids(mission)
            for project_id, countries in session.execute(
                select(ProjectRow.id, ProjectRow.countries).where(ProjectRow.id.in_(ids))
            ):
                found[project_id] = list(countries or [])
    return found


def _by_code(country_map: CountryMap) -> dict[str, tuple[int, float]]:
    return {c.code: (c.projects, c.money) for c in country_map.countries}


# --- one mission ------------------------------------------------------------------------------------


def test_one_missions_countries_are_its_analysis_geography(demo: Workspace, one_mission: CountryMap) -> None:
    analysis = analyze_portfolio(demo, MISSION).model_dump()["geography"]["countries"]["rows"]
    expected = {row["place"]: (row["projects"], pytest.approx(row["budget"], rel=1e-9)) for row in analysis}
    assert _by_code(one_mission) == expected


def test_one_missions_regions_are_its_analysis_geography(demo: Workspace, one_mission: CountryMap) -> None:
    analysis = analyze_portfolio(demo, MISSION).model_dump()["geography"]["regions"]["rows"]
    expected = {row["place"]: (row["projects"], pytest.approx(row["budget"], rel=1e-9)) for row in analysis}
    assert {r.code: (r.projects, r.money) for r in one_mission.regions} == expected


def test_one_missions_money_and_currency_are_its_portfolios(demo: Workspace, one_mission: CountryMap) -> None:
    portfolio = mission_portfolio(demo, MISSION)
    assert one_mission.currency == portfolio.currency
    assert one_mission.projects == portfolio.projects
    assert one_mission.money == pytest.approx(portfolio.money, rel=1e-9)


def test_the_countries_money_adds_up_to_the_money_of_projects_naming_a_country(
    one_mission: CountryMap,
) -> None:
    assert one_mission.unplaced == 0  # every demo project names its country
    assert sum(c.money for c in one_mission.countries) == pytest.approx(one_mission.money, rel=1e-9)


# --- all missions together --------------------------------------------------------------------------


def test_all_missions_count_each_project_once_however_many_portfolios_hold_it(
    demo: Workspace, everything: CountryMap
) -> None:
    ids = [m.id for m in everything.missions]
    shared = sum(money_by_country(demo, visible=None, mission_id=m).projects for m in ids)
    assert shared > everything.projects  # the demo's portfolios do overlap
    assert everything.projects == len(_countries_of_portfolios(demo, ids))


def test_all_missions_count_a_shared_project_once_in_each_country_it_names(
    demo: Workspace, everything: CountryMap
) -> None:
    projects = _countries_of_portfolios(demo, [m.id for m in everything.missions])
    expected: dict[str, int] = {}
    for countries in projects.values():
        for code in set(countries):
            expected[code] = expected.get(code, 0) + 1
    assert {c.code: c.projects for c in everything.countries} == expected


def test_all_missions_are_in_one_currency_the_workspaces(everything: CountryMap) -> None:
    assert everything.currency == "EUR"
    assert everything.currency_source.value == "workspace"


def test_the_map_offers_each_mission_on_its_own(everything: CountryMap) -> None:
    assert MISSION in [m.id for m in everything.missions]


def test_countries_are_named_in_words(everything: CountryMap) -> None:
    assert {c.code: c.name for c in everything.countries}["NO"] == "Norway"


# --- who sees what ----------------------------------------------------------------------------------


def test_an_outsider_is_not_offered_a_private_mission(outsiders_view: CountryMap) -> None:
    assert HIDDEN not in [m.id for m in outsiders_view.missions]


def test_an_outsiders_map_holds_only_the_public_missions_projects(
    demo: Workspace, outsiders_view: CountryMap
) -> None:
    public = [m.id for m in outsiders_view.missions]
    assert outsiders_view.projects == len(_countries_of_portfolios(demo, public))


def test_an_outsider_sees_less_money_than_an_admin(
    outsiders_view: CountryMap, everything: CountryMap
) -> None:
    assert outsiders_view.money < everything.money


def test_an_outsider_cannot_ask_for_a_private_missions_map(demo: Workspace) -> None:
    visible = accounts.visible_missions(demo, accounts.get_account(demo, "outsider"))
    with pytest.raises(NotFound):
        money_by_country(demo, visible=visible, mission_id=HIDDEN)


# --- the page ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def outsider(demo: Workspace) -> Iterator[TestClient]:
    from missionboard.web import create_app

    with TestClient(create_app(demo, secure_cookies=False), base_url="http://127.0.0.1") as web:
        page = web.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        done = web.post(
            "/login",
            data={"username": "outsider", "password": PASSWORD, "csrf_token": token.group(1), "next": "/"},
            follow_redirects=False,
        )
        assert done.status_code == 303
        yield web


def test_the_compare_page_answers_with_a_mission_chosen_for_the_map(outsider: TestClient) -> None:
    assert outsider.get("/missions/compare", params={"map_mission": MISSION}).status_code == 200


def test_the_compare_page_does_not_map_a_private_mission_for_an_outsider(outsider: TestClient) -> None:
    assert outsider.get("/missions/compare", params={"map_mission": HIDDEN}).status_code == 404


def test_the_compare_page_shows_the_map(outsider: TestClient) -> None:
    page = outsider.get("/missions/compare").text
    assert '<select id="map-mission" name="map_mission">' in page
    assert 'data-country="no"' in page

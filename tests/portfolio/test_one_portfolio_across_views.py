"""One portfolio definition: which links count, the reporting currency and the conversion are decided in
one place (``domain.portfolio_rule``), and every view — the service, the web card and tree, analytics,
gaps, monitoring, the report and the API — shows the same projects and the same money."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from missionboard.analytics import analyze_portfolio
from missionboard.domain.missions import Mission
from missionboard.domain.portfolio_rule import (
    DEFAULT_RULE,
    CurrencySource,
    PortfolioRule,
    ProjectMoney,
    RateTable,
    convert_money,
    reporting_currency,
)
from missionboard.monitoring.board import monitor_mission
from missionboard.reports import summary
from missionboard.services import accounts
from missionboard.services import missions as mission_service
from missionboard.services.demo.build import build_demo
from missionboard.services.portfolio import MissionPortfolio, mission_portfolio
from missionboard.store.missions import MissionStore
from missionboard.store.tables import ExchangeRateRow, LinkRow, ProjectRow
from missionboard.store.workspace import Workspace

PASSWORD = "a long enough test password"


# --- the rule ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "score", "counts"),
    [
        ("accepted", 0.1, True),  # a reviewer's word outranks the score
        ("accepted", None, True),
        ("proposed", 0.5, True),  # a calibrated probability of one half: more likely than not
        ("proposed", 0.93, True),
        ("proposed", 0.4999, False),
        ("proposed", None, False),
        ("rejected", 0.99, False),  # rejected never counts
        ("unlinked", 0.9, False),
    ],
)
def test_a_link_counts_when_accepted_or_proposed_with_score_at_least_one_half(
    status: str, score: float | None, counts: bool
) -> None:
    assert DEFAULT_RULE.counts(status, score) is counts


def test_the_rule_is_stated_in_one_line_and_an_override_says_so() -> None:
    assert DEFAULT_RULE.describe() == (
        "links accepted, or proposed with score ≥ 0.5; rejected links never count"
    )
    assert "chosen for this analysis" in PortfolioRule(0.3, override=True).describe()
    with pytest.raises(ValueError, match="between 0 and 1"):
        PortfolioRule(1.5)


@pytest.mark.parametrize(
    ("declared", "rates", "projects", "expected"),
    [
        ("SEK", {"EUR": 30}, {"NOK": 5}, ("SEK", CurrencySource.MISSION)),
        (None, {"EUR": 30, "USD": 2}, {"NOK": 5}, ("EUR", CurrencySource.WORKSPACE)),
        (None, {}, {"NOK": 5, "SEK": 2}, ("NOK", CurrencySource.PROJECTS)),
        (None, {}, {}, (None, CurrencySource.NONE)),
    ],
)
def test_the_reporting_currency_is_the_missions_else_the_workspaces_else_the_projects(
    declared: str | None,
    rates: dict[str, int],
    projects: dict[str, int],
    expected: tuple[str | None, CurrencySource],
) -> None:
    assert reporting_currency(declared, rates, projects) == expected


# --- conversion ----------------------------------------------------------------------------------

EUR_ONLY = RateTable.of(
    [
        ("NOK", "EUR", 2021, 0.095),
        ("NOK", "EUR", 2023, 0.087),
        ("SEK", "EUR", 2021, 0.098),
        ("SEK", "EUR", 2023, 0.087),
        ("EUR", "DKK", 2022, 7.44),  # DKK only the other way round
    ]
)


def test_a_direct_rate_of_the_start_year_is_used_as_is() -> None:
    found = EUR_ONLY.convert("NOK", "EUR", 2021)
    assert found is not None
    assert found.rate == pytest.approx(0.095)
    assert found.approximate is False and found.via is None


def test_the_inverse_of_a_rate_the_other_way_converts_too() -> None:
    found = EUR_ONLY.convert("DKK", "EUR", 2022)
    assert found is not None
    assert found.rate == pytest.approx(1 / 7.44)


def test_a_cross_rate_goes_through_a_currency_both_have_rates_to() -> None:
    found = EUR_ONLY.convert("NOK", "SEK", 2021)
    assert found is not None
    assert found.via == "EUR"
    assert found.rate == pytest.approx(0.095 / 0.098)


def test_the_nearest_year_stands_in_and_is_marked_approximate() -> None:
    found = EUR_ONLY.convert("NOK", "EUR", 2030)
    assert found is not None
    assert found.rate == pytest.approx(0.087)
    assert found.approximate is True


def test_money_without_any_possible_conversion_is_listed_not_dropped() -> None:
    converted = convert_money(ProjectMoney(1000.0, "XAF"), "EUR", 2021, EUR_ONLY)
    assert converted.amount is None
    assert converted.unconverted == (("XAF", 1000.0),)


def test_a_project_without_a_budget_counts_its_public_funding_plus_co_funding() -> None:
    money = ProjectMoney(None, None, 600.0, "EUR", 400.0, "NOK")
    assert convert_money(money, "EUR", 2021, EUR_ONLY).amount == pytest.approx(600 + 400 * 0.095)


# --- a NOK project when only EUR rates exist (SQLite and PostgreSQL) ------------------------------


def _mission(**changes: Any) -> Mission:
    document: dict[str, Any] = {
        "id": "fjords",
        "title": "Clean fjords",
        "challenge": "Polluted fjords",
        "statement": "By 2030 halve nitrogen run-off into the fjords.",
        "owner": "Agency",
        "start": "2022-01-01",
        "deadline": "2030-12-31",
        "objectives": [
            {"id": "runoff", "title": "Halve run-off"},
            {"id": "sensors", "title": "Sensors in every fjord"},
        ],
    }
    document.update(changes)
    return Mission.model_validate(document)


def _project(
    session: Any,
    name: str,
    amount: float,
    currency: str,
    links: dict[str, tuple[str, float]],
    *,
    public_only: bool = False,
) -> None:
    row = ProjectRow(
        source="test",
        source_id=name,
        title=f"Project {name}",
        budget_amount=None if public_only else Decimal(str(amount)),
        budget_currency=None if public_only else currency,
        public_amount=Decimal(str(amount)) if public_only else None,
        public_currency=currency if public_only else None,
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
                taxonomy="mission:fjords",
                goal=goal,
                score=score,
                method="query",
                status=status,
            )
        )


@pytest.fixture
def fjords(workspace: Workspace) -> Workspace:
    """A mission reported in SEK; projects in NOK, SEK, XAF and (public funding only) ISK; rates only
    into EUR, none for XAF or ISK."""
    with workspace.transaction() as session:
        MissionStore(session).save(_mission(currency="SEK"), author="test")
        for currency, year, rate in (("NOK", 2023, 0.095), ("SEK", 2023, 0.087), ("USD", 2023, 0.92)):
            session.add(ExchangeRateRow(currency=currency, reporting_currency="EUR", year=year, rate=rate))
        _project(session, "nok", 1_000_000, "NOK", {"runoff": ("accepted", 0.9)})
        _project(session, "sek", 500_000, "SEK", {"runoff": ("proposed", 0.7), "sensors": ("proposed", 0.6)})
        _project(session, "xaf", 9_000_000, "XAF", {"sensors": ("accepted", 0.8)})
        _project(session, "isk", 2_000_000, "ISK", {"runoff": ("accepted", 0.9)}, public_only=True)
        _project(session, "weak", 7_000_000, "SEK", {"sensors": ("proposed", 0.3)})
        _project(session, "no", 7_000_000, "SEK", {"runoff": ("rejected", 0.95)})
    return workspace


def test_a_nok_project_is_converted_through_eur_into_the_missions_sek(fjords: Workspace) -> None:
    found = mission_portfolio(fjords, "fjords")
    assert (found.currency, found.currency_source) == ("SEK", CurrencySource.MISSION)
    assert found.projects == 4  # nok, sek, xaf, isk: 'weak' is under 0.5, 'no' rejected
    assert found.via == ["EUR"]
    assert found.money == pytest.approx(1_000_000 * 0.095 / 0.087 + 500_000)
    assert found.projects_with_money == 2


def test_money_that_cannot_be_converted_is_listed_per_currency_and_the_projects_still_count(
    fjords: Workspace,
) -> None:
    found = mission_portfolio(fjords, "fjords")
    assert [(u.currency, u.amount, u.projects) for u in found.unconverted] == [
        ("ISK", 2_000_000, 1),
        ("XAF", 9_000_000, 1),
    ]
    assert "1 projects in XAF" in found.block()["conversion"]


def test_an_objective_with_only_proposals_under_the_threshold_counts_them_apart(fjords: Workspace) -> None:
    sensors = next(o for o in mission_portfolio(fjords, "fjords").objectives if o.objective == "sensors")
    assert (sensors.projects, sensors.accepted, sensors.proposed, sensors.below_threshold) == (2, 1, 1, 1)


def test_monitoring_and_analytics_convert_the_nok_project_the_same_way(fjords: Workspace) -> None:
    found = mission_portfolio(fjords, "fjords")
    board = monitor_mission(fjords, "fjords", as_of=dt.date(2025, 1, 1))
    assert board.currency == "SEK"
    assert {p.project for p in board.projects} == {"test:nok", "test:sek", "test:xaf", "test:isk"}
    assert sum(board.funding.values()) == pytest.approx(found.money)
    assert any("1 in ISK, 1 in XAF" in note for note in board.notes)
    data = analyze_portfolio(fjords, "fjords").to_dict()
    assert data["budget"]["reporting_currency"] == "SEK"
    assert data["projects"]["projects"]["value"] == found.projects
    assert data["budget"]["total"]["value"] == pytest.approx(found.money)
    assert data["portfolio"]["currency_source"] == "mission"
    unconverted = [(r["currency"], r["amount"], r["projects"]) for r in data["budget"]["unconverted"]["rows"]]
    assert unconverted == [(u.currency, u.amount, u.projects) for u in found.unconverted]


def test_an_analysis_with_another_threshold_says_it_overrode_the_rule(fjords: Workspace) -> None:
    data = analyze_portfolio(fjords, "fjords", threshold=0.2).to_dict()
    assert data["projects"]["projects"]["value"] == 5  # and 'weak', proposed with 0.3
    assert data["portfolio"]["override"] is True
    assert "chosen for this analysis" in data["portfolio"]["rule"]


# --- every view of every demo mission --------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    path = tmp_path_factory.mktemp("demo-portfolio") / "missionboard.db"
    build_demo(path)
    workspace = Workspace.open(f"sqlite:///{path}")
    accounts.create_user(workspace, "auditor", PASSWORD, admin=True, by="test")
    yield workspace
    workspace.close()


@pytest.fixture(scope="module")
def client(demo: Workspace) -> Iterator[TestClient]:
    from missionboard.web import create_app

    with TestClient(create_app(demo, secure_cookies=False), base_url="http://127.0.0.1") as web:
        page = web.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        done = web.post(
            "/login",
            data={"username": "auditor", "password": PASSWORD, "csrf_token": token.group(1), "next": "/"},
            follow_redirects=False,
        )
        assert done.status_code == 303
        yield web


@pytest.fixture(scope="module")
def api_headers(demo: Workspace) -> dict[str, str]:
    return {"Authorization": f"Bearer {accounts.create_token(demo, 'auditor', 'test', by='test')}"}


@pytest.fixture(scope="module")
def portfolios(demo: Workspace) -> dict[str, MissionPortfolio]:
    return {v.mission_id: mission_portfolio(demo, v.mission_id) for v in mission_service.list_missions(demo)}


def _figures(html: str) -> tuple[int, int, str]:
    """(projects, money, currency) as a page shows them."""
    found = re.search(
        r'portfolio-projects">([\d,]+)</span>.*?portfolio-money">([\d,]+)</span> '
        r'<span class="portfolio-currency">([A-Z]{3})',
        html,
        re.S,
    )
    assert found is not None
    return int(found[1].replace(",", "")), int(found[2].replace(",", "")), found[3]


def test_the_demo_missions_have_portfolios_in_one_currency(portfolios: dict[str, MissionPortfolio]) -> None:
    assert len(portfolios) >= 5
    assert all(p.projects > 0 and p.currency == "EUR" for p in portfolios.values())
    assert all(p.currency_source is CurrencySource.WORKSPACE for p in portfolios.values())


def test_the_web_card_and_tree_show_the_services_projects_and_money(
    client: TestClient, portfolios: dict[str, MissionPortfolio]
) -> None:
    cards = client.get("/").text
    for mission_id, expected in portfolios.items():
        card = cards[cards.index(f'href="/missions/{mission_id}"') :]
        figures = (expected.projects, round(expected.money), expected.currency)
        assert _figures(card) == figures, mission_id
        tree = client.get(f"/missions/{mission_id}").text
        assert _figures(tree) == figures, mission_id
        assert DEFAULT_RULE.describe() in tree


def test_the_tree_counts_per_objective_what_the_service_counts(
    client: TestClient, portfolios: dict[str, MissionPortfolio]
) -> None:
    for mission_id, expected in portfolios.items():
        tree = client.get(f"/missions/{mission_id}").text
        shown = re.findall(
            r'class="counts">(\d+) accepted · (\d+) proposed \(counted\) · (\d+) proposed below', tree
        )
        assert [tuple(map(int, s)) for s in shown] == [
            (o.accepted, o.proposed, o.below_threshold) for o in expected.objectives
        ], mission_id


def test_analytics_report_and_gaps_agree_with_the_service(
    demo: Workspace, portfolios: dict[str, MissionPortfolio]
) -> None:
    for mission_id, expected in portfolios.items():
        data = analyze_portfolio(demo, mission_id).to_dict()
        assert data["projects"]["projects"]["value"] == expected.projects, mission_id
        assert data["budget"]["reporting_currency"] == expected.currency
        assert data["budget"]["total"]["value"] == pytest.approx(expected.money), mission_id
        assert data["portfolio"]["rule"] == DEFAULT_RULE.describe()
        coverage = {r["goal"]: r for r in data["coverage"]["rows"]}
        for objective in expected.objectives:
            assert coverage[objective.objective]["projects"] == objective.projects
            assert coverage[objective.objective]["budget_split"] == pytest.approx(objective.money_split)
        gaps = {g["goal"]: g for g in data["gaps"]["rows"]}
        for objective in expected.objectives:
            gap = gaps.get(objective.objective)
            # an objective with counted projects is never "without project"
            assert (gap is not None and gap["kind"] == "orphaned") == (objective.projects == 0)
            if objective.projects == 0 and objective.below_threshold:
                assert f"{objective.below_threshold} proposed with score under 0.5" in gap["reason"]
        headline = {label: (value, unit) for label, value, unit in summary.headline(data)}
        assert headline["Projects"][0] == f"{expected.projects:,}"
        assert headline["Budget"] == (summary.money(expected.money), expected.currency)
        assert DEFAULT_RULE.describe() in summary.markdown(data)


def test_the_demo_has_an_objective_with_only_proposals_under_the_threshold(
    portfolios: dict[str, MissionPortfolio],
) -> None:
    """The case the tree and gaps used to disagree on: it must stay in the demo for the test above."""
    assert any(o.projects == 0 and o.below_threshold > 0 for p in portfolios.values() for o in p.objectives)


def test_monitoring_counts_the_same_projects_and_money(
    demo: Workspace, portfolios: dict[str, MissionPortfolio]
) -> None:
    for mission_id, expected in portfolios.items():
        board = monitor_mission(demo, mission_id)
        assert len(board.projects) == expected.projects, mission_id
        assert board.currency == expected.currency
        assert sum(board.funding.values()) == pytest.approx(expected.money), mission_id
        funding = {o: pytest.approx(f) for o, f in board.funding.items()}
        assert funding == {o.objective: o.money_split for o in expected.objectives}
        assert board.to_dict()["portfolio"]["rule"] == DEFAULT_RULE.describe()


def test_the_quality_check_counts_the_same_projects_and_money(
    demo: Workspace, client: TestClient, portfolios: dict[str, MissionPortfolio]
) -> None:
    """Its relabelling figures split the same portfolio by start year: dated plus undated projects are
    the portfolio, new plus relabelled money is its money in the reporting currency."""
    for mission_id, expected in portfolios.items():
        relabelling = mission_service.check_mission(demo, mission_id).to_dict()["relabelling"]
        assert relabelling is not None, mission_id
        assert relabelling["projects"] + relabelling["undated_projects"] == expected.projects, mission_id
        assert relabelling["currency"] == expected.currency, mission_id
        assert relabelling["unconverted_projects"] == sum(u.projects for u in expected.unconverted)
        money = relabelling["new_money"] + relabelling["relabelled_money"]
        assert money == pytest.approx(expected.money), mission_id
        page = client.get(f"/missions/{mission_id}/insights?part=quality&fragment=1").text
        shown = re.search(
            r'relabel-projects">([\d,]+)</span>.*?relabel-total-money">([\d,]+)</span>', page, re.S
        )
        assert shown is not None, mission_id
        assert int(shown[1].replace(",", "")) == relabelling["projects"], mission_id
        assert int(shown[2].replace(",", "")) == round(expected.money), mission_id


def test_the_api_reports_the_same_portfolio(
    client: TestClient, api_headers: dict[str, str], portfolios: dict[str, MissionPortfolio]
) -> None:
    listed = client.get("/api/v1/missions", headers=api_headers).json()
    assert listed["portfolio_rule"] == DEFAULT_RULE.describe()
    items = {m["id"]: m for m in listed["items"]}
    for mission_id, expected in portfolios.items():
        item = items[mission_id]
        assert item["portfolio_size"] == expected.projects
        assert item["portfolio_money"] == pytest.approx(expected.money, abs=0.01)
        assert item["portfolio"]["currency"] == expected.currency
        found = client.get(f"/api/v1/missions/{mission_id}/portfolio", headers=api_headers).json()
        assert found == expected.to_dict()
        analytics = client.get(f"/api/v1/missions/{mission_id}/analytics", headers=api_headers).json()
        assert analytics["projects"]["projects"]["value"] == expected.projects
        assert analytics["budget"]["total"]["value"] == pytest.approx(expected.money)
        assert analytics["portfolio"]["currency"] == expected.currency
        for objective in expected.objectives:  # the tree's "explore" link lists the same projects
            goal = f"mission:{mission_id}/{objective.objective}"
            explored = client.get(f"/api/v1/projects?goal={goal}&per_page=25", headers=api_headers).json()
            assert explored["total"] == objective.projects, goal
        monitoring = client.get(f"/api/v1/missions/{mission_id}/monitoring", headers=api_headers).json()
        assert monitoring["funding_total"] == pytest.approx(expected.money, rel=1e-3)
        assert monitoring["portfolio"]["currency"] == expected.currency


# --- the whole portfolio in the explorer and the API -------------------------------------------------


def test_the_explorer_lists_exactly_the_projects_the_mission_card_counts(
    client: TestClient, api_headers: dict[str, str], portfolios: dict[str, MissionPortfolio]
) -> None:
    for mission_id, expected in portfolios.items():
        listed = client.get(f"/api/v1/projects?mission={mission_id}&per_page=10", headers=api_headers).json()
        assert listed["total"] == expected.projects, mission_id
        page = client.get(f"/projects?mission={mission_id}").text
        assert f">{expected.projects:,} projects</h2>" in page, mission_id
        csv_lines = client.get(f"/projects/export.csv?mission={mission_id}").text.strip().splitlines()
        assert len(csv_lines) == expected.projects + 1, mission_id  # a header and one line per project
        exported = client.get(f"/projects/export.json?mission={mission_id}").json()
        assert len(exported) == expected.projects, mission_id
        assert {row["id"] for row in exported} == {
            row["id"] for row in _all_rows(client, api_headers, mission_id)
        }
        xlsx = client.get(f"/projects/export.xlsx?mission={mission_id}")
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def _all_rows(client: TestClient, headers: dict[str, str], mission_id: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        found = client.get(
            f"/api/v1/projects?mission={mission_id}&per_page=500&page={page}", headers=headers
        ).json()
        rows += found["items"]
        if len(found["items"]) < 500:
            return rows
        page += 1


def test_the_mission_filter_narrows_with_the_others(
    client: TestClient, api_headers: dict[str, str], portfolios: dict[str, MissionPortfolio]
) -> None:
    expected = portfolios["school-meals"]
    by_objective = {o.objective: o.projects for o in expected.objectives}
    for objective, projects in by_objective.items():
        goal = f"mission:school-meals/{objective}"
        found = client.get(f"/api/v1/projects?mission=school-meals&goal={goal}", headers=api_headers).json()
        assert found["total"] == projects, objective
    active = client.get("/api/v1/projects?mission=school-meals&status=active", headers=api_headers).json()
    assert 0 < active["total"] < expected.projects


def test_an_unknown_mission_is_refused_naming_the_parameter(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    answer = client.get("/api/v1/projects?mission=school-meal", headers=api_headers)
    assert answer.status_code == 422
    assert "school-meal" in answer.text and "mission" in answer.text
    page = client.get("/projects?mission=school-meal")
    assert page.status_code == 200 and "no mission &#39;school-meal&#39;" in page.text


def test_the_goal_filter_offers_missions_goals_by_their_titles(client: TestClient) -> None:
    page = client.get("/projects").text
    assert 'value="mission:school-meals/food-waste"' in page
    option = page[page.index('value="mission:school-meals/food-waste"') :].split("</option>", 1)[0]
    assert "mission:school-meals · food-waste" not in option
    assert ": Halve" in option  # "<mission title>: <objective title>"
    assert (
        '<a href="/projects?mission=school-meals" id="explore-portfolio">'
        in client.get("/missions/school-meals").text
    )

"""All missions side by side: every figure is the one the other views show (the portfolio rule, the
monitoring board), objectives sit on one scale from baseline to target, the weakest mission leads, and a
caller sees only the missions they may see — in the service, the page, the API and the CLI."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from missionboard.domain.progress_scale import Trend
from missionboard.domain.targets import TargetStatus
from missionboard.services import accounts
from missionboard.services import missions as mission_service
from missionboard.services.compare import MissionComparison, ObjectiveSide, compare_missions
from missionboard.services.demo.build import build_demo
from missionboard.services.monitoring import monitor_mission
from missionboard.services.portfolio import mission_portfolio
from missionboard.store.workspace import Workspace
from missionboard.web.api_models import CompareOut

PASSWORD = "a long enough test password"
AS_OF = dt.date(2026, 6, 1)
HIDDEN = "digital-leadership"
"""The demo's one mission that is not public."""


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo-compare") / "missionboard.db"
    build_demo(path)
    return path


@pytest.fixture(scope="module")
def demo(demo_path: Path) -> Iterator[Workspace]:
    workspace = Workspace.open(f"sqlite:///{demo_path}")
    accounts.create_user(workspace, "adviser", PASSWORD, admin=True, by="test")
    accounts.create_user(workspace, "outsider", PASSWORD, by="test")
    yield workspace
    workspace.close()


@pytest.fixture(scope="module")
def comparison(demo: Workspace) -> MissionComparison:
    return compare_missions(demo, as_of=AS_OF)


def _client(demo: Workspace, username: str) -> TestClient:
    from missionboard.web import create_app

    web = TestClient(create_app(demo, secure_cookies=False), base_url="http://127.0.0.1")
    page = web.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    done = web.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1), "next": "/"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    return web


@pytest.fixture(scope="module")
def adviser(demo: Workspace) -> Iterator[TestClient]:
    with _client(demo, "adviser") as web:
        yield web


@pytest.fixture(scope="module")
def outsider(demo: Workspace) -> Iterator[TestClient]:
    with _client(demo, "outsider") as web:
        yield web


# --- the service --------------------------------------------------------------------------------------


def test_every_mission_of_the_workspace_is_compared(demo: Workspace, comparison: MissionComparison) -> None:
    assert {m.id for m in comparison.missions} == {v.mission_id for v in mission_service.list_missions(demo)}


def test_each_missions_projects_and_money_are_its_portfolios(
    demo: Workspace, comparison: MissionComparison
) -> None:
    for side in comparison.missions:
        portfolio = mission_portfolio(demo, side.id)
        assert (side.projects, side.money, side.currency) == (
            portfolio.projects,
            portfolio.money,
            portfolio.currency,
        ), side.id


def test_each_objectives_status_and_probability_are_the_monitoring_boards(
    demo: Workspace, comparison: MissionComparison
) -> None:
    for side in comparison.missions:
        board = {s.objective.id: s for s in monitor_mission(demo, side.id, as_of=AS_OF).objectives}
        assert {o.id for o in side.objectives} == set(board), side.id
        for objective in side.objectives:
            judged = board[objective.id]
            assert (objective.status, objective.probability) == (judged.status, judged.probability), (
                objective.id
            )


@pytest.mark.parametrize(
    ("mission", "objective", "progress"),
    [
        ("drought-resilience", "crop-loss", 1 / 6),  # 45 % → 15 %, latest 40 %: a falling target
        ("drought-resilience", "early-warning", 0.4),  # 40 % → 95 %, latest 62 %
    ],
)
def test_an_objective_stands_at_the_share_of_the_way_from_baseline_to_target(
    comparison: MissionComparison, mission: str, objective: str, progress: float
) -> None:
    found = _objective(comparison, mission, objective)
    assert found.progress == pytest.approx(progress)


def test_an_objective_shows_the_year_of_its_last_observation_and_its_last_step(
    comparison: MissionComparison,
) -> None:
    found = _objective(comparison, "school-meals", "pupil-satisfaction")  # 73 then 72, wanted higher
    assert (found.last_change, found.trend, found.arrow) == (2025, Trend.WORSENING, "↓")


def test_an_objective_without_observations_has_no_place_on_the_scale(comparison: MissionComparison) -> None:
    found = _objective(comparison, HIDDEN, "ai-adoption")
    assert (found.progress, found.trend, found.last_change, found.status) == (
        None,
        None,
        None,
        TargetStatus.NO_DATA,
    )


def test_the_mission_whose_weakest_objective_is_least_likely_comes_first(
    comparison: MissionComparison,
) -> None:
    weakest = [m.weakest for m in comparison.missions]
    known = [w for w in weakest if w is not None]
    assert known == sorted(known)
    assert weakest[len(known) :] == [None] * (len(weakest) - len(known))  # unmonitored missions last


def test_within_a_mission_the_weakest_objective_comes_first(comparison: MissionComparison) -> None:
    for side in comparison.missions:
        known = [o.probability for o in side.objectives if o.probability is not None]
        assert known == sorted(known), side.id


def test_the_owners_are_the_owning_bodies_of_the_governance(comparison: MissionComparison) -> None:
    side = next(m for m in comparison.missions if m.id == "drought-resilience")
    assert [(o.body, o.role) for o in side.owners][:2] == [
        ("National Drought Management Authority", "owner"),
        ("Ministry of Agriculture and Livestock Development", "co-owner"),
    ]


def test_each_mission_carries_its_quality_verdict(demo: Workspace, comparison: MissionComparison) -> None:
    side = next(m for m in comparison.missions if m.id == "school-meals")
    assert side.quality_verdict == mission_service.check_mission(demo, side.id).verdict


def test_only_the_visible_missions_are_compared(demo: Workspace) -> None:
    outsider = accounts.get_account(demo, "outsider")
    shown = compare_missions(
        demo, visible=accounts.visible_missions(demo, outsider), as_of=AS_OF, quality=False
    )
    assert HIDDEN not in {m.id for m in shown.missions}


def test_the_markdown_has_a_row_per_objective_with_its_status_in_words(comparison: MissionComparison) -> None:
    text = comparison.to_markdown()
    rows = [
        line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| Objective")
    ]
    assert len(rows) == sum(len(m.objectives) for m in comparison.missions)
    assert "| Off track |" in text


# --- the page, the API and the CLI ---------------------------------------------------------------------


def test_the_page_shows_every_objective_with_a_bar_and_its_status_in_words(
    adviser: TestClient, comparison: MissionComparison
) -> None:
    page = adviser.get(f"/missions/compare?as_of={AS_OF}")
    assert page.status_code == 200
    assert page.text.count('class="compare-objective"') == sum(len(m.objectives) for m in comparison.missions)
    assert ">Off track</span>" in page.text
    assert ">off_track<" not in page.text
    assert 'class="progress-bar"' in page.text


def test_the_page_shows_each_missions_portfolio_money_with_its_currency(
    adviser: TestClient, comparison: MissionComparison
) -> None:
    page = adviser.get(f"/missions/compare?as_of={AS_OF}").text
    side = comparison.missions[0]
    assert (
        f'portfolio-money">{side.money:,.0f}</span> <span class="portfolio-currency">{side.currency}' in page
    )


def test_the_missions_page_and_the_nav_link_to_the_comparison(adviser: TestClient) -> None:
    page = adviser.get("/").text
    assert page.count('href="/missions/compare"') == 2


def test_an_outsider_is_not_shown_a_hidden_mission_on_the_page(outsider: TestClient) -> None:
    page = outsider.get(f"/missions/compare?as_of={AS_OF}")
    assert page.status_code == 200
    assert f"cmp-{HIDDEN}" not in page.text


def test_the_api_answers_its_model_with_the_services_comparison(
    adviser: TestClient, comparison: MissionComparison
) -> None:
    answer = adviser.get(f"/api/v1/compare?as_of={AS_OF}")
    assert answer.status_code == 200
    CompareOut.model_validate(answer.json())
    assert answer.json() == json.loads(json.dumps(comparison.to_dict()))


def test_the_api_leaves_out_a_mission_an_outsider_may_not_see(outsider: TestClient) -> None:
    answer = outsider.get(f"/api/v1/compare?as_of={AS_OF}").json()
    assert HIDDEN not in [m["id"] for m in answer["missions"]]


def test_the_cli_prints_the_comparison_as_json(cli, demo_path: Path, comparison: MissionComparison) -> None:  # type: ignore[no-untyped-def]
    result = cli("compare", "--format", "json", "--as-of", AS_OF.isoformat(), workspace=demo_path)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == json.loads(json.dumps(comparison.to_dict()))


def test_the_cli_refuses_a_date_it_cannot_read(cli, demo_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("compare", "--as-of", "2026-13-01", workspace=demo_path)
    assert result.exit_code == 2


def _objective(comparison: MissionComparison, mission: str, objective: str) -> ObjectiveSide:
    side = next(m for m in comparison.missions if m.id == mission)
    return next(o for o in side.objectives if o.id == objective)

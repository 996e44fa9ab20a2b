"""The contribution story of a mission: its logic walked from money and measures to the targets, with
where the chain is weak — in the CLI, on the web and in the report — and the diagram of the logic."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from missionboard.cli import reference
from missionboard.domain.missions import Mission
from missionboard.domain.story import (
    ContributionStory,
    IndicatorStatus,
    ObjectiveMoney,
    RegionalStatus,
    WeakLinkKind,
    build_story,
    money_text,
    projects_text,
)
from missionboard.domain.targets import TargetStatus
from missionboard.services import accounts
from missionboard.services.monitoring import import_indicators
from missionboard.services.portfolio import mission_portfolio
from missionboard.services.story import mission_story
from missionboard.store.missions import MissionStore
from missionboard.store.tables import LinkRow, ProjectRow
from missionboard.store.workspace import Workspace
from missionboard.web.logic_diagram import logic_svg

PASSWORD = "a long enough test password"
FAILING = "Grid operators connect depots within a year"
SVG = "{http://www.w3.org/2000/svg}"


def _mission(**changes: Any) -> Mission:
    """A mission with a three-step logic (tender rule → grid → depots → fleet → two objectives), a
    failing assumption on the first step, and an objective nothing serves."""
    document: dict[str, Any] = {
        "id": "clean-buses",
        "title": "Clean city buses",
        "challenge": "Diesel buses pollute city air",
        "statement": "By 2030 every city bus in Denmark runs without emissions.",
        "owner": "Ministry of Transport",
        "start": "2022-01-01",
        "deadline": "2030-12-31",
        "geography": "DK",
        "currency": "EUR",
        "objectives": [
            {
                "id": "fleet-share",
                "title": "Electrify the bus fleet",
                "indicator": {"id": "ebus_share", "name": "Share of electric buses", "unit": "%"},
                "baseline": {"value": 10, "year": 2020},
                "target": {"value": 80, "year": 2030},
            },
            {"id": "emissions", "title": "Cut bus emissions"},
            {"id": "skills", "title": "Train bus mechanics"},
        ],
        "governance": [
            {
                "body": "Ministry of Transport",
                "level": "national",
                "role": "owner",
                "objectives": ["fleet-share"],
            },
            {"body": "Regions", "level": "regional", "role": "co-owner", "objectives": ["emissions"]},
        ],
        "measures": [
            {
                "id": "tender-rule",
                "title": "Zero-emission requirement in bus tenders",
                "kind": "public_procurement",
                "status": "in_force",
                "start": "2024-01-01",
                "objectives": ["grid"],
            }
        ],
        "logic": {
            "outcomes": [
                {"id": "grid", "title": "Depots get grid connections", "leads_to": ["depots"]},
                {"id": "depots", "title": "Depots charge electric buses", "leads_to": ["fleet"]},
                {"id": "fleet", "title": "Operators renew fleets", "leads_to": ["fleet-share", "emissions"]},
            ],
            "assumptions": [
                {
                    "id": "grid-on-time",
                    "text": FAILING,
                    "about": ["grid"],
                    "status": "failing",
                    "evidence": "2024 survey: queues of three years",
                }
            ],
        },
    }
    document.update(changes)
    return Mission.model_validate(document)


def _story(mission: Mission | None = None, **figures: tuple[int, float]) -> ContributionStory:
    mission = mission or _mission()
    return build_story(
        mission,
        money=[ObjectiveMoney(o, p, m) for o, (p, m) in figures.items()],
        indicators=[IndicatorStatus("fleet-share", TargetStatus.OFF_TRACK, 0.22, 31.0, 2024, "DST")],
        as_of=dt.date(2025, 1, 1),
        currency="EUR",
        projects=sum(p for p, _ in figures.values()),
        total_money=sum(m for _, m in figures.values()),
        portfolio="Portfolio: test.",
    )


# --- the story -----------------------------------------------------------------------------------


def test_a_failing_assumption_is_a_weak_link_naming_every_objective_that_rests_on_it() -> None:
    story = _story(**{"fleet-share": (3, 45_200_000.0)})
    failing = [w for w in story.weak_links if w.kind is WeakLinkKind.FAILING_ASSUMPTION]
    assert [w.subject for w in failing] == ["grid-on-time"]
    assert failing[0].depending == ("fleet-share", "emissions")


def test_the_story_names_the_failing_assumption_its_evidence_and_each_objective_depending_on_it() -> None:
    text = _story(**{"fleet-share": (3, 45_200_000.0)}).to_markdown()
    sentence = next(line for line in text.splitlines() if line.startswith("- The assumption"))
    assert FAILING in sentence
    assert "2024 survey: queues of three years" in sentence
    assert "'Electrify the bus fleet'" in sentence
    assert "'Cut bus emissions'" in sentence
    assert "'Train bus mechanics'" not in sentence


def test_an_objective_with_no_project_or_measure_is_a_weak_link() -> None:
    story = _story(**{"fleet-share": (3, 45_200_000.0)})
    empty = {w.subject for w in story.weak_links if w.kind is WeakLinkKind.NO_PATHWAY}
    assert empty == {"skills"}  # 'emissions' has no project, but the tender rule works towards it


def test_an_outcome_nothing_works_towards_is_a_weak_link_until_a_project_is_linked_to_it() -> None:
    mission = _mission(measures=[])
    unworked = {
        w.subject for w in _story(mission).weak_links if w.kind is WeakLinkKind.OUTCOME_WITHOUT_MEASURE
    }
    assert unworked == {"grid", "depots", "fleet"}
    linked = build_story(
        mission,
        money=[],
        indicators=[],
        as_of=dt.date(2025, 1, 1),
        currency="EUR",
        projects=2,
        total_money=0.0,
        portfolio="Portfolio: test.",
        outcome_projects={"depots": 2},
    )
    # projects working towards 'depots' support it and everything downstream; 'grid' stays unworked
    assert {w.subject for w in linked.weak_links if w.kind is WeakLinkKind.OUTCOME_WITHOUT_MEASURE} == {
        "grid"
    }
    assert (
        "'Depots charge electric buses' leads to 'Operators renew fleets' and is worked towards by 2 projects"
        in (" ".join(linked.to_markdown().split()))
    )
    assert next(o for o in linked.outcomes if o.id == "depots").to_dict()["projects"] == 2


def test_an_objective_without_an_owner_is_a_weak_link_when_the_mission_declares_governance() -> None:
    story = _story()
    assert {w.subject for w in story.weak_links if w.kind is WeakLinkKind.NO_OWNER} == {"skills"}


def test_the_story_walks_the_chain_from_the_measure_to_the_objective() -> None:
    story = _story(**{"fleet-share": (3, 45_200_000.0)})
    fleet = story.objectives[0]
    assert fleet.chain == ("grid", "depots", "fleet")
    assert fleet.upstream_measures == ("tender-rule",)
    assert fleet.assumptions == ("grid-on-time",)


def test_the_prose_gives_target_money_and_the_indicators_odds() -> None:
    text = _story(**{"fleet-share": (3, 45_200_000.0)}).to_markdown()
    assert (
        "Objective 'Electrify the bus fleet' (target 80 % by 2030) is served by 3 projects worth 45.2 M EUR"
        in text
    )
    assert "The indicator is off track: P = 22% of meeting the target" in text
    assert "a procurement rule 'Zero-emission requirement in bus tenders' in force since 2024" in text


def test_the_story_gives_each_regional_target_its_own_status() -> None:
    regions = (
        RegionalStatus("Vestland", TargetStatus.ON_TRACK, 0.8, 90.0, 2030),
        RegionalStatus("Nordland", TargetStatus.NO_DATA, None, 70.0, 2030),
    )
    story = build_story(
        _mission(),
        money=[ObjectiveMoney("fleet-share", 3, 1_000.0)],
        indicators=[IndicatorStatus("fleet-share", TargetStatus.OFF_TRACK, 0.22, 31.0, 2024, "DST", regions)],
        as_of=dt.date(2025, 1, 1),
        currency="EUR",
        projects=3,
        total_money=1_000.0,
        portfolio="Portfolio: test.",
    )
    assert "Regionally: Vestland is on track (P = 80%); Nordland has no data." in story.to_markdown()
    fleet = next(o for o in story.to_dict()["objectives"] if o["id"] == "fleet-share")  # type: ignore[union-attr,index]
    assert fleet["regions"][0] == {  # type: ignore[index,call-overload]
        "region": "Vestland", "status": "on_track", "probability": 0.8, "target": 90.0, "target_year": 2030
    }  # fmt: skip


def test_money_is_rounded_half_up_as_written() -> None:
    assert (money_text(3_550_000, "EUR"), money_text(1_550_000, "EUR")) == ("3.6 M EUR", "1.6 M EUR")


def test_a_mission_without_a_logic_still_gets_a_story_by_objective() -> None:
    mission = _mission(logic=None, measures=[], governance=[])
    story = _story(mission, **{"fleet-share": (2, 1000.0)})
    text = story.to_markdown()
    assert "No theory of change is declared" in text
    assert "## Train bus mechanics" in text
    assert story.outcomes == ()


def test_the_json_has_the_keys_the_reference_declares() -> None:
    assert tuple(_story().to_dict()) == reference.JSON_OUTPUT["story"].keys


# --- the use case, the CLI and the web -----------------------------------------------------------


def _seed(workspace: Workspace, folder: Path) -> None:
    with workspace.transaction() as session:
        MissionStore(session).save(_mission(), author="test")
        for i, (amount, goals) in enumerate(
            [
                (1_500_000, ["fleet-share"]),
                (2_250_000, ["fleet-share", "emissions"]),
                (400_000, ["emissions"]),
            ]
        ):
            row = ProjectRow(
                source="test",
                source_id=f"P{i}",
                title=f"Project {i}",
                budget_amount=Decimal(amount),
                budget_currency="EUR",
                start=dt.date(2023, 1, 1),
                status="active",
                content_hash=str(i).rjust(64, "0"),
            )
            session.add(row)
            session.flush()
            for goal in goals:
                session.add(
                    LinkRow(
                        project_id=row.id,
                        taxonomy="mission:clean-buses",
                        goal=goal,
                        score=0.9,
                        method="query",
                        status="accepted",
                    )
                )
    indicators = folder / "indicators.csv"
    indicators.write_text(
        "indicator,name,unit,year,value,geography,source\n"
        + "".join(
            f"ebus_share,Share of electric buses,%,{y},{v},DK,DST\n"
            for y, v in [(2020, 10), (2022, 11), (2024, 12)]
        ),
        encoding="utf-8",
    )
    import_indicators(workspace, indicators, user="test")


@pytest.fixture
def buses(workspace: Workspace, tmp_path: Path) -> Workspace:
    _seed(workspace, tmp_path)
    return workspace


def test_the_story_counts_the_projects_and_money_services_portfolio_counts(buses: Workspace) -> None:
    portfolio = mission_portfolio(buses, "clean-buses")
    text = mission_story(buses, "clean-buses").to_markdown()
    for objective in portfolio.objectives:
        if objective.projects:
            figures = f"{projects_text(objective.projects)} worth {money_text(objective.money, 'EUR')}"
            sentence = next(
                line for line in text.splitlines() if line.startswith(f"Objective '{objective.title}'")
            )
            assert figures in sentence, objective.objective
    assert f"{projects_text(portfolio.projects)} worth {money_text(portfolio.money, 'EUR')}" in text


def test_the_story_reads_the_indicator_status_of_the_monitoring_board(buses: Workspace) -> None:
    story = mission_story(buses, "clean-buses", as_of=dt.date(2025, 6, 1))
    fleet = story.objectives[0]
    assert fleet.status is TargetStatus.OFF_TRACK
    assert (fleet.latest_value, fleet.latest_year) == (12, 2024)


def test_the_cli_prints_the_story_as_json_with_the_documented_keys(cli: Any, tmp_path: Path) -> None:
    workspace = Workspace.open(f"sqlite:///{cli.workspace}", create=True)
    _seed(workspace, tmp_path)
    workspace.close()
    result = cli("story", "clean-buses", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert tuple(data) == reference.JSON_OUTPUT["story"].keys
    assert [w["kind"] for w in data["weak_links"]].count("failing_assumption") == 1


def test_the_cli_prints_the_story_as_markdown(cli: Any, tmp_path: Path) -> None:
    workspace = Workspace.open(f"sqlite:///{cli.workspace}", create=True)
    _seed(workspace, tmp_path)
    workspace.close()
    result = cli("story", "clean-buses", "--format", "md")
    assert result.stdout.startswith("# The contribution story of Clean city buses\n")


@pytest.fixture
def web(sqlite_workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    from argon2 import PasswordHasher

    from missionboard.web import create_app

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    _seed(sqlite_workspace, tmp_path)
    for name in ("member", "outsider"):
        accounts.create_user(sqlite_workspace, name, PASSWORD, by="test")
    accounts.set_role(sqlite_workspace, "member", "clean-buses", "viewer", by="test")
    with TestClient(
        create_app(sqlite_workspace, secure_cookies=False), base_url="http://127.0.0.1"
    ) as client:
        yield client


def _login(client: TestClient, username: str) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1), "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_the_story_page_renders_for_a_member(web: TestClient) -> None:
    _login(web, "member")
    page = web.get("/missions/clean-buses/story")
    assert page.status_code == 200
    assert FAILING in page.text
    assert "Where the chain is weak" in page.text


@pytest.mark.parametrize("path", ["/missions/clean-buses/story", "/missions/clean-buses/story.md"])
def test_an_outsider_gets_the_story_as_the_mission_page_answers(web: TestClient, path: str) -> None:
    _login(web, "outsider")
    expected = web.get("/missions/clean-buses").status_code
    assert expected in (403, 404)
    assert web.get(path).status_code == expected


def test_the_mission_page_shows_the_diagram_and_the_chain_as_text(web: TestClient) -> None:
    _login(web, "member")
    page = web.get("/missions/clean-buses").text
    assert 'class="chart logic-diagram"' in page
    assert (
        "Outcome &#39;Depots get grid connections&#39; leads to &#39;Depots charge electric buses&#39;."
        in page
    )


def test_the_report_carries_the_story(web: TestClient) -> None:
    _login(web, "member")
    page = web.get("/missions/clean-buses/report")
    assert page.status_code == 200
    assert "The contribution story" in page.text


# --- the diagram ---------------------------------------------------------------------------------


def test_the_diagram_is_well_formed_svg_with_one_box_per_measure_outcome_and_objective() -> None:
    mission = _mission()
    root = ET.fromstring(str(logic_svg(mission)))
    boxes = root.findall(f".//{SVG}rect[@class='box']")
    assert len(boxes) == len(mission.measures) + len(mission.outcomes) + len(mission.objectives)
    assert root.find(f"{SVG}title") is not None


def test_the_diagram_marks_what_rests_on_a_failing_assumption_with_a_red_dashed_border() -> None:
    root = ET.fromstring(str(logic_svg(_mission())))
    failing = {g.get("data-id") for g in root.iter(f"{SVG}g") if "logic-failing" in (g.get("class") or "")}
    assert failing == {"grid", "depots", "fleet", "fleet-share", "emissions"}
    dashed = [r for r in root.iter(f"{SVG}rect") if r.get("stroke-dasharray")]
    assert len(dashed) == 5


def test_the_diagram_draws_an_arrow_per_leads_to_and_per_target_a_measure_names() -> None:
    root = ET.fromstring(str(logic_svg(_mission())))
    assert (
        len(root.findall(f".//{SVG}line")) == 1 + 1 + 1 + 2
    )  # tender→grid, grid→depots, depots→fleet, fleet→2


def test_the_diagram_escapes_titles() -> None:
    mission = _mission(
        objectives=[{"id": "x", "title": "Buses <b>& trams</b>"}],
        governance=[],
        logic=None,
        measures=[{"id": "m", "title": "Rule", "kind": "regulation", "objectives": ["x"]}],
    )
    text = str(logic_svg(mission))
    assert ET.fromstring(text).find(f".//{SVG}tspan") is not None
    assert "<b>" not in text


def test_a_mission_with_neither_measures_nor_outcomes_has_no_diagram() -> None:
    assert str(logic_svg(_mission(governance=[], logic=None, measures=[]))) == ""

"""The web shows the board's verdicts with what they rest on, as the API gives them: per objective the
probability, the status rule, the path choice and the forecast's basis; the money stopped projects
released; the health summary; the quality check's relabelling figures; and on a project's page its
health judged in each mission's time."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path
from typing import Any

import pytest
from web_support import Web

from missionboard.missionfile import parse_mission
from missionboard.monitoring import import_indicators, import_progress
from missionboard.services import missions as mission_service
from missionboard.store.tables import LinkRow, ProjectRow

PROJECT = 3  # accepted into 'ocean' (start 2022-01-01); starts 2023-01-01, no end
LATE_YAML = """mission:
  id: late-harbour
  title: Quiet harbour nights
  challenge: Noise in the harbour
  statement: By 2032 halve the night-time noise in the harbour.
  owner: Port authority
  start: 2025-01-01
  deadline: 2032-12-31
  public: false
  objectives:
    - id: noise
      title: Halve night-time noise
"""
PROGRESS = "project,kind,name,date\ntest:P003,milestone,Pilot at sea,2024-03-31\n"
"""Due in 2024 and never done: overdue in 'ocean' (begun 2022), not in 'late-harbour' (begun 2025)."""


def _text(page: str) -> str:
    """The page's words, tags and entities gone, white space collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.fixture
def board(web: Web, tmp_path: Path) -> dict[str, Any]:
    """Litter falls steadily since 2015; project 3 is stopped at a gate; project 5 ended before 'ocean'."""
    rows = "".join(
        f"beach_litter,{y},{420 - 12 * (y - 2015) + (3 if y % 2 else -3)}\n" for y in range(2015, 2026)
    )
    path = tmp_path / "litter.csv"
    path.write_text("indicator,year,value\n" + rows, encoding="utf-8")
    import_indicators(web.workspace, path, user="test")
    with web.workspace.transaction() as session:
        old = session.get(ProjectRow, 5)
        assert old is not None
        old.end = dt.date(2021, 6, 30)
    gate = {"name": "G1", "due": "2025-06-30", "criteria": ["Prototype at sea"]}
    headers = web.token("editor")
    assert web.client.post(f"/api/v1/projects/{PROJECT}/gates", json=gate, headers=headers).status_code == 201
    stop = {"decision": "stop", "rationale": "No prototype at sea", "gate": "G1", "met": []}
    stopped = web.client.post(f"/api/v1/projects/{PROJECT}/decisions", json=stop, headers=headers)
    assert stopped.status_code == 201, stopped.text
    api = web.client.get("/api/v1/missions/ocean/monitoring", headers=web.token("viewer")).json()
    web.login("viewer")
    page = web.client.get("/missions/ocean/insights?part=monitoring&fragment=1")
    assert page.status_code == 200
    return {"api": api, "html": page.text, "text": _text(page.text)}


def test_each_objective_shows_the_probability_the_api_gives(board: dict[str, Any]) -> None:
    litter = next(o for o in board["api"]["objectives"] if o["objective"] == "litter")
    assert litter["probability"] is not None
    assert f"P = {litter['probability']:.2f}" in board["text"]


def test_the_status_rule_is_stated_with_its_thresholds(board: dict[str, Any]) -> None:
    assert "on track when P ≥ 0.6, at risk from 0.3, off track below" in board["text"]


def test_each_forecast_shows_its_path_choice_and_basis(board: dict[str, Any]) -> None:
    litter = next(o for o in board["api"]["objectives"] if o["objective"] == "litter")
    assert "chosen: one-step error" in litter["path_choice"]
    assert " ".join(litter["path_choice"].split()) in board["text"]
    assert "since the start in 2022" in litter["forecast"]["basis"]
    assert litter["forecast"]["basis"] in board["text"]


def test_the_money_stopped_projects_released_is_shown(board: dict[str, Any]) -> None:
    released = board["api"]["released"]
    assert released["amount"] > 0
    shown = re.search(r'released-money">([\d,]+)</span> (\w+) released by 1 stopped project', board["html"])
    assert shown is not None
    assert int(shown[1].replace(",", "")) == round(released["amount"])
    assert shown[2] == released["currency"]
    assert "test:P003" in board["html"][board["html"].index("released-projects") :]


def test_the_health_summary_is_the_boards(board: dict[str, Any]) -> None:
    health = board["api"]["health"]
    assert health["before_mission"]["count"] == 1  # project 5 ended in 2021
    for name, value in (
        ("judged", health["judged"]),
        ("flagged", health["flagged"]),
        ("unmonitored", health["unmonitored"]),
        ("before", health["before_mission"]["count"]),
    ):
        assert f'class="health-{name}">{value}</span>' in board["html"], name


def test_the_quality_check_shows_new_and_relabelled_money_per_start_year(web: Web) -> None:
    check = web.client.get("/api/v1/missions/ocean/check", headers=web.token("viewer")).json()
    relabelling = check["relabelling"]
    assert relabelling["relabelled_projects"] > 0  # projects starting 2020 and 2021 predate the mission
    web.login("viewer")
    page = web.client.get("/missions/ocean/insights?part=quality&fragment=1").text
    assert f'relabel-projects">{relabelling["projects"]:,}</span>' in page
    assert f'relabel-relabelled">{relabelling["relabelled_projects"]:,}</span>' in page
    assert f'relabel-money">{relabelling["relabelled_money"]:,.0f}</span>' in page
    share = f"{relabelling['relabelled_project_share'] * 100:.0f} %"
    assert f'relabel-project-share">{share}</span>' in page
    rows = re.findall(
        r"<tr><td>(\d{4})</td><td class=\"num\">(\d+)</td><td class=\"num\">(\d+)</td>"
        r"<td class=\"num\">([\d,]+)</td><td class=\"num\">([\d,]+)</td></tr>",
        page,
    )
    expected = [
        (
            str(y["year"]),
            str(y["new_projects"]),
            str(y["relabelled_projects"]),
            f"{y['new_money']:,.0f}",
            f"{y['relabelled_money']:,.0f}",
        )
        for y in relabelling["by_start_year"]
    ]
    assert len(expected) >= 2  # several start years, before and after the mission's start
    assert rows == expected


@pytest.fixture
def two_missions(web: Web, tmp_path: Path) -> Web:
    mission_service.save_mission(
        web.workspace, parse_mission(LATE_YAML, "late.yaml"), user="test", origin="test"
    )
    with web.workspace.transaction() as session:
        session.add(
            LinkRow(
                project_id=PROJECT,
                taxonomy="mission:late-harbour",
                goal="noise",
                score=0.9,
                method="manual",
                status="accepted",
            )
        )
    path = tmp_path / "progress.csv"
    path.write_text(PROGRESS, encoding="utf-8")
    import_progress(web.workspace, path, user="test")
    return web


def _row(page: str, mission: str) -> str | None:
    found = re.search(rf'<tr id="health-{mission}">(.*?)</tr>', page, re.S)
    return _text(found[1]) if found else None


def test_the_project_page_judges_health_in_each_missions_own_time(two_missions: Web) -> None:
    two_missions.login("admin")
    page = two_missions.client.get(f"/projects/{PROJECT}").text
    ocean, late = _row(page, "ocean"), _row(page, "late-harbour")
    assert ocean is not None and late is not None
    assert "2022-01-01 to 2030-12-31" in ocean  # the mission's time
    assert "2023-01-01 to" in ocean  # the project's window in it
    assert "behind schedule" in ocean and "'Pilot at sea' due 2024-03-31" in ocean
    assert "2025-01-01 to 2032-12-31" in late
    assert "no flags" in late and "behind schedule" not in late


def test_the_project_page_shows_no_judgement_of_a_mission_the_user_may_not_see(two_missions: Web) -> None:
    two_missions.login("viewer")  # a role on 'ocean' only
    page = two_missions.client.get(f"/projects/{PROJECT}").text
    assert _row(page, "ocean") is not None
    assert "late-harbour" not in page

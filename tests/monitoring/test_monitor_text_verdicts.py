"""The board as text says what its JSON says: each objective's path choice with its evidence, the money
stopped projects released, and the health summary in the mission's time."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from missionboard.store.workspace import Workspace

Write = Callable[[str, str], Path]
PROGRESS = (
    "project,kind,name,date,planned,actual,unit,completed\n"
    "test:late,milestone,Pilot,2024-01-31,,,,\n"
    "test:old,kpi,Homes,2019-06-30,100,,homes,\n"
    "test:quiet,spend,total,2025-06-30,400000,100000,EUR,\n"
)


def _csv(indicator: str, values: dict[int, float]) -> str:
    return "indicator,year,value\n" + "".join(f"{indicator},{y},{v:.4f}\n" for y, v in values.items())


@pytest.fixture
def board(cli, add_mission, add_project, write: Write) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A mission begun in 2021: a project that ended before it, a late one (stopped), a quiet one."""
    ws = Workspace.open(f"sqlite:///{cli.workspace}", create=True)
    add_mission(ws, start="2021-01-01")
    add_project(
        ws, "old", start=dt.date(2016, 1, 1), end=dt.date(2019, 12, 31), links={"emissions": "accepted"}
    )
    add_project(ws, "late", budget=2_000_000, links={"emissions": "accepted", "renewables": "accepted"})
    add_project(ws, "quiet", budget=1_000_000, links={"renewables": "accepted"})
    ws.close()
    co2 = {y: 100 * 0.96 ** (y - 2015) + (0.3 if y % 2 else -0.3) for y in range(2015, 2025)}
    assert cli("indicators", "import", str(write("co2.csv", _csv("co2", co2)))).exit_code == 0
    assert cli("progress", "import", str(write("progress.csv", PROGRESS))).exit_code == 0
    stop = cli("decide", "test:late", "--decision", "stop", "--rationale", "late", "--by", "Board")
    assert stop.exit_code == 0, stop.stderr
    shown = cli("monitor", "clean-air", "--format", "json")
    assert shown.exit_code == 0, shown.stderr
    data: dict[str, Any] = json.loads(shown.stdout)
    text = cli("monitor", "clean-air")
    assert text.exit_code == 0, text.stderr
    data["text"] = " ".join(text.stdout.split())  # Rich wraps long lines; compare words
    return data


def test_the_text_names_each_objectives_path_choice(board: dict[str, Any]) -> None:
    choices = [o["path_choice"] for o in board["objectives"] if o["path_choice"]]
    assert choices
    for choice in choices:
        assert f"path: {' '.join(choice.split())}" in board["text"]


def test_the_text_says_how_much_the_stopped_projects_released(board: dict[str, Any]) -> None:
    released = board["released"]
    assert released["amount"] > 0
    assert f"Released {released['amount']:,.0f} EUR by 1 stopped project" in board["text"]
    for objective, amount in released["by_objective"].items():
        assert f"{objective} {amount:,.0f}" in board["text"]


def test_the_text_gives_the_health_summary_in_the_missions_time(board: dict[str, Any]) -> None:
    health = board["health"]
    assert health["before_mission"]["count"] == 1  # 'old' ended in 2019
    line = (
        f"Health in the mission's time: {health['judged']} judged, {health['flagged']} flagged, "
        f"{health['unmonitored']} unmonitored; 1 ended before the mission began (not judged)"
    )
    assert line in board["text"]

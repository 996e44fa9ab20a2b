"""Builders for small monitoring workspaces: a mission with objectives, projects, links, files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from missionboard.domain.missions import Mission
from missionboard.store.missions import MissionStore
from missionboard.store.tables import LinkRow, ProjectRow
from missionboard.store.workspace import Workspace


def mission_document(**overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": "clean-air",
        "title": "Clean air for every city",
        "challenge": "Air pollution",
        "statement": "Halve emissions and double the renewable share by 2030",
        "owner": "Agency",
        "deadline": "2030-12-31",
        "objectives": [
            {
                "id": "emissions",
                "title": "Cut CO2 emissions",
                "indicator": {"id": "co2", "name": "CO2 emissions", "unit": "Mt"},
                "baseline": {"value": 100.0, "year": 2015},
                "target": {"value": 50.0, "year": 2030},
                "weight": 1,
            },
            {
                "id": "renewables",
                "title": "More renewable energy",
                "indicator": {"id": "renewable-share", "name": "Renewable share", "unit": "%"},
                "baseline": {"value": 20.0, "year": 2015},
                "target": {"value": 50.0, "year": 2030},
                "weight": 1,
            },
        ],
    }
    document.update(overrides)
    return document


@pytest.fixture
def add_mission() -> Callable[..., Mission]:
    def add(workspace: Workspace, **overrides: Any) -> Mission:
        mission = Mission.model_validate(mission_document(**overrides))
        with workspace.transaction() as session:
            MissionStore(session).save(mission, author="test")
        return mission

    return add


@pytest.fixture
def add_project() -> Callable[..., int]:
    def add(
        workspace: Workspace,
        source_id: str,
        *,
        source: str = "test",
        budget: float | None = 1_000_000,
        currency: str = "EUR",
        start: dt.date | None = dt.date(2022, 1, 1),
        end: dt.date | None = dt.date(2026, 12, 31),
        links: dict[str, str] | None = None,
        mission: str = "clean-air",
    ) -> int:
        with workspace.transaction() as session:
            row = ProjectRow(
                source=source,
                source_id=source_id,
                title=f"Project {source_id}",
                budget_amount=Decimal(str(budget)) if budget is not None else None,
                budget_currency=currency if budget is not None else None,
                start=start,
                end=end,
                status="active",
                content_hash="0" * 64,
            )
            session.add(row)
            session.flush()
            for goal, status in (links or {}).items():
                session.add(
                    LinkRow(
                        project_id=row.id,
                        taxonomy=f"mission:{mission}",
                        goal=goal,
                        score=0.9,
                        method="manual",
                        status=status,
                    )
                )
            return int(row.id)

    return add


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    def write_file(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text.lstrip(), encoding="utf-8")
        return path

    return write_file


def series_csv(indicator: str, values: dict[int, float], **columns: str) -> str:
    extra = "".join(f",{k}" for k in columns)
    lines = [f"indicator,year,value{extra}"]
    for year, value in values.items():
        lines.append(f"{indicator},{year},{value}" + "".join(f",{v}" for v in columns.values()))
    return "\n".join(lines) + "\n"

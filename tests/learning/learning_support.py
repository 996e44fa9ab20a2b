"""Helpers shared by the learning tests (imported as a plain module: the test folders are not packages):
a small mission with two objectives, an outcome, four projects (three linked) and a decision."""

from __future__ import annotations

import datetime as dt

from missionboard.missionfile import parse_mission
from missionboard.services import missions as mission_service
from missionboard.store.tables import DecisionRow, LinkRow, ProjectRow
from missionboard.store.workspace import Workspace

OCEAN_YAML = """mission:
  id: ocean
  title: Plastic-free coastal waters
  challenge: Plastic pollution of coastal waters
  statement: By 2030 halve the plastic litter found on the beaches of the region.
  owner: Coastal agency
  start: 2022-01-01
  deadline: 2030-12-31
  currency: EUR
  objectives:
    - id: litter
      title: Halve beach litter
      indicator: {id: beach_litter, name: Litter items per 100 m of beach, unit: items}
      baseline: {value: 400, year: 2020}
      target: {value: 200, year: 2030}
    - id: recycling
      title: Recycle fishing gear
      indicator: {id: gear_recycling, name: Share of fishing gear recycled, unit: "%"}
      baseline: {value: 10, year: 2020}
      target: {value: 60, year: 2030}
  logic:
    outcomes:
      - id: collection
        title: Harbours collect old gear
        leads_to: [recycling]
"""


def seed_mission(ws: Workspace) -> None:
    """The ocean mission, projects P1..P4 (P1-P3 linked to it, accepted) and a decision on P1."""
    mission_service.save_mission(ws, parse_mission(OCEAN_YAML, "seed.yaml"), user="seed", origin="seed")
    with ws.transaction() as session:
        for i in range(1, 5):
            session.add(
                ProjectRow(
                    id=i,
                    source="test",
                    source_id=f"P{i}",
                    title=f"Project {i}",
                    budget_amount=1000 * i,
                    budget_currency="EUR",
                    start=dt.date(2023, 1, 1),
                    status="active",
                    content_hash=f"{i:064d}",
                )
            )
        session.flush()
        for i, goal in ((1, "litter"), (2, "recycling"), (3, "collection")):
            session.add(
                LinkRow(
                    project_id=i,
                    taxonomy="mission:ocean",
                    goal=goal,
                    score=0.9,
                    method="query",
                    status="accepted",
                )
            )
        session.add(
            DecisionRow(
                id=1,
                project_id=1,
                decision="continue",
                rationale="On track",
                by="owner",
                at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
            )
        )


def link_project(ws: Workspace, project_id: int, goal: str) -> None:
    with ws.transaction() as session:
        session.add(
            LinkRow(
                project_id=project_id,
                taxonomy="mission:ocean",
                goal=goal,
                score=0.9,
                method="query",
                status="accepted",
            )
        )

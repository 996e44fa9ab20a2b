"""A small mission with governance, measures and a logic, and a portfolio with co-funding by source,
conditions, disciplines and gender, imported from YAML and CSV; every figure of the structure and
funding-detail sections is worked out by hand in the tests.

Mission ``transit`` (currency EUR) has objectives ob1 (indicator ev_share), ob2 and ob3.
Exchange rate: SEK → EUR 0.1 in 2021.

| project | money                         | start | co-funding by source            | conditions      | disciplines | marker | lead   | links                          |
|---------|-------------------------------|-------|---------------------------------|-----------------|-------------|--------|--------|--------------------------------|
| P1      | budget 1000 EUR, public 600   | 2021  | private 300 (Volvo); eu 100     | repayable 50 %  | 2.2; 5.2    | 1      | female | ob1 accepted                   |
| P2      | budget 2000 SEK, public 2000  | 2021  | other_public 500 SEK (Region)   | access          | 5.4         | 0      | male   | ob2 accepted                   |
| P3      | budget 500 EUR                | 2022  | –                               | grant           | 2.1         | –      | –      | ob1 proposed 0.7, ob2 prop 0.3 |
| P4      | budget 100 EUR                | 2022  | private 50                      | equity          | 6.1         | 2      | female | ob3 rejected (not in portfolio)|

Portfolio: P1, P2 (200 EUR), P3 = 1700 EUR.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from missionboard.services.ingest import ingest_files
from missionboard.services.missions import import_missions
from missionboard.store.tables import ExchangeRateRow, LinkRow, ProjectRow
from missionboard.store.workspace import Workspace

MISSION_YAML = """\
mission:
  id: transit
  title: Clean transport in every region
  challenge: Transport emissions
  statement: By 2035 every bus, bike trip and delivery in the country is emission-free.
  owner: Ministry of Transport
  currency: EUR
  objectives:
    - id: ob1
      title: Zero-emission buses
      indicator: {id: ev_share, name: Share of electric buses, unit: "%"}
    - id: ob2
      title: More cycling
    - id: ob3
      title: Clean freight
  governance:
    - {body: Ministry of Transport, level: national, role: owner, objectives: [ob1, ob2]}
    - {body: Region North, level: regional, role: co-owner, objectives: [ob2]}
    - {body: City of Lund, level: local, role: contributor, objectives: [ob3]}
    - {body: European Commission, level: eu, role: funder}
  measures:
    - id: m-procure
      title: Zero-emission criteria in bus tenders
      kind: public_procurement
      owner: Ministry of Transport
      level: national
      start: 2021-01-01
      objectives: [bus-fleets]
      budget: {amount: 1000, currency: EUR}
    - id: m-standard
      title: Bike lane design standard
      kind: standard
      owner: Region North
      level: regional
      start: 2021-01-01
      objectives: [ob2]
      budget: {amount: 500, currency: SEK}
  logic:
    outcomes:
      - id: bus-fleets
        title: Operators renew their fleets with electric buses
        leads_to: [ob1]
        indicator: {id: fleet_share, name: Electric share of new buses, unit: "%"}
      - id: bike-lanes
        title: Towns build safe bike lanes
        leads_to: [ob2]
      - id: depots
        title: Logistics depots go electric
        leads_to: [ob3]
    assumptions:
      - id: a1
        text: Operators can finance electric buses
        about: [bus-fleets]
        status: failing
        evidence: 2024 operator survey
      - id: a2
        text: Towns have land for bike lanes
        about: [bike-lanes]
"""

HEADER = ["id", "title", "budget", "public_funding", "currency", "start", "cofunding_sources", "conditions",
          "discipline", "gender_marker", "lead_gender"]  # fmt: skip
ROWS = [
    ["P1", "Electric bus depot charging", "1000", "600", "EUR", "2021-01-01",
     "private 300 (Volvo); eu 100", "repayable 50%: repaid from sales", "2.2; 5.2", "1", "female"],
    ["P2", "Bike lane design", "2000", "2000", "SEK", "2021-06-01",
     "other_public 500 (Region North)", "access: open licence", "5.4", "0", "male"],
    ["P3", "Bus and bike mobility hub", "500", "", "EUR", "2022-01-01", "", "grant", "2.1", "", ""],
    ["P4", "Freight study", "100", "", "EUR", "2022-01-01", "private 50", "equity", "6.1", "2", "female"],
]  # fmt: skip

LINKS = [
    # project, goal, score, status
    ("P1", "ob1", 0.9, "accepted"),
    ("P2", "ob2", 0.9, "accepted"),
    ("P3", "ob1", 0.7, "proposed"),
    ("P3", "ob2", 0.3, "proposed"),
    ("P4", "ob3", 0.9, "rejected"),
]


def build_structure(ws: Workspace, folder: Path) -> Workspace:
    folder.mkdir(parents=True, exist_ok=True)
    mission = folder / "transit.yaml"
    mission.write_text(MISSION_YAML, encoding="utf-8")
    import_missions(ws, [mission], user="test")
    projects = folder / "projects.csv"
    with projects.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(ROWS)
    ingest_files(ws, "csv", [projects], source="csv")
    with ws.transaction() as session:
        session.add(ExchangeRateRow(currency="SEK", reporting_currency="EUR", year=2021, rate=0.1))
        ids = {
            source_id: id_ for source_id, id_ in session.execute(select(ProjectRow.source_id, ProjectRow.id))
        }
        for project, goal, score, status in LINKS:
            session.add(
                LinkRow(
                    project_id=ids[project],
                    taxonomy="mission:transit",
                    goal=goal,
                    score=score,
                    method="manual",
                    status=status,
                )
            )
    return ws


@contextmanager
def structure_workspace(request: pytest.FixtureRequest, folder: Path) -> Iterator[Workspace]:
    """The portfolio above on SQLite (``request.param == "sqlite"``) or in a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        url, drop, admin = f"sqlite:///{folder / 'workspace.db'}", None, None
    else:
        server = request.getfixturevalue("postgres_server")
        schema = f"mb_test_{uuid.uuid4().hex[:12]}"
        admin = create_engine(server)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in server else "?"
        url, drop = f"{server}{sep}options=-csearch_path%3D{schema}", schema
    ws = build_structure(Workspace.open(url, create=True), folder)
    try:
        yield ws
    finally:
        ws.close()
        if admin is not None:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{drop}" CASCADE'))
            admin.dispose()


def rows_by(table: dict[str, Any], key: str) -> dict[str, dict[str, Any]]:
    """A table's rows by the value of one column."""
    return {str(row[key]): row for row in table["rows"]}

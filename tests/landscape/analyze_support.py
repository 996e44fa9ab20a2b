"""Helpers of the ``landscape analyze`` tests (imported as a plain module: the test folders are not packages).

The landscape is real: the hundred Horizon Europe projects of ``../shared/data/cordis`` (title, start
year, participants, their countries, EuroSciVoc fields, EU contribution), labelled with the goals of the
``cleantech`` mission by the query classifier (what ``missionboard classify --method query`` prints),
written as ``landscape map`` writes its output: Parquet part files, one of them nested, a manifest, and
staged input under ``_staging`` that readers of the output must skip. The workspace holds the same
projects (ingested from the same files) and a portfolio of three of them.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select

from missionboard.missionfile import parse_mission
from missionboard.services import missions as mission_service
from missionboard.services.ingest import ingest_files
from missionboard.services.mapping import make_mapper
from missionboard.store.tables import LinkRow, ProjectRow
from missionboard.store.workspace import Workspace

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
MISSION = "cleantech"
TAXONOMY = f"mission:{MISSION}"
MISSION_YAML = """mission:
  id: cleantech
  title: Clean and healthy industry
  challenge: Industry emits and people fall ill
  statement: By 2030 halve the emissions of European industry and its harm to health.
  owner: Innovation agency
  deadline: 2030-12-31
  objectives:
    - id: decarbonise
      title: Decarbonise industry
      queries: ['hydrogen OR decarboni* OR "carbon dioxide" OR CO2 OR climate OR renewable']
    - id: health
      title: Healthier lives
      queries: ['cancer OR health OR fertil* OR disease OR surgical OR drug']
    - id: quiet
      title: Quieter factories
      queries: ['"noise abatement"']
  logic:
    outcomes:
      - id: ecosystems
        title: Innovation ecosystems that carry clean technology
        leads_to: [decarbonise]
        queries: ['ecosystem*']
"""
PORTFOLIO = ("101113277", "101071876", "101114020")
"""CORDIS projects linked (accepted) to the mission: two on decarbonise, one on health."""
PORTFOLIO_GOALS = {"101113277": "decarbonise", "101071876": "ecosystems", "101114020": "health"}

LABEL = pa.struct([("goal", pa.string()), ("score", pa.float64()), ("evidence", pa.string())])
SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("labels", pa.list_(LABEL)),
        ("source", pa.string()),
        ("title", pa.string()),
        ("year", pa.int32()),
        ("organisations", pa.list_(pa.string())),
        ("countries", pa.list_(pa.string())),
        ("fields", pa.list_(pa.string())),
        ("amount_eur", pa.float64()),
    ]
)
"""The contract of ``landscape map --output``."""


def save_mission(ws: Workspace) -> None:
    mission_service.save_mission(
        ws, parse_mission(MISSION_YAML, "cleantech.yaml"), user="test", origin="test"
    )


def seed_portfolio(ws: Workspace, cordis: Path) -> None:
    """The CORDIS projects with their participants, the mission, and its portfolio of three projects."""
    ingest_files(ws, "cordis", sorted(cordis.glob("*.csv")), source="cordis")
    save_mission(ws)
    with ws.transaction() as session:
        ids = dict(
            session.execute(
                select(ProjectRow.source_id, ProjectRow.id).where(ProjectRow.source_id.in_(PORTFOLIO))
            ).all()
        )
        for source_id, goal in PORTFOLIO_GOALS.items():
            session.add(
                LinkRow(
                    project_id=ids[source_id],
                    taxonomy=TAXONOMY,
                    goal=goal,
                    score=0.9,
                    method="manual",
                    status="accepted",
                    evidence={},
                    created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                )
            )


def cordis_records(cordis: Path, ws: Workspace) -> list[dict[str, Any]]:
    """The CORDIS sample as landscape records, labelled by the query classifier with the mission's goals
    (``ws`` holds the mission)."""
    projects = list(_rows(cordis / "horizon-europe-project-sample100.csv"))
    organisations: dict[str, list[str]] = defaultdict(list)
    countries: dict[str, list[str]] = defaultdict(list)
    for row in _rows(cordis / "horizon-europe-organization-sample100.csv"):
        organisations[row["projectID"]].append(row["name"])
        countries[row["projectID"]].append(row["country"])
    fields: dict[str, list[str]] = defaultdict(list)
    for row in _rows(cordis / "horizon-europe-euroSciVoc-sample100.csv"):
        fields[row["projectID"]].append(row["euroSciVocPath"].split("/")[1])
    mapper = make_mapper(TAXONOMY, method="query", workspace=ws)
    labels = mapper.classify([f"{p['title']}. {p['objective']}" for p in projects])
    return [
        {
            "id": f"cordis:{p['id']}",
            "labels": [
                {"goal": label.goal, "score": label.score, "evidence": json.dumps(label.evidence)}
                for label in found
            ],
            "source": "cordis",
            "title": p["title"],
            "year": int(p["startDate"][:4]) if p["startDate"] else None,
            "organisations": organisations[p["id"]],
            "countries": countries[p["id"]],
            "fields": fields[p["id"]],
            "amount_eur": float(p["ecMaxContribution"].replace(",", ".")) if p["ecMaxContribution"] else None,
        }
        for p, found in zip(projects, labels, strict=True)
    ]


def portfolio_organisations(cordis: Path) -> list[str]:
    """The names of the participants of the portfolio's projects, as CORDIS spells them."""
    return [
        row["name"]
        for row in _rows(cordis / "horizon-europe-organization-sample100.csv")
        if row["projectID"] in PORTFOLIO
    ]


def write_output(folder: Path, records: list[dict[str, Any]], *, taxonomy: str = TAXONOMY) -> Path:
    """``records`` as ``landscape map`` writes them: two part files (one nested), a manifest, and staged
    input under ``_staging`` (the first records again, unlabelled: never to be counted)."""
    half = len(records) // 2
    write_parquet(folder / "part-00000.parquet", records[:half])
    write_parquet(folder / "chunks" / "2025" / "part-00001.parquet", records[half:])
    staged = [{**r, "labels": [{"goal": "decarbonise", "score": 1.0, "evidence": "{}"}]} for r in records[:5]]
    write_parquet(folder / "_staging" / "chunk-00000.parquet", staged)
    (folder / "_manifest.json").write_text(json.dumps({"taxonomy": taxonomy, "chunks": 2}), encoding="utf-8")
    return folder


def write_parquet(path: Path, records: Iterable[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(list(records), schema=SCHEMA), path)
    return path


def record(ident: str, *labels: tuple[str, float], **values: Any) -> dict[str, Any]:
    """A landscape record with ``labels`` as (goal, score) and the other columns empty unless given."""
    return {
        "id": ident,
        "labels": [{"goal": goal, "score": score, "evidence": "{}"} for goal, score in labels],
        "source": values.get("source", "test"),
        "title": values.get("title", ident),
        "year": values.get("year"),
        "organisations": values.get("organisations", []),
        "countries": values.get("countries", []),
        "fields": values.get("fields", []),
        "amount_eur": values.get("amount_eur"),
    }


def _rows(path: Path) -> Iterable[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)

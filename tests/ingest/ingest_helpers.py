"""Helpers shared by the ingest tests: small fixture files and a whole-workspace snapshot."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sqlalchemy import select

from missionboard.store import tables as t
from missionboard.store.workspace import Workspace

SNAPSHOT_TABLES = [
    t.ProjectRow,
    t.ActorRow,
    t.ActorIdentifierRow,
    t.ActorAliasRow,
    t.ParticipationRow,
    t.ImportRunRow,
    t.AuditEventRow,
    t.ExchangeRateRow,
]

PROJECT_HEADER = [
    "id", "title", "abstract", "funder", "programme", "instrument", "funding_scheme", "budget", "currency",
    "public_funding", "co_funding", "start", "end", "status", "trl", "country", "region", "sectors",
]  # fmt: skip
PARTNER_HEADER = [
    "project_id",
    "organisation",
    "organisation_id",
    "type",
    "role",
    "share",
    "country",
    "level",
]

PROJECTS = [
    ["H2-1", "Hydrogen valleys", "Green hydrogen for fossil-free steel", "Energy Agency", "Fossil free industry",
     "rd_grant", "open call", "1000000", "SEK", "800000", "200000", "2023-01-01", "2025-12-31", "active", "5",
     "SE", "SE33", "energy;industry"],
    ["GRID-2", "Smart grids for cities", "Demand response pilots", "Energy Agency", "Grids", "public_procurement",
     "", "500000.50", "SEK", "", "", "2022-03-01", "2024-02-28", "completed", "7", "SE;FI", "", "energy"],
    ["PRIZE-3", "Zero-waste challenge", "", "Innovation Agency", "Circular", "challenge_prize", "", "250000",
     "EUR", "250000", "", "2024-05-01", "", "planned", "", "DK", "", ""],
]  # fmt: skip
PARTNERS = [
    ["H2-1", "KTH Royal Institute of Technology", "SE-ORG-2021006977", "research", "coordinator", "0.5", "SE",
     "national"],
    ["H2-1", "SSAB AB", "", "industry", "partner", "0.5", "SE", "national"],
    ["GRID-2", "Vattenfall", "", "industry", "implementer", "1", "SE", "national"],
]  # fmt: skip


def write_csv(path: Path, header: list[str], rows: list[list[str]], *, delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def portfolio_files(folder: Path, rows: list[list[str]] | None = None) -> tuple[Path, Path]:
    projects = write_csv(folder / "projects.csv", PROJECT_HEADER, rows if rows is not None else PROJECTS)
    partners = write_csv(folder / "partners.csv", PARTNER_HEADER, PARTNERS)
    return projects, partners


def with_field(row_index: int, column: str, value: str) -> list[list[str]]:
    """The sample projects with one cell changed."""
    rows = [list(r) for r in PROJECTS]
    rows[row_index][PROJECT_HEADER.index(column)] = value
    return rows


def snapshot(workspace: Workspace) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every portfolio table, for before/after comparisons."""
    result: dict[str, list[tuple[Any, ...]]] = {}
    with workspace.reading() as session:
        for row in SNAPSHOT_TABLES:
            table = row.__table__
            rows = session.execute(select(table).order_by(*table.primary_key.columns)).all()
            result[table.name] = [tuple(str(v) for v in r) for r in rows]
    return result


def scalar_rows(workspace: Workspace, statement: Any) -> list[Any]:
    with workspace.reading() as session:
        return list(session.execute(statement).all())

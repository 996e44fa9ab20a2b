"""Stage-gates: scheduled per project at award, never edited (a pivot adds new gates)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionboard.store.monitoring_tables import GateRow
from missionboard.store.progress import ProjectRecord, chunked, project_record
from missionboard.store.tables import ProjectRow


@dataclass(frozen=True)
class GateRecord:
    id: int
    project_id: int
    name: str
    due: dt.date
    criteria: list[Any]
    evidence: list[Any]
    set_by: str
    set_at: dt.datetime


def _gate(row: GateRow) -> GateRecord:
    return GateRecord(
        row.id, row.project_id, row.name, row.due, row.criteria, row.evidence, row.set_by, row.set_at
    )


class GateStore:
    """Reads and writes gates inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def named(self, project_id: int, name: str) -> GateRecord | None:
        """The project's gate of that name."""
        row = self.session.scalars(
            select(GateRow).where(GateRow.project_id == project_id, GateRow.name == name)
        ).one_or_none()
        return _gate(row) if row is not None else None

    def taken(self, project_id: int, name: str) -> bool:
        """Whether the project already has a gate of that name."""
        found = self.session.scalar(
            select(GateRow.id).where(GateRow.project_id == project_id, GateRow.name == name)
        )
        return found is not None

    def add(
        self,
        project_id: int,
        name: str,
        due: dt.date,
        criteria: list[str],
        evidence: list[str],
        *,
        set_by: str,
        set_at: dt.datetime,
    ) -> int:
        """Schedule a gate; returns its id."""
        row = GateRow(
            project_id=project_id,
            name=name,
            due=due,
            criteria=criteria,
            evidence=evidence,
            set_by=set_by,
            set_at=set_at,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def of_projects(self, project_ids: Collection[int]) -> list[tuple[GateRecord, ProjectRecord]]:
        """The gates of ``project_ids`` with their projects, by slices of ids."""
        gates: list[tuple[GateRecord, ProjectRecord]] = []
        for chunk in chunked(sorted(project_ids)):
            for g, p in self.session.execute(
                select(GateRow, ProjectRow)
                .join(ProjectRow, ProjectRow.id == GateRow.project_id)
                .where(GateRow.project_id.in_(chunk))
            ):
                gates.append((_gate(g), project_record(p)))
        return gates

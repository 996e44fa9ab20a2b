"""Projects as monitoring reads them: their progress reports (milestones, KPIs, spend), the project
fields the health rules and decisions need, the missions whose portfolio holds them, and the few
writes a decision or an appeal makes to a project.

Large portfolios are read by column (no ORM objects, no JSON columns) and by slices of ids short enough
for one IN-list each (``IN_CHUNK``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from missionboard.domain.mapping import MISSION_PREFIX
from missionboard.domain.missions import Mission
from missionboard.store.monitoring_tables import ProgressRow
from missionboard.store.portfolio_scope import counts, portfolio_links, portfolio_project_ids
from missionboard.store.tables import LinkRow, ProjectRow

T = TypeVar("T")

IN_CHUNK = 5000
"""Ids per IN-list: far below SQLite's and PostgreSQL's bound-parameter limits."""

ProjectIds = Select[Any]
"""A query of project ids (such as a mission's links) that reads can be run against in one statement."""


def chunked(values: Sequence[T], size: int | None = None) -> Iterator[list[T]]:
    """``values`` in slices short enough for one IN-list each (``IN_CHUNK`` unless ``size`` is given)."""
    size = size or IN_CHUNK
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


@dataclass(frozen=True)
class ProjectRecord:
    """The fields of a project that monitoring, gates and decisions read."""

    id: int
    source: str
    source_id: str
    title: str
    status: str
    start: dt.date | None
    end: dt.date | None
    budget_amount: Decimal | None
    budget_currency: str | None
    public_amount: Decimal | None
    public_currency: str | None


def project_record(row: ProjectRow) -> ProjectRecord:
    return ProjectRecord(
        id=row.id,
        source=row.source,
        source_id=row.source_id,
        title=row.title,
        status=row.status,
        start=row.start,
        end=row.end,
        budget_amount=row.budget_amount,
        budget_currency=row.budget_currency,
        public_amount=row.public_amount,
        public_currency=row.public_currency,
    )


@dataclass(frozen=True)
class ProjectKey:
    """What a progress import needs of a project it names."""

    id: int
    source: str
    source_id: str
    budget_currency: str | None


@dataclass(frozen=True)
class ProjectBasics:
    """The project fields the health rules and the board read, loaded by column: reading whole
    project rows would parse their JSON columns (titles, raw, …) for nothing."""

    id: int
    source: str
    source_id: str
    title: str
    start: dt.date | None
    end: dt.date | None
    budget_amount: Decimal | None
    budget_currency: str | None
    public_amount: Decimal | None
    public_currency: str | None


BASICS_COLUMNS = (
    ProjectRow.id,
    ProjectRow.source,
    ProjectRow.source_id,
    ProjectRow.title,
    ProjectRow.start,
    ProjectRow.end,
    ProjectRow.budget_amount,
    ProjectRow.budget_currency,
    ProjectRow.public_amount,
    ProjectRow.public_currency,
)
"""The columns of :class:`ProjectBasics`, in its field order."""


@dataclass(frozen=True)
class Report:
    """One progress report line as the health rules need it (read by column, not as an ORM object)."""

    kind: str
    name: str
    date: dt.date
    planned: float | None
    actual: float | None
    unit: str | None
    completed: dt.date | None


REPORT_COLUMNS = (
    ProgressRow.project_id,
    ProgressRow.kind,
    ProgressRow.name,
    ProgressRow.date,
    ProgressRow.planned,
    ProgressRow.actual,
    ProgressRow.unit,
    ProgressRow.completed,
)


@dataclass(frozen=True)
class StoredLine:
    """A progress report line as stored, for an import to compare a new line with."""

    id: int
    project_id: int
    kind: str
    name: str
    date: dt.date
    planned: float | None
    actual: float | None
    unit: str | None
    completed: dt.date | None
    note: str | None


@dataclass(frozen=True)
class MissionLink:
    """A link of a project to a mission objective that counts under the portfolio rule."""

    taxonomy: str
    goal: str
    status: str
    score: float


class ProgressStore:
    """Reads and writes projects' progress inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        # rows read here and written later in the transaction: the session holds them weakly only
        self._lines: dict[int, ProgressRow] = {}
        self._projects: dict[int, ProjectRow] = {}

    def _project(self, row: ProjectRow | None) -> ProjectRecord | None:
        if row is None:
            return None
        self._projects[row.id] = row
        return project_record(row)

    # --- projects ------------------------------------------------------------------------------

    def project(self, project_id: int) -> ProjectRecord | None:
        return self._project(self.session.get(ProjectRow, project_id))

    def project_by_source(self, source: str, source_id: str) -> ProjectRecord | None:
        row = self.session.scalars(
            select(ProjectRow).where(ProjectRow.source == source, ProjectRow.source_id == source_id)
        ).one_or_none()
        return self._project(row)

    def project_keys(self, project_ids: Sequence[int]) -> Iterator[ProjectKey]:
        """The keys of those of ``project_ids`` that exist, by slices of ids."""
        columns = (ProjectRow.id, ProjectRow.source, ProjectRow.source_id, ProjectRow.budget_currency)
        for chunk in chunked(project_ids):
            for row in self.session.execute(select(*columns).where(ProjectRow.id.in_(chunk))):
                yield ProjectKey(row.id, row.source, row.source_id, row.budget_currency)

    def project_keys_of_source(self, source: str, source_ids: Sequence[str]) -> Iterator[ProjectKey]:
        """The keys of the projects of ``source`` with one of ``source_ids``, by slices of ids."""
        columns = (ProjectRow.id, ProjectRow.source, ProjectRow.source_id, ProjectRow.budget_currency)
        for ids in chunked(source_ids):
            query = select(*columns).where(ProjectRow.source == source, ProjectRow.source_id.in_(ids))
            for row in self.session.execute(query):
                yield ProjectKey(row.id, row.source, row.source_id, row.budget_currency)

    def lock_project(self, project_id: int, *, refresh: bool = False) -> ProjectRecord:
        """The project again, locked until the transaction ends (PostgreSQL; SQLite's write transaction
        already holds the whole database); ``refresh`` reads it afresh over what the session holds."""
        query = select(ProjectRow).where(ProjectRow.id == project_id).with_for_update()
        if refresh:
            query = query.execution_options(populate_existing=True)
        row = self.session.scalars(query).one()
        self._projects[row.id] = row
        return project_record(row)

    def update_project(self, project_id: int, **changes: Any) -> ProjectRecord:
        """Set some of the project's ``status``, ``end``, ``budget_amount`` and ``budget_currency``."""
        row = self._projects.get(project_id) or self.session.get(ProjectRow, project_id)
        assert row is not None
        for name, value in changes.items():
            setattr(row, name, value)
        return project_record(row)

    # --- portfolio -----------------------------------------------------------------------------

    def portfolio_lines(self, mission: Mission) -> Iterable[Sequence[Any]]:
        """Per link of the mission's portfolio, by project id: ``(goal, link status, cofunding amount,
        cofunding currency, *BASICS_COLUMNS)``, in one query by column."""
        links = portfolio_links(mission).subquery()
        return self.session.execute(
            select(
                links.c.goal,
                links.c.status,
                ProjectRow.cofunding_amount,
                ProjectRow.cofunding_currency,
                *BASICS_COLUMNS,
            )
            .join(ProjectRow, ProjectRow.id == links.c.project_id)
            .order_by(ProjectRow.id)
        )

    def portfolio_ids(self, mission: Mission) -> set[int]:
        """The projects in the mission's portfolio (``domain.portfolio_rule``)."""
        return set(self.session.scalars(portfolio_project_ids(mission)))

    def mission_links(self, project_id: int) -> list[MissionLink]:
        """The project's links to mission objectives that count, by taxonomy and goal."""
        return [
            MissionLink(link.taxonomy, link.goal, link.status, link.score)
            for link in self.session.scalars(
                select(LinkRow)
                .where(
                    LinkRow.project_id == project_id,
                    LinkRow.taxonomy.startswith(MISSION_PREFIX),
                    counts(),  # the portfolio rule (domain.portfolio_rule)
                )
                .order_by(LinkRow.taxonomy, LinkRow.goal)
            )
        ]

    def mission_taxonomies(self, project_id: int) -> list[str]:
        """The mission taxonomies the project is linked to under the portfolio rule, sorted."""
        return list(
            self.session.scalars(
                select(LinkRow.taxonomy)
                .where(
                    LinkRow.project_id == project_id, LinkRow.taxonomy.startswith(MISSION_PREFIX), counts()
                )
                .distinct()
                .order_by(LinkRow.taxonomy)
            )
        )

    # --- progress reports ----------------------------------------------------------------------

    def reports(
        self, project_ids: Collection[int], *, among: ProjectIds | None = None
    ) -> dict[int, list[Report]]:
        """Each project's progress reports in the order they were stored.

        With ``among`` (a query of project ids holding every one of ``project_ids``, such as a mission's
        links) the reports are read in one query against it; otherwise by slices of ids.
        """
        wanted = set(project_ids)
        out: dict[int, list[Report]] = defaultdict(list)
        if not wanted:
            return out
        if among is not None:
            queries = [select(*REPORT_COLUMNS).where(ProgressRow.project_id.in_(among))]
        else:
            queries = [
                select(*REPORT_COLUMNS).where(ProgressRow.project_id.in_(chunk))
                for chunk in chunked(sorted(wanted))
            ]
        for query in queries:
            for r in self.session.execute(query.order_by(ProgressRow.id)):
                if r.project_id in wanted:
                    out[r.project_id].append(
                        Report(r.kind, r.name, r.date, r.planned, r.actual, r.unit, r.completed)
                    )
        return out

    def spend_reports(
        self, project_id: int, day: dt.date
    ) -> list[tuple[str, dt.date, float | None, str | None]]:
        """``(line, date, actual, unit)`` of the project's spend reports dated on or before ``day``."""
        return [
            (name, date, actual, unit)
            for name, date, actual, unit in self.session.execute(
                select(ProgressRow.name, ProgressRow.date, ProgressRow.actual, ProgressRow.unit).where(
                    ProgressRow.project_id == project_id,
                    ProgressRow.kind == "spend",
                    ProgressRow.date <= day,
                    ProgressRow.actual.is_not(None),
                )
            )
        ]

    def stored_lines(self, project_ids: Sequence[int]) -> Iterator[StoredLine]:
        """Every stored report line of ``project_ids``, by slices of ids."""
        for chunk in chunked(project_ids):
            for row in self.session.scalars(select(ProgressRow).where(ProgressRow.project_id.in_(chunk))):
                self._lines[row.id] = row
                yield StoredLine(
                    row.id,
                    row.project_id,
                    row.kind,
                    row.name,
                    row.date,
                    row.planned,
                    row.actual,
                    row.unit,
                    row.completed,
                    row.note,
                )

    def add_line(self, project_id: int, kind: str, name: str, *, import_run_id: int, **values: Any) -> None:
        """A new report line (``values``: date, planned, actual, unit, completed, note)."""
        self.session.add(
            ProgressRow(project_id=project_id, kind=kind, name=name, import_run_id=import_run_id, **values)
        )

    def update_line(
        self, line_id: int, values: dict[str, Any], *, import_run_id: int, recorded_at: dt.datetime
    ) -> None:
        """New values for a line read by :meth:`stored_lines`."""
        row = self._lines.get(line_id) or self.session.get(ProgressRow, line_id)
        assert row is not None
        for name, value in values.items():
            setattr(row, name, value)
        row.import_run_id = import_run_id
        row.recorded_at = recorded_at

"""What the mission quality check reads of a mission's portfolio, grouped in the database.

A mission may link hundreds of thousands of projects; they share a few thousand (instrument, funder,
programme, sectors) combinations and a few dozen (start year, currency) groups, so these reads return
groups, never projects. Which projects count is the one rule of ``store.portfolio_scope``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, case, cast, extract, func, select
from sqlalchemy.orm import Session

from missionboard.domain.mapping import mission_taxonomy
from missionboard.domain.missions import Mission
from missionboard.domain.portfolio_rule import ProjectMoney
from missionboard.store import tables as t
from missionboard.store.portfolio_scope import counts, portfolio_project_ids


@dataclass(frozen=True)
class ProjectGroup:
    """Portfolio projects sharing an instrument, funder, programme and sector list."""

    instrument: str | None
    funder: str | None
    programme: str | None
    sectors: tuple[str, ...]
    projects: int


@dataclass(frozen=True)
class StartYearGroup:
    """Portfolio projects sharing a start year, a side of the split date and their currencies, with
    their money summed: (budget, currency) when they state a budget, else (public, currency,
    co-funding, currency)."""

    year: int | None
    before_split: bool
    projects: int
    money: ProjectMoney


@dataclass(frozen=True)
class IndicatorSource:
    unit: str
    source: str | None


class MissionPortfolioStore:
    """Grouped reads of one mission's portfolio, inside the caller's session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def project_groups(self, mission: Mission) -> list[ProjectGroup]:
        linked = portfolio_project_ids(mission).subquery()
        p = t.ProjectRow
        sectors_text = cast(p.sectors, Text)
        rows = self.session.execute(
            select(p.instrument, p.funder, p.programme, sectors_text, func.count())
            .where(p.id.in_(select(linked.c.project_id)))
            .group_by(p.instrument, p.funder, p.programme, sectors_text)
        ).all()
        return [
            ProjectGroup(instrument, funder, programme, tuple(json.loads(sectors) if sectors else ()), n)
            for instrument, funder, programme, sectors, n in rows
        ]

    def participants_by_helix(self, mission: Mission) -> dict[str | None, int]:
        """Participations other than funding, per helix of the actor (None where it is not known)."""
        linked = portfolio_project_ids(mission).subquery()
        rows = self.session.execute(
            select(t.ActorRow.helix, func.count())
            .join(t.ParticipationRow, t.ParticipationRow.actor_id == t.ActorRow.id)
            .where(t.ParticipationRow.project_id.in_(select(linked.c.project_id)))
            .where(t.ParticipationRow.role != "funder")
            .group_by(t.ActorRow.helix)
        ).all()
        return {helix: n for helix, n in rows}

    def projects_by_discipline(self, mission: Mission) -> dict[str, int]:
        """Portfolio projects per discipline they state (a project with several counts once for each)."""
        linked = portfolio_project_ids(mission).subquery()
        d = t.ProjectDisciplineRow
        rows = self.session.execute(
            select(d.discipline, func.count(func.distinct(d.project_id)))
            .where(d.project_id.in_(select(linked.c.project_id)))
            .group_by(d.discipline)
        ).all()
        return {discipline: n for discipline, n in rows}

    def linked_by_goal(self, mission: Mission) -> dict[str, int]:
        """Projects linked, by a link that counts, to each objective or outcome itself."""
        link = t.LinkRow
        rows = self.session.execute(
            select(link.goal, func.count(func.distinct(link.project_id)))
            .where(
                link.taxonomy == mission_taxonomy(mission.id),
                link.goal.in_(mission.pathway_targets()),
                counts(),
            )
            .group_by(link.goal)
        ).all()
        return {goal: int(n) for goal, n in rows}

    def start_year_groups(self, mission: Mission, split: dt.date) -> list[StartYearGroup]:
        """Projects with a budget first, then those without (public funding plus co-funding)."""
        linked = portfolio_project_ids(mission).subquery()
        p = t.ProjectRow
        year = extract("year", p.start)
        before = case((p.start < split, 1), else_=0)
        in_portfolio = p.id.in_(select(linked.c.project_id))
        with_budget = self.session.execute(
            select(year, before, func.count(), func.sum(p.budget_amount), p.budget_currency)
            .where(in_portfolio, p.budget_amount.is_not(None))
            .group_by(year, before, p.budget_currency)
        ).all()
        without = self.session.execute(
            select(
                year,
                before,
                func.count(),
                func.sum(p.public_amount),
                p.public_currency,
                func.sum(p.cofunding_amount),
                p.cofunding_currency,
            )
            .where(in_portfolio, p.budget_amount.is_(None))
            .group_by(year, before, p.public_currency, p.cofunding_currency)
        ).all()
        return [
            StartYearGroup(None if y is None else int(y), bool(relabelled), n, _money(stated))
            for y, relabelled, n, *stated in [*with_budget, *without]
        ]

    def indicator_source(self, indicator_id: str) -> IndicatorSource | None:
        """The unit and source the workspace records for an indicator, if it knows it."""
        row = self.session.get(t.IndicatorRow, indicator_id)
        return None if row is None else IndicatorSource(row.unit, row.source)


def _money(sums: Sequence[Any]) -> ProjectMoney:
    """A group's money: (budget, currency) or (public, currency, co-funding, currency)."""
    amounts = [float(v) if v is not None else None for v in sums[0::2]]
    currencies = [str(v) if v is not None else None for v in sums[1::2]]
    if len(amounts) == 1:
        return ProjectMoney(amounts[0], currencies[0])
    return ProjectMoney(None, None, amounts[0], currencies[0], amounts[1], currencies[1])

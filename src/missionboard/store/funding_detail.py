"""Grouped reads of a mission's portfolio for the structure and funding-detail sections of an analysis:
money of the projects linked to some of its objectives or outcomes, co-funding by source, conditions,
disciplines and the gender dimension.

Like ``store.mission_portfolio`` these reads return groups (a key, a start year and the currencies
stated), never projects; which projects count is the one rule of ``store.portfolio_scope``. The caller
converts each group's summed money with ``domain.portfolio_rule.convert_money``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Integer,
    Select,
    SQLColumnExpression,
    String,
    Table,
    case,
    cast,
    extract,
    func,
    literal,
    null,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import CompoundSelect, Subquery
from sqlalchemy.sql.elements import ColumnElement

from missionboard.domain.mapping import mission_taxonomy
from missionboard.domain.missions import Mission
from missionboard.domain.portfolio import ConditionKind
from missionboard.domain.portfolio_rule import DEFAULT_RULE, PortfolioRule, ProjectMoney
from missionboard.store import tables as t
from missionboard.store.portfolio_scope import MONEY_COLUMNS, counts, held_rows, linked_project_ids

ANY_CONDITION = "(any)"
"""The key of the group of projects with any condition other than a plain grant."""

_PROJECTS = t.ProjectRow.__table__.c
HELD_COLUMNS = [
    Column("project_id", Integer),
    Column("year", Integer),
    *(Column(c.name, c.type) for c in (_PROJECTS[m.key] for m in MONEY_COLUMNS)),
    Column("gender_marker", _PROJECTS.gender_marker.type),
    Column("lead_gender", _PROJECTS.lead_gender.type),
]
"""What ``FundingDetailStore.holding`` keeps of each portfolio project: its id, start year, money
(``portfolio_scope.MONEY_COLUMNS``) and the keys of ``gender_money``; the money reads of the whole
portfolio then scan it alone (0.03 s against 0.10 s joined to ``projects`` at 40k projects, measured)."""


@dataclass(frozen=True)
class MoneyGroup:
    """Projects sharing a key (a co-funding source, a condition kind, a gender marker …; None where the
    read has no key or the project states none), a start year and the currencies they state, with their
    money summed (``ProjectMoney``: the budget, else public funding plus co-funding) and the part of it
    a condition covers (``covered``; all of it where the read has no share)."""

    key: str | None
    year: int | None
    projects: int
    money: ProjectMoney
    covered: ProjectMoney


@dataclass(frozen=True)
class CoFundingGroup:
    """Co-funding sources of one type, start year and currency, summed; ``states_public``: whether
    their projects state public funding (only those enter a leverage)."""

    source_type: str
    year: int | None
    currency: str | None
    states_public: bool
    sources: int
    amount: float | None


@dataclass(frozen=True)
class PublicGroup:
    """Public funding of projects with co-funding by source, per start year and currency."""

    year: int | None
    currency: str | None
    projects: int
    amount: float


@dataclass(frozen=True)
class DisciplineCounts:
    """How many portfolio projects state disciplines, and how they fall into the OECD areas."""

    with_discipline: int
    with_area: int
    by_area: dict[str, int]
    """Projects with at least one discipline in the area (a project may count in several)."""
    main_area: dict[str, int]
    """Projects by the area of their main discipline (position 0)."""
    cross_disciplinary: int
    """Projects with disciplines in more than one area."""
    ssh: int
    """Projects with at least one discipline in the given SSH areas."""


class FundingDetailStore:
    """Grouped reads of one mission's portfolio, inside the caller's session, by one portfolio rule.

    Each read names the portfolio as a subquery its database evaluates; inside ``holding(mission)`` they
    read it evaluated once instead, with the same results: a temporary table of the portfolio's projects
    with the columns the money reads group (``HELD_COLUMNS``; ``portfolio_scope.held_rows``)."""

    def __init__(
        self, session: Session, rule: PortfolioRule = DEFAULT_RULE, since: int | None = None
    ) -> None:
        self.session = session
        self.rule = rule
        self.since = since
        """Only projects active in or after this year (ending then or later, else starting then or
        later; undated ones left out), as ``analyze --since`` scopes the rest of the analysis."""
        self._held: dict[str, Table] = {}

    @contextmanager
    def holding(self, mission: Mission) -> Iterator[FundingDetailStore]:
        """This store, its reads of ``mission`` inside the block sharing one evaluation of the portfolio
        (within ``since``)."""
        p = t.ProjectRow
        rows = select(p.id, extract("year", p.start), *MONEY_COLUMNS, p.gender_marker, p.lead_gender).where(
            p.id.in_(self._portfolio(mission))
        )
        with held_rows(self.session, rows, HELD_COLUMNS) as table:
            if table is not None:
                self._held[mission.id] = table
            try:
                yield self
            finally:
                self._held.pop(mission.id, None)

    def portfolio_size(self, mission: Mission) -> int:
        """How many projects the portfolio holds (within ``since``)."""
        inner = self._ids(mission).subquery()
        return int(self.session.scalar(select(func.count()).select_from(inner)) or 0)

    def _ids(self, mission: Mission) -> Select[Any] | CompoundSelect[Any]:
        """The portfolio's project ids (column ``project_id``), within ``since``: held, else evaluated
        by the read."""
        held = self._held.get(mission.id)
        return select(held.c.project_id) if held is not None else self._portfolio(mission)

    def _projects(self, mission: Mission, key: str | None) -> Subquery:
        """The portfolio's projects (``project_id``, ``key``: the column named or None, ``cover`` 1):
        where held, with their money columns, so that ``_money_groups`` reads no other table."""
        held = self._held.get(mission.id)
        if held is not None:
            keyed = cast(held.c[key], String).label("key") if key is not None else _no_key()
            return select(held.c.project_id, keyed, _whole(), *held.c[1:]).subquery()
        if key is None:
            ids = self._portfolio(mission).subquery()
            return select(ids.c.project_id, _no_key(), _whole()).subquery()
        p = t.ProjectRow
        keyed = cast(getattr(p, key), String).label("key")
        return (
            select(p.id.label("project_id"), keyed, _whole())
            .where(p.id.in_(self._portfolio(mission)))
            .subquery()
        )

    def _portfolio(self, mission: Mission) -> Select[Any] | CompoundSelect[Any]:
        ids = linked_project_ids(mission, rule=self.rule)
        if self.since is None:
            return ids
        p = t.ProjectRow
        active = func.coalesce(extract("year", p.end), extract("year", p.start))
        return select(p.id.label("project_id")).where(p.id.in_(ids), active >= self.since)

    # --- the projects behind objectives and outcomes -------------------------------------------------

    def portfolio_money(self, mission: Mission) -> list[MoneyGroup]:
        """The money of the whole portfolio, grouped by start year and currencies."""
        return self._money_groups(self._projects(mission, None))

    def linked_money(self, mission: Mission, goals: Sequence[str]) -> list[MoneyGroup]:
        """The money of the projects linked to any of ``goals`` (objective or outcome ids of the
        mission) by a link that counts, each project once."""
        if not goals:
            return []
        held = self._held.get(mission.id)
        if held is not None and set(goals) <= set(mission.link_attribution()):
            # links to these goals that count put their projects in the portfolio: their held rows carry
            # the money (no project looked up), the links read by index ranges (``linked_project_ids``)
            linked = linked_project_ids(mission, goals, self.rule)
            carried = select(held.c.project_id, _no_key(), _whole(), *held.c[1:])
            return self._money_groups(carried.where(held.c.project_id.in_(linked)).subquery())
        link = t.LinkRow
        scope = (
            select(link.project_id, _no_key(), _whole())
            .where(
                link.taxonomy == mission_taxonomy(mission.id),
                link.goal.in_(list(goals)),
                counts(self.rule),
                *([link.project_id.in_(self._ids(mission))] if self.since is not None else []),
            )
            .distinct()
            .subquery()
        )
        return self._money_groups(scope)

    # --- co-funding by source ----------------------------------------------------------------------

    def cofunding(self, mission: Mission) -> list[CoFundingGroup]:
        """Co-funding sources of the portfolio's projects by type, start year and currency."""
        c, p = t.ProjectCoFundingRow, t.ProjectRow
        held = self._held.get(mission.id)
        if held is not None:
            # the portfolio's start years and public funding are held: joined to them alone, the read never
            # looks up projects (SQLite fetched every portfolio project first: 0.14-0.25 s at 183,000 projects
            # stating no co-funding at all, measured)
            year: ColumnElement[Any] = held.c.year
            states_public = case((held.c.public_amount.is_not(None), 1), else_=0)
            statement = select(
                c.source_type, year, c.currency, states_public, func.count(), func.sum(c.amount)
            )
            statement = statement.join_from(c, held, held.c.project_id == c.project_id)
        else:
            year = extract("year", p.start)
            states_public = case((p.public_amount.is_not(None), 1), else_=0)
            statement = (
                select(c.source_type, year, c.currency, states_public, func.count(), func.sum(c.amount))
                .join(p, p.id == c.project_id)
                .where(c.project_id.in_(self._ids(mission)))
            )
        rows = self.session.execute(statement.group_by(c.source_type, year, c.currency, states_public)).all()
        return [
            CoFundingGroup(str(kind), _year(y), currency, bool(public), int(n), _float(amount))
            for kind, y, currency, public, n, amount in rows
        ]

    def cofunding_projects(self, mission: Mission) -> dict[str, int]:
        """Portfolio projects naming each type of co-funding source."""
        c = t.ProjectCoFundingRow
        rows = self.session.execute(
            select(c.source_type, func.count(func.distinct(c.project_id)))
            .where(c.project_id.in_(self._ids(mission)))
            .group_by(c.source_type)
        ).all()
        return {str(kind): int(n) for kind, n in rows}

    def public_of_cofunded(self, mission: Mission) -> list[PublicGroup]:
        """Public funding of the portfolio's projects that state co-funding by source."""
        c, p = t.ProjectCoFundingRow, t.ProjectRow
        year = extract("year", p.start)
        cofunded = select(c.project_id).where(c.project_id.in_(self._ids(mission)))
        rows = self.session.execute(
            select(year, p.public_currency, func.count(), func.sum(p.public_amount))
            .where(p.id.in_(cofunded), p.public_amount.is_not(None))
            .group_by(year, p.public_currency)
        ).all()
        return [
            PublicGroup(_year(y), currency, int(n), _float(amount) or 0.0) for y, currency, n, amount in rows
        ]

    def projects_with_cofunding(self, mission: Mission) -> int:
        c = t.ProjectCoFundingRow
        inner = select(c.project_id).where(c.project_id.in_(self._ids(mission))).distinct().subquery()
        return int(self.session.scalar(select(func.count()).select_from(inner)) or 0)

    # --- conditions --------------------------------------------------------------------------------

    def condition_money(self, mission: Mission) -> list[MoneyGroup]:
        """The money of the portfolio's projects by condition kind (a project once per kind), the part
        covered being the sum of the kind's shares (capped at 1; a condition without a share covers the
        whole); then the projects with any condition other than a plain grant (key ``ANY_CONDITION``)."""
        k = t.ProjectConditionRow
        in_portfolio = k.project_id.in_(self._ids(mission))
        shares = func.sum(func.coalesce(k.share, 1.0))
        by_kind = (
            select(
                k.project_id,
                cast(k.kind, String).label("key"),
                case((shares > 1.0, 1.0), else_=shares).label("cover"),
            )
            .where(in_portfolio)
            .group_by(k.project_id, k.kind)
            .subquery()
        )
        conditioned = (
            select(k.project_id, literal(ANY_CONDITION, String).label("key"), _whole())
            .where(in_portfolio, k.kind != ConditionKind.GRANT.value)
            .distinct()
            .subquery()
        )
        return self._money_groups(by_kind) + self._money_groups(conditioned)

    # --- disciplines -------------------------------------------------------------------------------

    def disciplines(self, mission: Mission, ssh_areas: Sequence[str]) -> DisciplineCounts:
        d = t.ProjectDisciplineRow
        in_portfolio = d.project_id.in_(self._ids(mission))

        def distinct_projects(*where: ColumnElement[bool]) -> int:
            inner = select(d.project_id).where(in_portfolio, *where).distinct().subquery()
            return int(self.session.scalar(select(func.count()).select_from(inner)) or 0)

        by_area = {
            str(area): int(n)
            for area, n in self.session.execute(
                select(d.area, func.count(func.distinct(d.project_id)))
                .where(in_portfolio, d.area.is_not(None))
                .group_by(d.area)
            )
        }
        main_area = {
            str(area): int(n)
            for area, n in self.session.execute(
                select(d.area, func.count())
                .where(in_portfolio, d.position == 0, d.area.is_not(None))
                .group_by(d.area)
            )
        }
        areas_per_project = (
            select(d.project_id)
            .where(in_portfolio, d.area.is_not(None))
            .group_by(d.project_id)
            .having(func.count(func.distinct(d.area)) > 1)
            .subquery()
        )
        cross = int(self.session.scalar(select(func.count()).select_from(areas_per_project)) or 0)
        return DisciplineCounts(
            with_discipline=distinct_projects(),
            with_area=distinct_projects(d.area.is_not(None)),
            by_area=by_area,
            main_area=main_area,
            cross_disciplinary=cross,
            ssh=distinct_projects(d.area.in_(list(ssh_areas))) if ssh_areas else 0,
        )

    # --- gender ------------------------------------------------------------------------------------

    def gender_money(self, mission: Mission) -> tuple[list[MoneyGroup], list[MoneyGroup]]:
        """The portfolio's money by gender equality marker, then by lead gender (key None: not given)."""
        return (
            self._money_groups(self._projects(mission, "gender_marker")),
            self._money_groups(self._projects(mission, "lead_gender")),
        )

    # --- helpers -----------------------------------------------------------------------------------

    def _money_groups(self, scope: Subquery) -> list[MoneyGroup]:
        """Groups of the projects in ``scope`` (columns project_id, key, cover, and where it carries them
        the ``HELD_COLUMNS`` year … lead_gender, else read from ``projects``): those with a budget first,
        then those without (public funding plus co-funding)."""
        carried = "year" in scope.c
        p: Any = scope.c if carried else t.ProjectRow
        year = scope.c.year if carried else extract("year", t.ProjectRow.start)
        cover = scope.c.cover

        def read(statement: Select[Any]) -> Select[Any]:
            return statement if carried else statement.join_from(scope, p, p.id == scope.c.project_id)

        def covered(amount: SQLColumnExpression[Decimal | None]) -> ColumnElement[float | None]:
            return func.sum(cast(amount, Float) * cover)

        with_budget = self.session.execute(
            read(
                select(
                    scope.c.key,
                    year,
                    func.count(),
                    func.sum(p.budget_amount),
                    p.budget_currency,
                    covered(p.budget_amount),
                )
            )
            .where(p.budget_amount.is_not(None))
            .group_by(scope.c.key, year, p.budget_currency)
        ).all()
        without = self.session.execute(
            read(
                select(
                    scope.c.key,
                    year,
                    func.count(),
                    func.sum(p.public_amount),
                    p.public_currency,
                    func.sum(p.cofunding_amount),
                    p.cofunding_currency,
                    covered(p.public_amount),
                    covered(p.cofunding_amount),
                )
            )
            .where(p.budget_amount.is_(None))
            .group_by(scope.c.key, year, p.public_currency, p.cofunding_currency)
        ).all()
        groups = [
            MoneyGroup(
                key,
                _year(y),
                int(n),
                ProjectMoney(_float(budget), currency),
                ProjectMoney(_float(part), currency),
            )
            for key, y, n, budget, currency, part in with_budget
        ]
        groups += [
            MoneyGroup(
                key,
                _year(y),
                int(n),
                ProjectMoney(
                    None, None, _float(public), public_currency, _float(cofunding), cofunding_currency
                ),
                ProjectMoney(
                    None,
                    None,
                    _float(public_part),
                    public_currency,
                    _float(cofunding_part),
                    cofunding_currency,
                ),
            )
            for key, y, n, public, public_currency, cofunding, cofunding_currency, public_part, cofunding_part in without
        ]
        return groups


def _no_key() -> ColumnElement[Any]:
    return cast(null(), String).label("key")


def _whole() -> ColumnElement[float]:
    return literal(1.0, Float).label("cover")


def _year(value: object) -> int | None:
    return None if value is None else int(str(value).split(".")[0])


def _float(value: object) -> float | None:
    return None if value is None else float(str(value))

"""A mission's portfolio in SQL: the links that count under ``domain.portfolio_rule`` and the rates that
convert its money. Every view that counts or sums a mission's projects reads through these selects.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Row,
    Select,
    String,
    Subquery,
    Table,
    and_,
    case,
    extract,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from missionboard.domain.mapping import mission_taxonomy
from missionboard.domain.missions import Mission
from missionboard.domain.portfolio_rule import (
    ACCEPTED,
    DEFAULT_RULE,
    PROPOSED,
    CurrencySource,
    PortfolioRule,
    RateTable,
    reporting_currency,
)
from missionboard.store.tables import ExchangeRateRow, LinkRow, ProjectRow

MONEY_COLUMNS = (
    ProjectRow.budget_amount,
    ProjectRow.budget_currency,
    ProjectRow.public_amount,
    ProjectRow.public_currency,
    ProjectRow.cofunding_amount,
    ProjectRow.cofunding_currency,
)
"""The columns of ``domain.portfolio_rule.ProjectMoney``, in its field order."""

_held_serial = itertools.count(1)
"""Numbers the temporary tables of ``held_ids``: each block gets its own, nested ones included."""


def counts(rule: PortfolioRule = DEFAULT_RULE) -> ColumnElement[bool]:
    """The rule as a condition on ``links``: accepted, or proposed with score ≥ the threshold."""
    return or_(LinkRow.status == ACCEPTED, and_(LinkRow.status == PROPOSED, LinkRow.score >= rule.threshold))


def _of_mission(mission: Mission) -> list[ColumnElement[bool]]:
    return [
        LinkRow.taxonomy == mission_taxonomy(mission.id),
        LinkRow.goal.in_(list(mission.link_attribution())),
    ]


def goal_attribution(mission: Mission) -> Subquery:
    """(goal, objective): the objectives a link to each goal counts for (``Mission.link_attribution``),
    as rows to join ``links`` with."""
    pairs = [
        select(literal(goal, String).label("goal"), literal(objective, String).label("objective"))
        for goal, objectives in mission.link_attribution().items()
        for objective in objectives
    ]
    if not pairs:  # a mission without objectives: nothing counts
        pairs = [
            select(literal("", String).label("goal"), literal("", String).label("objective")).where(false())
        ]
    return union_all(*pairs).subquery("goal_attribution")


def goals_leading_to(mission: Mission, objective: str) -> list[str]:
    """The link goals that count for ``objective``: itself and the outcomes leading to it."""
    return [goal for goal, objectives in mission.link_attribution().items() if objective in objectives]


def portfolio_links(mission: Mission, rule: PortfolioRule = DEFAULT_RULE) -> Select[int, str, str, float]:
    """(project_id, goal, status, score) of each link that counts, to an objective the mission has now:
    one row per project and objective, a link to an outcome standing for the objectives it leads to
    (status accepted when any of them is, the best score)."""
    if not mission.has_outcome_links():  # every goal counts for itself: the links as they are
        return select(LinkRow.project_id, LinkRow.goal, LinkRow.status, LinkRow.score).where(
            *_of_mission(mission), counts(rule)
        )
    attribution = goal_attribution(mission)
    accepted = func.max(case((LinkRow.status == ACCEPTED, 1), else_=0))
    return (
        select(
            LinkRow.project_id,
            attribution.c.objective.label("goal"),
            case((accepted == 1, ACCEPTED), else_=PROPOSED).label("status"),
            func.max(LinkRow.score).label("score"),
        )
        .join(attribution, attribution.c.goal == LinkRow.goal)
        .where(*_of_mission(mission), counts(rule))
        .group_by(LinkRow.project_id, attribution.c.objective)
    )


def portfolio_project_ids(mission: Mission, rule: PortfolioRule = DEFAULT_RULE) -> Select[Any]:
    """The ids of the projects in the mission's portfolio: a subquery for set-based reads
    (``ProjectRow.id.in_(portfolio_project_ids(m))``)."""
    return select(LinkRow.project_id).where(*_of_mission(mission), counts(rule)).distinct()


@contextmanager
def held_rows(
    session: Session,
    rows: Select[*tuple[Any, ...]],
    columns: Sequence[Column[Any]],
    name: str = "portfolio_projects",
) -> Iterator[Table | None]:
    """The rows of ``rows`` evaluated once, for the reads inside the block: a temporary table with
    ``columns`` (the first one its primary key, distinct in ``rows``) holding them, dropped at the end. A
    mission's portfolio read by twenty grouped reads was evaluated twenty times (0.07 s each at 40k links,
    ~0.35 s at 200k, measured). None where the session may not write even a temporary table (a read-only
    workspace): the reads then evaluate their subqueries each, as before."""
    if not _may_write_temporary(session):
        yield None
        return
    first, *others = columns
    table = Table(
        f"{name}_{next(_held_serial)}",
        MetaData(),
        Column(first.name, first.type, primary_key=True, autoincrement=False),
        *(Column(c.name, c.type) for c in others),
        prefixes=["TEMPORARY"],
    )
    connection = session.connection()
    table.create(connection)
    connection.execute(insert(table).from_select([c.name for c in columns], rows))
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"ANALYZE {table.name}"))  # autovacuum never sees temporary tables
    yield table
    # not reached when the block raised: the caller's rollback removes the table then (SQLite and
    # PostgreSQL both undo CREATE in a transaction), and a failed PostgreSQL transaction refuses a DROP
    table.drop(connection)


@contextmanager
def held_ids(session: Session, ids: Select[Any], name: str = "portfolio_projects") -> Iterator[Select[Any]]:
    """``ids`` (one column of distinct project ids) held for the block (``held_rows``): the reads inside
    get ``select(project_id)`` of the temporary table, or ``ids`` itself on a read-only workspace."""
    with held_rows(session, ids, [Column("project_id", Integer)], name) as table:
        yield ids if table is None else select(table.c.project_id)


def _may_write_temporary(session: Session) -> bool:
    """Whether the session may create a temporary table: not in a read-only workspace (SQLite's
    ``query_only``, a PostgreSQL read-only transaction), nor on another database."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return not session.scalar(text("PRAGMA query_only"))
    if dialect == "postgresql":
        return bool(session.scalar(text("SHOW transaction_read_only")) == "off")
    return False


def below_threshold_links(mission: Mission, rule: PortfolioRule = DEFAULT_RULE) -> Select[str, int]:
    """(objective, number of projects) proposed for each objective, directly or through an outcome
    leading to it, with a score under the rule's threshold."""
    if not mission.has_outcome_links():
        return (
            select(LinkRow.goal, func.count(func.distinct(LinkRow.project_id)))
            .where(*_of_mission(mission), LinkRow.status == PROPOSED, LinkRow.score < rule.threshold)
            .group_by(LinkRow.goal)
        )
    attribution = goal_attribution(mission)
    return (
        select(attribution.c.objective, func.count(func.distinct(LinkRow.project_id)))
        .join(attribution, attribution.c.goal == LinkRow.goal)
        .where(*_of_mission(mission), LinkRow.status == PROPOSED, LinkRow.score < rule.threshold)
        .group_by(attribution.c.objective)
    )


def portfolio_size(session: Session, mission: Mission, rule: PortfolioRule = DEFAULT_RULE) -> int:
    """How many projects the mission's portfolio holds (an index-only count)."""
    inner = portfolio_project_ids(mission, rule).subquery()
    return int(session.scalar(select(func.count()).select_from(inner)) or 0)


def portfolio_projects(
    mission: Mission, rule: PortfolioRule = DEFAULT_RULE
) -> Select[int, int, Decimal | None, str | None, Decimal | None, str | None, Decimal | None, str | None]:
    """(id, start year, *MONEY_COLUMNS) of each project in the portfolio."""
    return select(ProjectRow.id, extract("year", ProjectRow.start), *MONEY_COLUMNS).where(
        ProjectRow.id.in_(portfolio_project_ids(mission, rule))
    )


def rate_table(session: Session) -> RateTable:
    """Every imported exchange rate (a few per currency and year: small)."""
    return RateTable.of(
        session.execute(
            select(
                ExchangeRateRow.currency,
                ExchangeRateRow.reporting_currency,
                ExchangeRateRow.year,
                ExchangeRateRow.rate,
            ).order_by(ExchangeRateRow.id)
        )
    )


def mission_currency(
    session: Session,
    mission: Mission,
    rates: RateTable | None = None,
    rule: PortfolioRule = DEFAULT_RULE,
    chosen: str | None = None,
) -> tuple[str | None, CurrencySource]:
    """The reporting currency of the mission's portfolio and why (``domain.portfolio_rule``)."""
    rates = rates if rates is not None else rate_table(session)
    projects: Counter[str] = Counter()
    if not chosen and not mission.currency and not rates.targets():
        ids = portfolio_project_ids(mission, rule)
        stated = func.coalesce(ProjectRow.budget_currency, ProjectRow.public_currency)
        for code, n in session.execute(
            select(stated, func.count()).where(ProjectRow.id.in_(ids), stated.is_not(None)).group_by(stated)
        ):
            projects[str(code)] = int(n)
    return reporting_currency(mission.currency, rates.targets(), projects, chosen)


class PortfolioScope:
    """Reads a mission's portfolio inside the caller's transaction, row by row as the workspace sends them
    (each row a tuple of the values named)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def links(
        self, mission: Mission, rule: PortfolioRule = DEFAULT_RULE
    ) -> Iterator[Row[int, str, str, float]]:
        """(project_id, goal, status, score) of each link that counts (``portfolio_links``)."""
        return iter(self.session.execute(portfolio_links(mission, rule)))

    def below_threshold(self, mission: Mission, rule: PortfolioRule = DEFAULT_RULE) -> dict[str, int]:
        """Projects proposed under the rule's threshold, by objective (``below_threshold_links``)."""
        return {goal: int(n) for goal, n in self.session.execute(below_threshold_links(mission, rule))}

    def projects(
        self, mission: Mission, rule: PortfolioRule = DEFAULT_RULE
    ) -> Iterator[
        Row[int, int, Decimal | None, str | None, Decimal | None, str | None, Decimal | None, str | None]
    ]:
        """(id, start year, *MONEY_COLUMNS) of each project in the portfolio (``portfolio_projects``)."""
        return iter(self.session.execute(portfolio_projects(mission, rule)))

"""The portfolio read in bulk (plain rows, SQLite's covering indexes, the mission tree's figures taken
from the one portfolio read) gives exactly what reading it row by row through the ORM gives: the same
projects, the same amounts to the last bit — amounts stored with more decimals than the column's scale
are rounded as SQLAlchemy's ``Numeric`` rounds them — and the same counts, size, top projects and
decisions in the mission tree."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from missionboard.domain.missions import Mission
from missionboard.domain.portfolio_rule import (
    ACCEPTED,
    DEFAULT_RULE,
    ProjectMoney,
    RateTable,
    convert_money,
)
from missionboard.services import explorer
from missionboard.services.portfolio import read_portfolio
from missionboard.store.explorer import ExplorerStore
from missionboard.store.missions import MissionStore
from missionboard.store.portfolio_scope import PortfolioScope, rate_table
from missionboard.store.tables import DecisionRow, ExchangeRateRow, LinkRow, ProjectRow
from missionboard.store.workspace import Workspace

AWKWARD = [
    # (budget, public, co-funding, currency, start): amounts with more decimals than the column keeps,
    # halves that round to even, tiny and huge amounts, negatives, public plus co-funding, no start
    (0.125, None, None, "NOK", dt.date(2023, 3, 1)),
    (2.675, None, None, "SEK", dt.date(2021, 1, 1)),
    (1234.005, None, None, "USD", None),
    (None, 0.135, 1e-11, "NOK", dt.date(2024, 6, 1)),
    (123456789012.345, None, None, "NOK", dt.date(2019, 1, 1)),
    (-0.125, None, None, "SEK", dt.date(2023, 1, 1)),
    (1_000_000, None, None, "XAF", dt.date(2023, 1, 1)),
    (None, 7.77777, None, "SEK", dt.date(2023, 1, 1)),
    (0.1 + 0.2, None, None, "EUR", dt.date(2022, 1, 1)),
    (None, None, None, None, dt.date(2023, 1, 1)),
]
"""Projects whose money tests the reading; each is linked to the mission (``_links``)."""


def _mission() -> Mission:
    return Mission.model_validate(
        {
            "id": "fjords",
            "title": "Clean fjords",
            "challenge": "Polluted fjords",
            "statement": "By 2030 halve nitrogen run-off into the fjords.",
            "owner": "Agency",
            "start": "2022-01-01",
            "deadline": "2030-12-31",
            "currency": "SEK",
            "objectives": [
                {"id": "runoff", "title": "Halve run-off"},
                {"id": "sensors", "title": "Sensors in every fjord"},
                {"id": "boats", "title": "Clean boats"},
            ],
        }
    )


def _links(n: int) -> dict[str, tuple[str, float]]:
    """Links of the n-th project: every kind the rule tells apart, and projects serving two objectives."""
    kinds: list[dict[str, tuple[str, float]]] = [
        {"runoff": ("accepted", 0.9)},
        {"runoff": ("proposed", 0.7), "sensors": ("proposed", 0.6)},
        {"sensors": ("accepted", 0.2), "boats": ("proposed", 0.5)},
        {"boats": ("proposed", 0.3)},  # under the threshold: not in the portfolio
        {"runoff": ("rejected", 0.95), "sensors": ("proposed", 0.8)},
    ]
    return kinds[n % len(kinds)]


@pytest.fixture
def fjords(workspace: Workspace) -> Workspace:
    """A mission reported in SEK with projects of awkward amounts in five currencies (none for XAF)."""
    with workspace.transaction() as session:
        MissionStore(session).save(_mission(), author="test")
        for currency, year, rate in (("NOK", 2023, 0.095), ("SEK", 2023, 0.087), ("USD", 2020, 0.92)):
            session.add(ExchangeRateRow(currency=currency, reporting_currency="EUR", year=year, rate=rate))
        for n, (budget, public, cofunding, currency, start) in enumerate(AWKWARD * 3):
            row = ProjectRow(
                source="test",
                source_id=f"p{n}",
                title=f"Project {n}",
                budget_currency=currency if budget is not None else None,
                public_currency=currency if public is not None else None,
                cofunding_currency=currency if cofunding is not None else None,
                start=start,
                status="active",
                content_hash=str(n).rjust(64, "0"),
            )
            session.add(row)
            session.flush()
            # the amounts as floats, as a bulk import stores them in SQLite (PostgreSQL rounds them)
            session.execute(
                update(ProjectRow)
                .where(ProjectRow.id == row.id)
                .values(budget_amount=budget, public_amount=public, cofunding_amount=cofunding)
            )
            for goal, (status, score) in _links(n).items():
                session.add(
                    LinkRow(
                        project_id=row.id,
                        taxonomy="mission:fjords",
                        goal=goal,
                        score=score,
                        method="query",
                        status=status,
                    )
                )
            if n % 4 == 0:
                session.add(
                    DecisionRow(
                        project_id=row.id,
                        decision="continue",
                        rationale=f"decision {n}",
                        by="test",
                        at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=n),
                    )
                )
    return workspace


def _money_through_the_orm(session: Session, mission: Mission, code: str, rates: RateTable) -> dict[int, Any]:
    """Each portfolio project's converted money, read row by row as ORM objects (the way before)."""
    counted = {
        link.project_id
        for link in session.scalars(select(LinkRow).where(LinkRow.taxonomy == "mission:fjords"))
        if link.goal in mission.link_attribution() and DEFAULT_RULE.counts(link.status, link.score)
    }
    out: dict[int, Any] = {}
    for project in session.scalars(
        select(ProjectRow).where(ProjectRow.id.in_(counted)).order_by(ProjectRow.id)
    ):
        stated = ProjectMoney(
            *(
                float(v) if isinstance(v, Decimal) else v
                for v in (
                    project.budget_amount,
                    project.budget_currency,
                    project.public_amount,
                    project.public_currency,
                    project.cofunding_amount,
                    project.cofunding_currency,
                )
            )
        )
        year = project.start.year if project.start is not None else None
        out[project.id] = convert_money(stated, code, year, rates)
    return out


def test_the_projects_money_reads_as_the_orm_reads_it_to_the_last_bit(fjords: Workspace) -> None:
    with fjords.reading() as session:
        mission = MissionStore(session).get("fjords").mission
        scope = PortfolioScope(session)
        ids = {project_id for project_id, *_ in scope.links(mission)}
        by_orm = {
            p.id: (p.budget_amount, p.public_amount, p.cofunding_amount)
            for p in session.scalars(select(ProjectRow).where(ProjectRow.id.in_(ids)))
        }
        rows = scope.projects(mission, ids=ids)
    assert len(rows) == len(by_orm)
    for project_id, _year, budget, _bc, public, _pc, cofunding, _cc in rows:
        expected = tuple(None if v is None else float(v) for v in by_orm[project_id])
        assert (budget, public, cofunding) == expected, project_id


def test_the_portfolio_money_equals_the_row_by_row_conversion_exactly(fjords: Workspace) -> None:
    with fjords.reading() as session:
        mission = MissionStore(session).get("fjords").mission
        rates = rate_table(session)
        found = read_portfolio(session, mission)
        converted = _money_through_the_orm(session, mission, "SEK", rates)
    amounts = [c.amount for c in converted.values() if c.amount is not None]
    assert found.projects == len(converted)
    assert found.money == sum(amounts)
    assert found.projects_with_money == len(amounts)
    assert found.approximate == sum(c.approximate for c in converted.values())
    unconverted: dict[str, list[float]] = defaultdict(list)
    for c in converted.values():
        for currency, amount in c.unconverted:
            unconverted[currency].append(amount)
    assert [(u.currency, u.amount, u.projects) for u in found.unconverted] == [
        (currency, sum(amounts), len(amounts)) for currency, amounts in sorted(unconverted.items())
    ]


def test_the_portfolio_reads_the_same_projects_however_it_reads_them(fjords: Workspace) -> None:
    with fjords.reading() as session:
        mission = MissionStore(session).get("fjords").mission
        links = PortfolioScope(session).links(mission)
        by_orm = [
            (link.project_id, link.goal, link.status, link.score)
            for link in session.scalars(
                select(LinkRow).order_by(LinkRow.goal, LinkRow.status, LinkRow.score, LinkRow.id)
            )
            if DEFAULT_RULE.counts(link.status, link.score)
        ]
    assert links == by_orm


def test_the_tree_takes_its_counts_and_size_from_the_portfolio_as_the_queries_count_them(
    fjords: Workspace,
) -> None:
    with fjords.reading() as session:
        mission = MissionStore(session).get("fjords").mission
        found = read_portfolio(session, mission)
        from_portfolio = explorer.objective_links(session, mission, found)
        by_queries = ExplorerStore(session).objective_links(mission)
        size = explorer.portfolio_size(session, mission)
    assert from_portfolio == by_queries
    assert found.projects == size
    assert by_queries["runoff"]["rejected"] > 0  # the figure read apart from the portfolio


def test_the_tree_lists_the_strongest_projects_accepted_first_then_by_score(fjords: Workspace) -> None:
    with fjords.reading() as session:
        mission = MissionStore(session).get("fjords").mission
        for objective in ("runoff", "sensors", "boats"):
            tops = explorer.top_projects(session, mission, objective, limit=3)
            keys = [(t["status"] != ACCEPTED, -t["score"], t["id"]) for t in tops]
            assert keys == sorted(keys), objective
            assert len({t["project_id"] for t in tops}) == len(tops), objective
            assert all(DEFAULT_RULE.counts(t["status"], t["score"]) for t in tops), objective


def test_the_tree_shows_the_newest_decisions_on_projects_of_the_portfolio_only(fjords: Workspace) -> None:
    with fjords.reading() as session:
        mission = MissionStore(session).get("fjords").mission
        decisions = explorer.mission_decisions(session, mission, limit=100)
        found = read_portfolio(session, mission)
        portfolio = set(_money_through_the_orm(session, mission, "SEK", rate_table(session)))
        every = session.execute(
            select(DecisionRow.id, DecisionRow.project_id).order_by(DecisionRow.at.desc())
        ).all()
    expected = [decision for decision, project_id in every if project_id in portfolio]
    assert [d["id"] for d in decisions] == expected
    assert 0 < len(expected) < len(every)
    assert found.projects == len(portfolio)

"""The portfolio converted and summed in bulk gives, to the last bit, what converting each project with
``convert_money`` and adding the projects one by one gives: ``convert_many`` equals ``convert_money``
project by project, and every objective's money adds its projects in the order of their first link —
where each project has one link that counts (summed run by run) and where projects have several."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import astuple
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
    convert_many,
    convert_money,
)
from missionboard.services.portfolio import MissionPortfolio, read_portfolio
from missionboard.store.missions import MissionStore
from missionboard.store.portfolio_scope import rate_table
from missionboard.store.tables import ExchangeRateRow, LinkRow, ProjectRow
from missionboard.store.workspace import Workspace

RATES = [
    # (currency, into, year, rate): NOK and SEK into EUR for two years, USD once, JPY into USD only
    ("NOK", "EUR", 2021, 0.0951),
    ("NOK", "EUR", 2023, 0.0873),
    ("SEK", "EUR", 2021, 0.0987),
    ("SEK", "EUR", 2023, 0.0871),
    ("USD", "EUR", 2022, 0.951),
    ("JPY", "USD", 2022, 0.0076),
]

MONEY: list[tuple[ProjectMoney, int | None]] = [
    # every way a project's money converts or does not, and its start year
    (ProjectMoney(1234.5, "SEK"), 2023),  # direct rate of the year
    (ProjectMoney(0.125, "NOK"), 2022),  # nearest year, the earlier of two equally near: approximate
    (ProjectMoney(99.99, "EUR"), None),  # the reporting currency itself, no start
    (ProjectMoney(5e9, "USD"), 2020),  # through EUR
    (ProjectMoney(7.77, "JPY"), 2022),  # cross through USD and EUR
    (ProjectMoney(None, None, 10.0, "SEK", 2.5, "NOK"), 2021),  # public plus co-funding
    (ProjectMoney(None, None, 10.0, "SEK", 2.5, "XAF"), 2021),  # one part has no rate: none of it
    (ProjectMoney(1e6, "XAF"), 2023),  # no rate at all
    (ProjectMoney(3.0, None), 2023),  # no currency
    (ProjectMoney(None, None), 2023),  # no amount
    (ProjectMoney(-0.0, "SEK"), 2023),  # a negative zero
    (ProjectMoney(Decimal("12.34"), "NOK"), 2021),  # as PostgreSQL's driver reads it
]


def _rates() -> RateTable:
    return RateTable.of(RATES)


@pytest.mark.parametrize("to", ["SEK", "EUR", "USD", "XAF", None])
def test_converting_many_projects_at_once_equals_converting_each(to: str | None) -> None:
    one_by_one = [convert_money(money, to, year, _rates()) for money, year in MONEY]
    at_once = convert_many([(year, *astuple(money)) for money, year in MONEY], to, _rates())
    assert at_once.amounts == [c.amount for c in one_by_one]
    assert at_once.unconverted == [part for c in one_by_one for part in c.unconverted]
    assert at_once.approximate == sum(c.approximate for c in one_by_one)
    assert at_once.via == frozenset().union(*(c.via for c in one_by_one))


def test_a_project_whose_money_does_not_all_convert_counts_neither_its_rate_year_nor_its_cross_rate() -> None:
    # the NOK part would be approximate (2022 between 2021 and 2023); the XAF part has no rate
    at_once = convert_many([(2022, None, None, 1.0, "NOK", 2.0, "XAF")], "EUR", _rates())
    assert at_once.amounts == [None]
    assert at_once.unconverted == [("XAF", 2.0)]
    assert at_once.approximate == 0


@pytest.mark.parametrize(
    ("money", "year", "to", "expected"),
    [
        (ProjectMoney(1234.5, "SEK"), 2023, "EUR", (0.0 + 1234.5 * 0.0871, (), False, frozenset())),
        # 2022 lies between 2021 and 2023: the earlier rate, approximate
        (ProjectMoney(0.125, "NOK"), 2022, "EUR", (0.0 + 0.125 * 0.0951, (), True, frozenset())),
        (ProjectMoney(7.77, "JPY"), 2022, "EUR", (0.0 + 7.77 * (0.0076 * 0.951), (), False, {"USD"})),
        (
            ProjectMoney(None, None, 10.0, "SEK", 2.5, "NOK"),
            2021,
            "SEK",
            (0.0 + 10.0 * 1.0 + 2.5 * (0.0951 * (1.0 / 0.0987)), (), False, {"EUR"}),
        ),
        (
            ProjectMoney(None, None, 10.0, "SEK", 2.5, "XAF"),
            2021,
            "SEK",
            (None, (("XAF", 2.5),), False, frozenset()),
        ),
        (ProjectMoney(3.0, None), 2023, "EUR", (None, (("(none)", 3.0),), False, frozenset())),
        (ProjectMoney(None, None), 2023, "EUR", (None, (), False, frozenset())),
        (ProjectMoney(3.0, "SEK"), 2023, None, (None, (), False, frozenset())),
    ],
)
def test_a_projects_money_converts_by_the_rule(
    money: ProjectMoney, year: int, to: str | None, expected: tuple[Any, ...]
) -> None:
    converted = convert_money(money, to, year, _rates())
    assert (converted.amount, converted.unconverted, converted.approximate, converted.via) == expected


def _mission() -> Mission:
    return Mission.model_validate(
        {
            "id": "lakes",
            "title": "Clear lakes",
            "challenge": "Algae in the lakes",
            "statement": "By 2030 no lake has an algal bloom in summer.",
            "owner": "Agency",
            "start": "2022-01-01",
            "deadline": "2030-12-31",
            "currency": "SEK",
            "objectives": [
                {"id": "farms", "title": "Less fertiliser run-off"},
                {"id": "sewage", "title": "Sewage treated"},
                {"id": "wetlands", "title": "Wetlands restored"},
            ],
        }
    )


PROJECTS = 90

GOALS = ["farms", "sewage", "wetlands"]


def _one_link(n: int) -> dict[str, tuple[str, float]]:
    """Exactly one link that counts per project, beside links that do not (rejected, under the threshold)."""
    goal = GOALS[n % 3]
    other = GOALS[(n + 1) % 3]
    counted = ("accepted", 0.3 + n % 7 / 10) if n % 2 else ("proposed", 0.5 + n % 5 / 10)
    left_out = ("rejected", 0.9) if n % 3 else ("proposed", 0.2)
    return {goal: counted, other: left_out}


def _several_links(n: int) -> dict[str, tuple[str, float]]:
    """Projects counted for one, two or three objectives, accepted and proposed mixed."""
    links = _one_link(n)
    if n % 4 == 0:
        links.update({goal: ("proposed", 0.55 + n % 3 / 10) for goal in GOALS if goal not in links})
    if n % 5 == 0:
        links[GOALS[(n + 1) % 3]] = ("accepted", 0.1)
    return links


def _seed(workspace: Workspace, links_of: Any) -> Workspace:
    with workspace.transaction() as session:
        MissionStore(session).save(_mission(), author="test")
        for currency, to, year, rate in RATES:
            session.add(ExchangeRateRow(currency=currency, reporting_currency=to, year=year, rate=rate))
        for n in range(PROJECTS):
            money, year = MONEY[n % len(MONEY)]
            amounts = {
                # amounts of many digits, so that adding them in another order changes the last bits
                name: None if value is None else float(value) * (1 + n / 7) + n / 3
                for name, value in (
                    ("budget_amount", money.budget_amount),
                    ("public_amount", money.public_amount),
                    ("cofunding_amount", money.cofunding_amount),
                )
            }
            row = ProjectRow(
                source="test",
                source_id=f"p{n}",
                title=f"Project {n}",
                budget_currency=money.budget_currency,
                public_currency=money.public_currency,
                cofunding_currency=money.cofunding_currency,
                start=dt.date(year, 6, 1) if year is not None else None,
                status="active",
                content_hash=str(n).rjust(64, "0"),
            )
            session.add(row)
            session.flush()
            session.execute(update(ProjectRow).where(ProjectRow.id == row.id).values(**amounts))
            for goal, (status, score) in links_of(n).items():
                session.add(
                    LinkRow(
                        project_id=row.id,
                        taxonomy="mission:lakes",
                        goal=goal,
                        score=score,
                        method="query",
                        status=status,
                    )
                )
    return workspace


@pytest.fixture
def one_link_each(workspace: Workspace) -> Workspace:
    return _seed(workspace, _one_link)


@pytest.fixture
def several_links(workspace: Workspace) -> Workspace:
    return _seed(workspace, _several_links)


@pytest.fixture(params=[_one_link, _several_links], ids=["one link each", "several links"])
def lakes(request: pytest.FixtureRequest, workspace: Workspace) -> Workspace:
    return _seed(workspace, request.param)


def _row_by_row(session: Session, mission: Mission) -> dict[str, Any]:
    """The portfolio's figures as the ORM reads its rows and as ``read_portfolio`` counted them one project
    at a time: links in the order goal, status, score, id; money by ``convert_money``; each objective's
    money added project after project in the order of their first link."""
    goals_of: dict[int, dict[str, str]] = defaultdict(dict)
    ordered = select(LinkRow).order_by(LinkRow.goal, LinkRow.status, LinkRow.score, LinkRow.id)
    for link in session.scalars(ordered):
        if (
            DEFAULT_RULE.counts(link.status, link.score)
            and goals_of[link.project_id].get(link.goal) != ACCEPTED
        ):
            goals_of[link.project_id][link.goal] = link.status
    rates = rate_table(session)
    money: dict[int, float | None] = {}
    approximate = 0
    for project in session.scalars(
        select(ProjectRow).where(ProjectRow.id.in_(goals_of)).order_by(ProjectRow.id)
    ):
        stated = ProjectMoney(
            _float(project.budget_amount),
            project.budget_currency,
            _float(project.public_amount),
            project.public_currency,
            _float(project.cofunding_amount),
            project.cofunding_currency,
        )
        converted = convert_money(stated, "SEK", project.start.year if project.start else None, rates)
        money[project.id] = converted.amount
        approximate += converted.approximate
    full: dict[str, float] = dict.fromkeys(GOALS, 0.0)
    split: dict[str, float] = dict.fromkeys(GOALS, 0.0)
    for project_id, goals in goals_of.items():
        amount = money[project_id] or 0.0
        for goal in goals:
            full[goal] += amount
            split[goal] += amount / len(goals)
    return {
        "projects": len(goals_of),
        "links": sum(len(goals) for goals in goals_of.values()),
        "money": sum(v for v in money.values() if v is not None),
        "approximate": approximate,
        "full": full,
        "split": split,
    }


def _float(amount: Decimal | None) -> float | None:
    return None if amount is None else float(amount)


def _objective_money(found: MissionPortfolio) -> tuple[dict[str, float], dict[str, float]]:
    return (
        {o.objective: o.money for o in found.objectives},
        {o.objective: o.money_split for o in found.objectives},
    )


def test_with_one_link_each_every_objective_adds_its_projects_as_one_by_one(one_link_each: Workspace) -> None:
    with one_link_each.reading() as session:
        mission = MissionStore(session).get("lakes").mission
        found = read_portfolio(session, mission)
        expected = _row_by_row(session, mission)
    assert expected["links"] == expected["projects"]  # the case this test is about
    assert _objective_money(found) == (expected["full"], expected["split"])
    assert found.money == expected["money"]
    assert found.approximate == expected["approximate"]


def test_with_several_links_every_objective_adds_its_projects_as_one_by_one(several_links: Workspace) -> None:
    with several_links.reading() as session:
        mission = MissionStore(session).get("lakes").mission
        found = read_portfolio(session, mission)
        expected = _row_by_row(session, mission)
    assert expected["links"] > expected["projects"]  # the case this test is about
    assert _objective_money(found) == (expected["full"], expected["split"])
    assert found.money == expected["money"]
    assert found.approximate == expected["approximate"]


def test_every_objective_counts_its_projects_accepted_and_below_the_threshold_as_the_links_say(
    lakes: Workspace,
) -> None:
    with lakes.reading() as session:
        mission = MissionStore(session).get("lakes").mission
        found = read_portfolio(session, mission)
        links = session.execute(select(LinkRow.project_id, LinkRow.goal, LinkRow.status, LinkRow.score)).all()
    counted = [link for link in links if DEFAULT_RULE.counts(link.status, link.score)]
    for objective in found.objectives:
        serving = {link.project_id for link in counted if link.goal == objective.objective}
        accepted = {
            link.project_id
            for link in counted
            if link.goal == objective.objective and link.status == ACCEPTED
        }
        below = {
            link.project_id
            for link in links
            if link.goal == objective.objective and DEFAULT_RULE.below_threshold(link.status, link.score)
        }
        assert (objective.projects, objective.accepted) == (len(serving), len(accepted)), objective.objective
        assert objective.below_threshold == len(below), objective.objective
    with_accepted = {link.project_id for link in counted if link.status == ACCEPTED}
    assert (found.projects, found.accepted) == (
        len({link.project_id for link in counted}),
        len(with_accepted),
    )

"""A mission's links come in the order the portfolio sums them — goal, status, score, link id — with their
projects, whichever way they are read: on SQLite from the one covering index on (taxonomy, goal, status,
score, id, project_id), which then needs no sort; on PostgreSQL by its ORDER BY."""

from __future__ import annotations

import itertools
from operator import itemgetter

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

from missionboard.domain.missions import Mission
from missionboard.domain.portfolio_rule import DEFAULT_RULE
from missionboard.store.missions import MissionStore
from missionboard.store.portfolio_scope import (
    _LINK_ORDER,
    PortfolioScope,
    _of_mission,
    below_threshold_links,
    counts,
    portfolio_links,
)
from missionboard.store.tables import LinkRow, ProjectRow
from missionboard.store.workspace import Workspace

PROJECTS = 24


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
            "objectives": [
                {"id": "runoff", "title": "Halve run-off"},
                {"id": "sensors", "title": "Sensors in every fjord"},
            ],
        }
    )


@pytest.fixture
def fjords(workspace: Workspace) -> Workspace:
    """Projects whose links tie on score, linked newest project first: the link ids then run against the
    project ids, so an order that broke ties by project instead of link id would show."""
    with workspace.transaction() as session:
        MissionStore(session).save(_mission(), author="test")
        projects = [
            ProjectRow(
                source="test",
                source_id=f"p{n}",
                title=f"Project {n}",
                status="active",
                content_hash=str(n).rjust(64, "0"),
            )
            for n in range(PROJECTS)
        ]
        session.add_all(projects)
        session.flush()
        statuses = ("accepted", "proposed", "proposed", "rejected")
        for n, project in reversed(list(enumerate(projects))):
            for goal in ("runoff", "sensors") if n % 3 else ("runoff",):
                session.add(
                    LinkRow(
                        project_id=project.id,
                        taxonomy="mission:fjords",
                        goal=goal,
                        score=(0.3, 0.5, 0.8)[n % 3],  # ties, and some under the threshold
                        method="query",
                        status=statuses[(n // 3) % 4],
                    )
                )
    return workspace


def _links_by_the_orm(session: Session) -> list[tuple[int, str, str, float]]:
    return [
        (link.project_id, link.goal, link.status, link.score)
        for link in session.scalars(
            select(LinkRow).order_by(LinkRow.goal, LinkRow.status, LinkRow.score, LinkRow.id)
        )
        if DEFAULT_RULE.counts(link.status, link.score)
    ]


def test_the_links_come_in_the_order_the_portfolio_sums_them(fjords: Workspace) -> None:
    with fjords.reading() as session:
        mission = MissionStore(session).get("fjords").mission
        links = PortfolioScope(session).links(mission)
        expected = _links_by_the_orm(session)
    assert links == expected
    ids = [project_id for project_id, *_ in links]
    assert ids != sorted(ids)  # ties broken by link id, which runs against the project id here


def test_the_runs_of_one_goal_and_status_hold_the_projects_of_the_links_in_that_order(
    fjords: Workspace,
) -> None:
    with fjords.reading() as session:
        mission = MissionStore(session).get("fjords").mission
        runs = PortfolioScope(session).link_runs(mission)
        expected = [
            (goal, status, [link[0] for link in run])
            for (goal, status), run in itertools.groupby(_links_by_the_orm(session), key=itemgetter(1, 2))
        ]
    assert runs == expected
    assert len(runs) == 4


def _plan(session: Session, query: ClauseElement) -> str:
    connection = session.connection()
    sql = query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    return " / ".join(str(row[-1]) for row in connection.execute(text(f"EXPLAIN QUERY PLAN {sql}")))


def test_sqlite_reads_the_links_from_the_covering_index_without_sorting(sqlite_workspace: Workspace) -> None:
    with sqlite_workspace.transaction() as session:
        MissionStore(session).save(_mission(), author="test")
    with sqlite_workspace.reading() as session:
        mission = MissionStore(session).get("fjords").mission
        counted = (*_of_mission(mission), counts(DEFAULT_RULE))
        queries = {
            "links": portfolio_links(mission).order_by(*_LINK_ORDER),
            "projects of the links": select(LinkRow.project_id).where(*counted).order_by(*_LINK_ORDER),
            "run sizes": select(LinkRow.goal, LinkRow.status, func.count())
            .where(*counted)
            .group_by(LinkRow.goal, LinkRow.status)
            .order_by(LinkRow.goal, LinkRow.status),
            "below the threshold": below_threshold_links(mission),
        }
        for name, query in queries.items():
            plan = _plan(session, query)
            assert "USING COVERING INDEX ix_web_links_rank_project" in plan, (name, plan)
            assert "TEMP B-TREE" not in plan, (name, plan)

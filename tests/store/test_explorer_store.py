"""The explorer's reads (``store.explorer`` through ``services.explorer``), on SQLite and PostgreSQL: the
store returns a project's whole record, the service leaves out what a caller may not see of missions."""

from __future__ import annotations

from typing import Any

import pytest

from missionboard.errors import NotFound
from missionboard.services import explorer
from missionboard.store.explorer import ExplorerStore
from missionboard.store.tables import DecisionRow, LinkRow, ProjectRow
from missionboard.store.workspace import Workspace


def _seed(workspace: Workspace) -> int:
    """One project linked to an SDG, to the mission 'fjords' and to the mission 'secret', with a decision
    whose evidence names an objective of each mission; one project linked only to 'secret'; one unlinked."""
    with workspace.transaction() as session:
        project = ProjectRow(
            source="test", source_id="p1", content_hash="p1", title="Electric ferries for the fjords"
        )
        only_secret = ProjectRow(source="test", source_id="p3", content_hash="p3", title="A secret project")
        session.add_all(
            [
                project,
                ProjectRow(source="test", source_id="p2", content_hash="p2", title="Unlinked"),
                only_secret,
            ]
        )
        session.flush()
        session.add(
            LinkRow(project_id=only_secret.id, taxonomy="mission:secret", goal="x", score=0.9, method="query")
        )
        session.add_all(
            [
                LinkRow(project_id=project.id, taxonomy=t, goal=g, score=s, method="query", status="proposed")
                for t, g, s in [
                    ("sdg", "7", 0.9),
                    ("mission:fjords", "ferries", 0.8),
                    ("mission:secret", "x", 0.7),
                ]
            ]
        )
        evidence = {"flags": ["late"], "objectives": [{"mission": "fjords"}, {"mission": "secret"}]}
        session.add(
            DecisionRow(
                project_id=project.id, decision="continue", rationale="on track", by="a", evidence=evidence
            )
        )
        return project.id


def _record(workspace: Workspace, project_id: int, missions: set[str] | None) -> dict[str, Any]:
    with workspace.reading() as session:
        return explorer.project_detail(session, project_id, missions=missions)


@pytest.mark.parametrize(
    ("missions", "taxonomies"),
    [
        (None, {"sdg", "mission:fjords", "mission:secret"}),
        ({"fjords"}, {"sdg", "mission:fjords"}),
        (set(), {"sdg"}),
    ],
)
def test_a_projects_record_shows_links_of_other_taxonomies_and_of_the_missions_the_caller_may_see(
    workspace: Workspace, missions: set[str] | None, taxonomies: set[str]
) -> None:
    project_id = _seed(workspace)
    assert {link["taxonomy"] for link in _record(workspace, project_id, missions)["links"]} == taxonomies


def test_the_store_returns_every_link_and_leaves_visibility_to_the_service(workspace: Workspace) -> None:
    project_id = _seed(workspace)
    with workspace.reading() as session:
        links = ExplorerStore(session).project(project_id)["links"]
    assert len(links) == 3


def test_a_decisions_evidence_keeps_its_flags_and_loses_the_objectives_of_hidden_missions(
    workspace: Workspace,
) -> None:
    project_id = _seed(workspace)
    (decision,) = _record(workspace, project_id, {"fjords"})["decisions"]
    assert decision["evidence"]["objectives"] == [{"mission": "fjords"}]
    assert decision["evidence"]["flags"] == ["late"]


@pytest.mark.parametrize(
    ("visible", "unlinked"),
    [(None, ["p2"]), ({"secret"}, ["p2"]), ({"fjords"}, ["p2", "p3"]), (set(), ["p2", "p3"])],
)
def test_the_unlinked_filter_counts_a_project_linked_only_to_hidden_missions_as_unlinked(
    workspace: Workspace, visible: set[str] | None, unlinked: list[str]
) -> None:
    _seed(workspace)
    view = explorer.ProjectFilter(link_status="unlinked")
    with workspace.reading() as session:
        page = explorer.query_projects(session, view, visible)
    assert [r["source_id"] for r in page.rows] == unlinked


def test_the_goal_filter_of_a_mission_lists_its_portfolio(workspace: Workspace) -> None:
    _seed(workspace)
    with workspace.reading() as session:
        page = explorer.query_projects(session, explorer.ProjectFilter(goal="mission:fjords/ferries"))
    assert [r["source_id"] for r in page.rows] == ["p1"]
    assert page.total == 1


def test_a_missing_project_is_not_found(workspace: Workspace) -> None:
    with workspace.reading() as session, pytest.raises(NotFound, match="no project with id 404"):
        explorer.project_detail(session, 404)


def test_a_missing_link_is_not_found(workspace: Workspace) -> None:
    with workspace.reading() as session, pytest.raises(NotFound, match="no link with id 404"):
        explorer.link_record(session, 404)

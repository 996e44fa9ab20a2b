"""A taxonomy's links read in bulk are the rows, in the order, that the loader's row-by-row read gives."""

from __future__ import annotations

import pytest

from missionboard.store.analytics import read_portfolio_arrow
from missionboard.store.tables import LinkRow, ProjectRow
from missionboard.store.taxonomy_links import read_taxonomy_links
from missionboard.store.workspace import Workspace

TAXONOMY = "mission:ocean"
LINKS = [
    # project, taxonomy, goal, score, status: scores that 15 digits would not give back exactly
    (1, TAXONOMY, "o2", 0.1 + 0.2, "accepted"),
    (1, TAXONOMY, "o1", 1 / 3, "proposed"),
    (2, TAXONOMY, "o1", 0.5, "accepted"),
    (2, TAXONOMY, "out-1", 2 / 3, "proposed"),
    (3, TAXONOMY, "o1", 0.91, "rejected"),
    (3, TAXONOMY, "o2", 0.123456789012345678, "proposed"),
    (4, "mission:air", "o1", 0.7, "accepted"),
    (5, TAXONOMY, "Ö3 — ünïcode", 1e-300, "accepted"),
]


@pytest.fixture
def linked(sqlite_workspace: Workspace) -> Workspace:
    with sqlite_workspace.transaction() as session:
        for project in range(1, 6):
            session.add(
                ProjectRow(
                    id=project, source="test", source_id=str(project), title=f"P{project}", content_hash="x"
                )
            )
        session.flush()
        for project, taxonomy, goal, score, status in LINKS:
            session.add(
                LinkRow(
                    project_id=project,
                    taxonomy=taxonomy,
                    goal=goal,
                    score=score,
                    method="manual",
                    status=status,
                )
            )
    return sqlite_workspace


@pytest.mark.parametrize("taxonomy", [TAXONOMY, "mission:air", "mission:none"])
def test_the_bulk_read_gives_the_rows_of_the_row_by_row_read(linked: Workspace, taxonomy: str) -> None:
    expected = read_portfolio_arrow(linked, ("links",), taxonomy=taxonomy)["links"]
    assert read_taxonomy_links(linked, taxonomy).equals(expected)


def test_scores_come_back_as_the_very_same_doubles(linked: Workspace) -> None:
    found = read_taxonomy_links(linked, TAXONOMY)
    assert sorted(found.column("score").to_pylist()) == sorted(
        score for _, taxonomy, _, score, status in LINKS if taxonomy == TAXONOMY and status != "rejected"
    )


def test_rejected_links_are_left_out(linked: Workspace) -> None:
    found = read_taxonomy_links(linked, TAXONOMY)
    assert "rejected" not in found.column("status").to_pylist()

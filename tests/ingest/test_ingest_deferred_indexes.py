"""A large import into SQLite builds the secondary indexes of projects and participations once, after its
rows are in, inside its own transaction: afterwards the tables have exactly the indexes of the schema,
and an import that fails leaves rows and indexes as they were."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from ingest_helpers import PROJECT_HEADER, snapshot, write_csv
from sqlalchemy import text

from missionboard.errors import InputError
from missionboard.ingest import engine
from missionboard.services.ingest import ingest_files
from missionboard.store import portfolio
from missionboard.store.workspace import Session, Workspace

ROWS = 60


def _rows(count: int, prefix: str = "P") -> list[list[str]]:
    return [
        [f"{prefix}-{n}", f"Heat pumps {n}", "District heating", "Energy Agency", f"Programme {n % 7}",
         "rd_grant", "open call", str(1000 + n), "EUR", "", "", f"2024-0{1 + n % 9}-01", "", "active",
         str(1 + n % 9), "SE", "", "energy"]
        for n in range(count)
    ]  # fmt: skip


def _indexes(workspace: Workspace) -> dict[str, str]:
    """Index name → its SQL, for the tables whose indexes an import may defer."""
    with workspace.reading() as session:
        found = session.execute(
            text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                " AND tbl_name IN ('projects', 'participations')"
            )
        ).all()
    return {str(name): str(sql) for name, sql in found}


@pytest.fixture
def deferrals(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each import deferred the indexes. Files are read on inside the import's transaction after
    10 records, as large files are, and 10 records count as a large import."""
    monkeypatch.setattr(portfolio, "DEFER_INDEXES_FROM", 10)
    monkeypatch.setattr(engine, "STAGE_IN_MEMORY", 10)
    seen: list[bool] = []
    deferred_indexes = portfolio.deferred_indexes

    @contextmanager
    def watched(session: Session, expected: int) -> Iterator[bool]:
        with deferred_indexes(session, expected) as deferred:
            seen.append(deferred)
            yield deferred

    monkeypatch.setattr(portfolio, "deferred_indexes", watched)
    return seen


def test_a_bulk_import_leaves_projects_and_participations_with_the_schemas_indexes(
    sqlite_workspace: Workspace, tmp_path: Path, deferrals: list[bool]
) -> None:
    schema = _indexes(sqlite_workspace)
    path = write_csv(tmp_path / "projects.csv", PROJECT_HEADER, _rows(ROWS))
    run = ingest_files(sqlite_workspace, "csv", [path], source="agency")
    assert run.inserted == ROWS
    assert deferrals == [True]
    assert _indexes(sqlite_workspace) == schema


def test_the_indexes_built_after_a_bulk_import_answer_for_every_row(
    sqlite_workspace: Workspace, tmp_path: Path, deferrals: list[bool]
) -> None:
    path = write_csv(tmp_path / "projects.csv", PROJECT_HEADER, _rows(ROWS))
    ingest_files(sqlite_workspace, "csv", [path], source="agency")
    with sqlite_workspace.reading() as session:
        problems = session.execute(text("PRAGMA integrity_check")).scalars().all()
        by_index = session.execute(
            text("SELECT count(*) FROM projects INDEXED BY ix_projects_programme WHERE programme >= ''")
        ).scalar()
    assert problems == ["ok"]
    assert by_index == ROWS


def test_a_failed_bulk_import_leaves_rows_and_indexes_as_they_were(
    sqlite_workspace: Workspace, tmp_path: Path, deferrals: list[bool]
) -> None:
    first = write_csv(tmp_path / "first.csv", PROJECT_HEADER, _rows(5, prefix="OLD"))
    ingest_files(sqlite_workspace, "csv", [first], source="agency")
    before, indexes = snapshot(sqlite_workspace), _indexes(sqlite_workspace)
    rows = _rows(ROWS)
    rows[-1][PROJECT_HEADER.index("budget")] = "not a number"  # read inside the transaction, at its end
    path = write_csv(tmp_path / "projects.csv", PROJECT_HEADER, rows)
    with pytest.raises(InputError):
        ingest_files(sqlite_workspace, "csv", [path], source="agency")
    assert deferrals == [False, True]
    assert snapshot(sqlite_workspace) == before
    assert _indexes(sqlite_workspace) == indexes


def test_a_small_addition_to_a_much_larger_table_keeps_its_indexes_up_to_date_as_it_goes(
    sqlite_workspace: Workspace, tmp_path: Path, deferrals: list[bool]
) -> None:
    large = write_csv(tmp_path / "large.csv", PROJECT_HEADER, _rows(200, prefix="BIG"))
    ingest_files(sqlite_workspace, "csv", [large], source="archive")
    schema = _indexes(sqlite_workspace)
    small = write_csv(tmp_path / "small.csv", PROJECT_HEADER, _rows(30))
    run = ingest_files(sqlite_workspace, "csv", [small], source="agency")
    assert run.inserted == 30
    assert deferrals == [True, False]
    assert _indexes(sqlite_workspace) == schema


def test_a_reimport_of_unchanged_rows_keeps_the_indexes_in_place(
    sqlite_workspace: Workspace, tmp_path: Path, deferrals: list[bool]
) -> None:
    path = write_csv(tmp_path / "projects.csv", PROJECT_HEADER, _rows(ROWS))
    ingest_files(sqlite_workspace, "csv", [path], source="agency")
    run = ingest_files(sqlite_workspace, "csv", [path], source="agency")
    assert run.unchanged == ROWS
    assert deferrals == [True, False]


@pytest.mark.parametrize(
    "lookup",
    [
        "SELECT id, source_id, content_hash FROM projects WHERE source = 'a' AND source_id IN ('1', '2')",
        "SELECT source_id, row_hash FROM projects WHERE source = 'a' AND source_id IN ('1', '2')",
        "SELECT id FROM projects WHERE source = 'a' LIMIT 1",
        "UPDATE projects SET row_hash = 'x' WHERE source = 'a' AND source_id = '1'",
        "DELETE FROM participations WHERE project_id = 1",
        "SELECT actor_id, role FROM participations WHERE project_id = 1",
    ],
)
def test_the_lookups_of_an_import_use_no_index_it_defers(sqlite_workspace: Workspace, lookup: str) -> None:
    deferred = set(_indexes(sqlite_workspace))
    with sqlite_workspace.reading() as session:
        plan = " ".join(str(row[-1]) for row in session.execute(text(f"EXPLAIN QUERY PLAN {lookup}")))
    assert "INDEX" in plan
    assert [name for name in deferred if name in plan] == []

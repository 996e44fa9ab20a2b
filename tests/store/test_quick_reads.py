"""Quick reads (``store/quick.py``) answer exactly as the ordinary way does, and step aside where they can't.

``missionboard mission list`` and ``missionboard info`` read a current SQLite workspace with the standard
library's ``sqlite3`` so that they start in ≤ 0.3 s (issue 15 item 7, issue 19 item 5). Whatever way
they take, the answer must be the same: these tests build one workspace and ask both ways.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from missionboard.ingest.engine import run_import
from missionboard.services import glance, missions
from missionboard.services import workspace as ordinary
from missionboard.services.demo.build import mission_files
from missionboard.services.missions import import_missions, list_missions
from missionboard.settings import Settings
from missionboard.store import quick
from missionboard.store.contents import COUNTED, record_counts
from missionboard.store.quick import MissionSummary, QuickReader
from missionboard.store.workspace import Workspace


def _portfolio_csv(path: Path) -> Path:
    rows = ["id,title,abstract,budget,currency,start_date"]
    rows += [
        f"p-{i},Project {i},School meals and food waste {i},{1000 + i},EUR,2024-0{1 + i % 9}-01"
        for i in range(12)
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    """A SQLite workspace with the demo's missions and a small portfolio, closed again."""
    path = tmp_path / "ws.db"
    workspace = Workspace.open(f"sqlite:///{path}", create=True)
    import_missions(workspace, mission_files(), user="tester")
    run_import(workspace, "csv", [_portfolio_csv(tmp_path / "p.csv")], source="agency", user="tester")
    workspace.close()
    return path


def _ordinary_list(path: Path, asked: list[str]):  # type: ignore[no-untyped-def]
    """``mission list`` the ordinary way, noting in ``asked`` that it was taken."""

    def answer() -> list[MissionSummary]:
        asked.append("missions")
        workspace = Workspace.open(f"sqlite:///{path}")
        try:
            return missions.mission_summaries(workspace)
        finally:
            workspace.close()

    return answer


def test_the_quick_mission_list_equals_the_ordinary_one(filled: Path) -> None:
    workspace = Workspace.open(f"sqlite:///{filled}")
    expected = [missions.mission_summary(version) for version in list_missions(workspace)]
    workspace.close()
    reader = QuickReader.open(filled)
    assert reader is not None
    with reader:
        assert reader.mission_summaries() == expected
    assert len(expected) == len(mission_files())
    assert all(summary.objectives > 0 for summary in expected)


def test_a_new_version_of_a_mission_is_what_the_quick_list_shows(filled: Path, tmp_path: Path) -> None:
    source = next(path for path in mission_files() if path.name == "school-meals.yaml")
    changed = tmp_path / "school-meals.yaml"
    changed.write_text(
        source.read_text(encoding="utf-8").replace("title: ", "title: Renamed ", 1), encoding="utf-8"
    )
    workspace = Workspace.open(f"sqlite:///{filled}")
    import_missions(workspace, [changed], user="tester")
    expected = [missions.mission_summary(version) for version in list_missions(workspace)]
    workspace.close()
    reader = QuickReader.open(filled)
    assert reader is not None
    with reader:
        quick_list = reader.mission_summaries()
    assert quick_list == expected
    school = next(s for s in quick_list if s.id == "school-meals")
    assert school.version == 2
    assert school.title.startswith("Renamed ")


def test_the_quick_counts_equal_the_ordinary_counts(filled: Path) -> None:
    workspace = Workspace.open(f"sqlite:///{filled}")
    with workspace.reading() as session:
        expected = record_counts(session)
    workspace.close()
    reader = QuickReader.open(filled)
    assert reader is not None
    with reader:
        assert reader.record_counts() == expected
    assert expected["projects"] == 12
    assert expected["missions"] == len(mission_files())


def test_info_reads_the_same_summary_either_way(filled: Path) -> None:
    settings = Settings(workspace=filled)
    workspace = Workspace.open(settings.url())
    ordinary_summary = ordinary.workspace_summary(workspace, settings.url())
    workspace.close()
    asked: list[str] = []
    quick_summary = glance.workspace_summary(settings, lambda: asked.append("info") or ordinary_summary)
    assert asked == [], "a current SQLite workspace is read without opening it the ordinary way"
    assert quick_summary.to_dict() == ordinary_summary.to_dict()


def test_a_database_url_takes_the_ordinary_way(filled: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{filled}")
    asked: list[str] = []
    summaries = glance.mission_summaries(settings, _ordinary_list(filled, asked))
    assert asked == ["missions"]
    reader = QuickReader.open(filled)
    assert reader is not None
    with reader:
        assert summaries == reader.mission_summaries()


def test_a_schema_that_is_not_current_is_left_to_the_ordinary_way(filled: Path) -> None:
    with sqlite3.connect(filled) as connection:
        connection.execute("DELETE FROM alembic_version WHERE version_num = 'perf_0001'")
    connection.close()
    assert QuickReader.open(filled) is None


@pytest.mark.parametrize("content", [None, b"", b"this is not a database at all" * 100])
def test_a_missing_empty_or_foreign_file_is_left_to_the_ordinary_way(
    tmp_path: Path, content: bytes | None
) -> None:
    path = tmp_path / "ws.db"
    if content is not None:
        path.write_bytes(content)
    assert QuickReader.open(path) is None


def test_a_sqlite_database_that_is_no_workspace_is_left_to_the_ordinary_way(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (x)")
    connection.close()
    assert QuickReader.open(path) is None


def test_a_quick_read_changes_nothing_in_the_workspace(filled: Path) -> None:
    before = (filled.read_bytes(), filled.stat().st_mtime_ns)
    reader = QuickReader.open(filled)
    assert reader is not None
    with reader:
        reader.mission_summaries()
        reader.record_counts()
    assert (filled.read_bytes(), filled.stat().st_mtime_ns) == before
    wal = filled.with_name(filled.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0


def test_the_quick_counts_and_the_ordinary_counts_count_the_same_tables() -> None:
    assert list(quick._COUNTS) == list(quick.COUNTED_TABLES) == list(COUNTED)
    for name, table in quick.COUNTED_TABLES.items():
        assert quick._COUNTS[name] == f"SELECT count(*) FROM {table}"
        assert COUNTED[name].name == table


@pytest.mark.postgres
def test_a_postgresql_workspace_lists_its_missions_the_ordinary_way(postgres_url: str) -> None:
    workspace = Workspace.open(postgres_url, create=True)
    import_missions(workspace, mission_files(), user="tester")
    settings = Settings(database_url=postgres_url)
    summaries = glance.mission_summaries(settings, lambda: missions.mission_summaries(workspace))
    assert summaries == [missions.mission_summary(version) for version in list_missions(workspace)]
    assert len(summaries) == len(mission_files())
    workspace.close()

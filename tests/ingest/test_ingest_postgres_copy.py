"""On PostgreSQL an import writes its rows with COPY, inside the import's one transaction: it stores what
the same import stores on SQLite, and a failing import leaves the workspace exactly as it was."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ingest_helpers import PARTNER_HEADER, PARTNERS, PROJECT_HEADER, PROJECTS, snapshot, write_csv
from sqlalchemy import create_engine, event, insert, select, text

from missionboard.errors import InputError, UnstorableValue
from missionboard.ingest import engine
from missionboard.services.ingest import ingest_files
from missionboard.store import tables as t
from missionboard.store.portfolio import ANALYZE_AFTER, bulk_insert
from missionboard.store.workspace import Workspace

pytestmark = pytest.mark.postgres

DETAIL_HEADER = ["cofunding_sources", "conditions", "discipline", "gender_marker", "lead_gender", "partners"]
IGNORED = {"id", "import_run_id", "created_at", "updated_at"}
"""Columns that name rows or moments, not content: they differ between any two imports."""


@pytest.fixture
def postgres_workspace(postgres_url: str) -> Iterator[Workspace]:
    ws = Workspace.open(postgres_url, create=True)
    yield ws
    ws.close()


def _rows(count: int) -> list[list[str]]:
    """Projects with every kind of value: texts COPY must escape (tab, newline, backslash, quotes),
    decimals, dates, lists, partners, co-funding, conditions and disciplines; each fifth one without."""
    rows = []
    for n in range(count):
        base = list(PROJECTS[n % len(PROJECTS)])
        base[0] = f"P-{n}"
        base[1] = f"Project {n}\tof \\the 'north' \"valley\""
        base[2] = f"Line one\nline two ✓ ß {n}" if n % 3 else ""
        base[7] = f"{1000 + n}.{n % 100:02d}"
        detail = (
            ["", "", "", "", "", ""]
            if n % 5 == 0
            else [
                "private 1200 (Nordfjord AS); eu (Horizon Europe)",
                "royalty: 2% of sales",
                "2.1 Civil engineering; 1.5 Earth sciences",
                "significant",
                "woman",
                f"Org {n % 7} (coordinator) [research]; SSAB AB (partner) [industry]",
            ]
        )
        rows.append(base + detail)
    return rows


def _files(folder: Path, rows: list[list[str]]) -> tuple[Path, Path]:
    projects = write_csv(
        folder / "projects.csv",
        [*PROJECT_HEADER, *DETAIL_HEADER, "note"],
        [[*row, f"kept {i}"] for i, row in enumerate(rows)],
    )
    partners = write_csv(folder / "partners.csv", PARTNER_HEADER, [
        [f"P-{i}", *partner[1:]] for i in range(0, len(rows), 4) for partner in PARTNERS[:2]
    ])  # fmt: skip
    return projects, partners


def _portfolio(workspace: Workspace) -> dict[str, list[tuple[Any, ...]]]:
    """Every portfolio row by its natural key, without surrogate ids and timestamps."""
    project = t.ProjectRow.__table__
    columns = [c for c in project.c if c.name not in IGNORED]
    found: dict[str, list[tuple[Any, ...]]] = {}
    with workspace.reading() as session:
        found["projects"] = [tuple(r) for r in session.execute(select(*columns))]
        found["actors"] = [
            tuple(r)
            for r in session.execute(
                select(t.ActorRow.name, t.ActorRow.normalized_name, t.ActorRow.helix, t.ActorRow.level)
            )
        ]
        found["aliases"] = [
            tuple(r)
            for r in session.execute(
                select(t.ActorRow.name, t.ActorAliasRow.source, t.ActorAliasRow.name).join(
                    t.ActorRow, t.ActorRow.id == t.ActorAliasRow.actor_id
                )
            )
        ]
        found["participations"] = [
            tuple(r)
            for r in session.execute(
                select(
                    t.ProjectRow.source_id,
                    t.ActorRow.name,
                    t.ParticipationRow.role,
                    t.ParticipationRow.amount,
                    t.ParticipationRow.share,
                )
                .join(t.ProjectRow, t.ProjectRow.id == t.ParticipationRow.project_id)
                .join(t.ActorRow, t.ActorRow.id == t.ParticipationRow.actor_id)
            )
        ]
        for row in (t.ProjectCoFundingRow, t.ProjectConditionRow, t.ProjectDisciplineRow):
            table = row.__table__
            detail = [c for c in table.c if c.name not in ("id", "project_id")]
            query = select(t.ProjectRow.source_id, *detail).join(
                t.ProjectRow, t.ProjectRow.id == table.c.project_id
            )
            found[table.name] = [tuple(r) for r in session.execute(query)]
    return {name: sorted(rows, key=repr) for name, rows in found.items()}


def test_a_postgresql_import_stores_the_rows_the_same_import_stores_on_sqlite(
    postgres_workspace: Workspace, sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    projects, partners = _files(tmp_path, _rows(40))
    for workspace in (sqlite_workspace, postgres_workspace):
        run = ingest_files(workspace, "csv", [projects], partners=partners, source="agency")
        assert (run.inserted, run.rejected) == (40, 0)
    on_sqlite, on_postgres = _portfolio(sqlite_workspace), _portfolio(postgres_workspace)
    for name, rows in on_sqlite.items():
        assert rows, f"the sample writes no {name}"
        assert on_postgres[name] == rows, name


def test_a_postgresql_import_writes_projects_and_participations_by_copy_not_insert(
    postgres_workspace: Workspace, tmp_path: Path
) -> None:
    projects, partners = _files(tmp_path, _rows(12))
    statements: list[str] = []

    @event.listens_for(postgres_workspace.engine, "before_cursor_execute")
    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split()).lower())

    run = ingest_files(postgres_workspace, "csv", [projects], partners=partners, source="agency")
    assert run.inserted == 12
    inserts = [s for s in statements if s.startswith(("insert into projects", "insert into participations"))]
    assert inserts == []


def test_a_postgresql_import_that_fails_after_copying_rows_leaves_the_workspace_as_it_was(
    postgres_workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, partners = _files(tmp_path, _rows(6))
    ingest_files(postgres_workspace, "csv", [first], partners=partners, source="agency")
    before = snapshot(postgres_workspace)
    # small batches, written before the whole file is read: the bad row comes after rows were copied
    monkeypatch.setattr(engine, "STAGE_IN_MEMORY", 4)
    monkeypatch.setattr(engine, "BATCH", 3)
    rows = _rows(30)
    rows[25][PROJECT_HEADER.index("start")] = "not a date"
    bad = write_csv(tmp_path / "bad.csv", [*PROJECT_HEADER, *DETAIL_HEADER], rows)
    copied: list[int] = []
    write = engine._Writer.__call__

    def counted(self: Any, batch: list[Any]) -> None:
        copied.append(len(batch))
        write(self, batch)

    monkeypatch.setattr(engine._Writer, "__call__", counted)
    with pytest.raises(InputError) as failure:
        ingest_files(postgres_workspace, "csv", [bad], source="agency")
    problem = failure.value.problems[0]
    starts_on = 2 + sum(1 + row[2].count("\n") for row in rows[:25])  # abstracts span two lines
    assert (problem.file, problem.line, problem.field) == ("bad.csv", starts_on, "start")
    assert sum(copied) >= 20
    assert snapshot(postgres_workspace) == before


def test_a_text_postgresql_cannot_store_fails_a_copy_as_it_fails_an_insert_unstorable(
    postgres_workspace: Workspace,
) -> None:
    now = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)
    listed = ("titles", "abstracts", "countries", "regions", "sectors", "topics", "source_labels")
    lists: dict[str, list[str]] = {name: [] for name in listed}
    row = {
        **lists,
        "source": "agency",
        "source_id": "NUL-1",
        "title": "a NUL \x00 inside",
        "abstract": "",
        "status": "active",
        "raw": {},
        "content_hash": "0" * 64,
        "created_at": now,
        "updated_at": now,
    }  # every column with a default given: the rows COPY takes
    table = t.ProjectRow.__table__
    for write in (lambda c: c.execute(insert(table), [row]), lambda c: bulk_insert(c, table, [dict(row)])):
        with pytest.raises(UnstorableValue), postgres_workspace.transaction() as session:
            write(session.connection())


def test_after_a_large_postgresql_import_the_planner_knows_how_many_projects_there_are(
    postgres_workspace: Workspace, tmp_path: Path
) -> None:
    rows = [[f"K-{n}", f"Project {n}", *[""] * (len(PROJECT_HEADER) - 2)] for n in range(ANALYZE_AFTER)]
    path = write_csv(tmp_path / "many.csv", PROJECT_HEADER, rows)
    assert ingest_files(postgres_workspace, "csv", [path], source="agency").inserted == ANALYZE_AFTER
    with postgres_workspace.reading() as session:
        estimate = session.execute(text("SELECT reltuples FROM pg_class WHERE oid = 'projects'::regclass"))
        assert estimate.scalar_one() == ANALYZE_AFTER


def test_a_postgresql_import_does_not_wait_for_a_session_holding_the_projects_maintenance_lock(
    postgres_workspace: Workspace, postgres_url: str, tmp_path: Path
) -> None:
    rows = [[f"L-{n}", f"Project {n}", *[""] * (len(PROJECT_HEADER) - 2)] for n in range(ANALYZE_AFTER)]
    path = write_csv(tmp_path / "many.csv", PROJECT_HEADER, rows)
    other = create_engine(postgres_url)
    try:
        with other.connect() as maintenance:  # as a manual VACUUM or ANALYZE would hold it
            maintenance.execute(text("LOCK TABLE projects IN SHARE UPDATE EXCLUSIVE MODE"))
            run = ingest_files(postgres_workspace, "csv", [path], source="agency")
            maintenance.rollback()
    finally:
        other.dispose()
    assert run.inserted == ANALYZE_AFTER

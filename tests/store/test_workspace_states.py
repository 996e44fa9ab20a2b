"""A workspace that is full, read-only or locked says so in one line, and keeps what it had."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from missionboard.errors import WorkspaceBusy, WorkspaceFull, WorkspaceReadOnly
from missionboard.ingest.engine import run_import
from missionboard.store.tables import ProjectRow
from missionboard.store.workspace import Workspace


def _csv(path: Path, rows: int, prefix: str) -> Path:
    lines = ["id,title,abstract,budget,currency"]
    lines += [f"{prefix}-{i},Project {i} {'x' * 300},{'Long text ' * 40},{1000 + i},EUR" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _count(workspace: Workspace) -> int:
    with workspace.reading() as session:
        return int(session.scalar(select(func.count()).select_from(ProjectRow)) or 0)


def test_a_full_disk_is_one_clear_error_and_the_import_is_rolled_back(tmp_path: Path) -> None:
    workspace = Workspace.open(f"sqlite:///{tmp_path / 'ws.db'}", create=True)
    run_import(workspace, "csv", [_csv(tmp_path / "a.csv", 20, "a")], source="a")
    with sqlite3.connect(tmp_path / "ws.db") as probe:
        pages = probe.execute("PRAGMA page_count").fetchone()[0]

    @event.listens_for(workspace.engine, "connect")
    def _small_disk(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 5}")  # a disk with 5 pages left

    workspace.engine.dispose()
    with pytest.raises(WorkspaceFull) as raised:
        run_import(workspace, "csv", [_csv(tmp_path / "b.csv", 2000, "b")], source="b")
    assert "full" in str(raised.value)
    assert "\n" not in str(raised.value)
    assert _count(workspace) == 20
    workspace.close()


def test_a_workspace_opened_read_only_reads_and_refuses_writes(tmp_path: Path) -> None:
    writable = Workspace.open(f"sqlite:///{tmp_path / 'ws.db'}", create=True)
    run_import(writable, "csv", [_csv(tmp_path / "a.csv", 3, "a")], source="a")
    writable.close()
    workspace = Workspace.open(f"sqlite:///{tmp_path / 'ws.db'}", read_only=True)
    assert _count(workspace) == 3
    with pytest.raises(WorkspaceReadOnly):
        run_import(workspace, "csv", [_csv(tmp_path / "b.csv", 3, "b")], source="b")
    assert _count(workspace) == 3
    workspace.close()


def test_a_write_lock_held_past_the_busy_timeout_is_workspace_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("missionboard.store.workspace.BUSY_TIMEOUT_MS", 200)
    workspace = Workspace.open(f"sqlite:///{tmp_path / 'ws.db'}", create=True)
    holder = sqlite3.connect(tmp_path / "ws.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(WorkspaceBusy):
            run_import(workspace, "csv", [_csv(tmp_path / "a.csv", 3, "a")], source="a")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    run_import(workspace, "csv", [_csv(tmp_path / "a.csv", 3, "a")], source="a")
    assert _count(workspace) == 3
    workspace.close()


@pytest.mark.parametrize("content", [b"id,title\n1,a\n", b"SQLite format 3\x00" + b"\x01" * 5000])
def test_a_file_that_is_not_a_workspace_database_is_one_clear_error(tmp_path: Path, content: bytes) -> None:
    from missionboard.errors import WorkspaceError

    path = tmp_path / "not-a-workspace.db"
    path.write_bytes(content)
    with pytest.raises(WorkspaceError, match=r"not a missionboard workspace|cannot reach"):
        Workspace.open(f"sqlite:///{path}")
    assert path.read_bytes() == content

"""What ``analytics.loader.load_workspace`` brings into DuckDB: the whole portfolio counts no links, so a
SQLite workspace's links are read only for a taxonomy."""

from __future__ import annotations

import duckdb
import pytest

from missionboard.analytics.loader import load_workspace
from missionboard.store.workspace import Workspace


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute("SHOW TABLES").fetchall()}


@pytest.mark.parametrize("snapshot", [True, False])
def test_the_whole_portfolio_reads_no_links(
    sqlite_portfolio: Workspace, snapshot: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("missionboard.analytics.loader.SNAPSHOT_FROM_PROJECTS", 0)  # a snapshot even here
    con = duckdb.connect()
    stats = load_workspace(sqlite_portfolio, con, snapshot=snapshot)
    assert stats.method.startswith("arrow-snapshot") == snapshot
    assert "links" not in _tables(con)
    assert stats.rows["links"] == 0


def test_a_taxonomy_reads_its_links(sqlite_portfolio: Workspace) -> None:
    con = duckdb.connect()
    stats = load_workspace(sqlite_portfolio, con, taxonomy="mission:clean-air")
    assert stats.rows["links"] == con.execute("SELECT count(*) FROM links").fetchone()[0] > 0  # type: ignore[index]

"""Bring the workspace tables analytics needs into an in-process DuckDB database, in bulk.

SQLite workspaces: projects, actors and participations come from the columnar snapshot next to the
database (``snapshot.py``; saved first, in a child process, where it is missing or stale), memory-mapped
as Arrow tables. Everything else — links and exchange rates, and every table of a workspace too small
for a snapshot (or whose snapshot could not be saved) — is read through the workspace's own SQLite
connection, straight into Arrow columns. No other SQLite library ever opens the workspace file in this
process: a second copy (ADBC's, say) drops the POSIX locks of the workspace's connections when it
closes the file, and the next process to close then deletes the WAL under them, losing acknowledged
writes. ADBC is used only by the child process that saves a snapshot (``save_snapshot``). Arrow tables
are registered in DuckDB as they are — scanned in place, not copied into DuckDB tables. Other databases
(PostgreSQL) are read through SQLAlchemy in chunks and handed to DuckDB as pandas frames. Only the
columns analytics uses are read; the queries and the reads are the store's (``store.analytics``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from missionboard.analytics import snapshot as snapshots
from missionboard.store.analytics import (
    ARROW_READ,
    FRAMES_READ,
    PORTFOLIO_TABLES,
    AnalyticsStore,
    read_portfolio_arrow,
    read_portfolio_frames,
    read_portfolio_rows,
    snapshot_signature,
)
from missionboard.store.taxonomy_links import read_taxonomy_links
from missionboard.store.workspace import Workspace

if TYPE_CHECKING:  # imported where tables are read: an import only saving the snapshot needs none
    import duckdb
    import numpy as np
    import pyarrow as pa

LINKS = "links"
"""Read only with a taxonomy: the whole portfolio counts no links (at 1M projects its 200,000 links
took ~1 s of the load to read, measured, for nothing)."""


@dataclass(frozen=True)
class LoadStats:
    rows: dict[str, int]
    method: str
    arrow: dict[str, pa.Table] = field(default_factory=dict)
    """The Arrow tables registered in DuckDB (SQLite workspaces), for readers that take Arrow as is."""
    snapshot_seconds: float | None = None
    """Seconds spent saving a new snapshot during this load, where one was made."""
    snapshot_path: Path | None = None
    """The folder of the snapshot the tables came from (its ``precomputed`` arrays), where they did."""


def load_workspace(
    workspace: Workspace,
    con: duckdb.DuckDBPyConnection,
    *,
    taxonomy: str | None = None,
    snapshot: bool = True,
) -> LoadStats:
    """Make tables (or registered Arrow views) projects, actors, participations, links, rates in ``con``.

    ``links`` holds only links that are not rejected. With a ``taxonomy``, only its links are read,
    and only the projects (and participations) they reach; without one, a SQLite workspace's links are
    not read at all (no table ``links``, 0 rows loaded). A SQLite workspace's projects, actors and
    participations come from its columnar snapshot (made first where it is missing or stale), unless
    ``snapshot`` is False.
    """
    rows: dict[str, int] = {}
    if workspace.is_sqlite:
        loaded = _load_snapshot(workspace) if snapshot else None
        if loaded is not None:
            return _from_snapshot(workspace, con, loaded, taxonomy)
        tables = read_portfolio_arrow(workspace, _needed(PORTFOLIO_TABLES, taxonomy), taxonomy=taxonomy)
        for name, table in tables.items():
            con.register(name, table)
            rows[name] = table.num_rows
        return LoadStats(rows={LINKS: 0} | rows, method=SQLITE_METHOD, arrow=tables)
    for name, frame in read_portfolio_frames(workspace, taxonomy=taxonomy):
        con.from_df(frame).create(name)
        del frame  # not held while the next table is read
        rows[name] = len(con.table(name))
    return LoadStats(rows=rows, method=FRAMES_READ)


SQLITE_METHOD = ARROW_READ
"""How a SQLite workspace without a snapshot is read: its own connection, straight into Arrow."""


SNAPSHOT_FROM_PROJECTS = 50_000
"""Below this many projects SQLite is read directly in well under a second: no snapshot is kept."""


def _worth_a_snapshot(workspace: Workspace) -> bool:
    with workspace.reading() as session:
        highest = AnalyticsStore(session).highest_project_id()
    return highest >= SNAPSHOT_FROM_PROJECTS


def _load_snapshot(workspace: Workspace) -> snapshots.Loaded | None:
    if not _worth_a_snapshot(workspace):
        return None
    return snapshots.load(workspace, snapshot_signature())


def refresh_snapshot(workspace: Workspace) -> snapshots.Loaded | None:
    """Make sure a SQLite workspace has a fresh snapshot (after an import, say); None where it has none."""
    if not workspace.is_sqlite:
        return None
    return _load_snapshot(workspace)


def save_after_import(workspace: Workspace) -> bool:
    """Save a SQLite workspace's snapshot where it is worth one (an import just changed the portfolio),
    without reading it back or importing DuckDB and Arrow; whether a current one is there now. The child
    process that saves it also computes what every analysis of the whole portfolio would (``precomputed``)."""
    if not workspace.is_sqlite or not _worth_a_snapshot(workspace):
        return False
    return snapshots.save(workspace, snapshot_signature())


def _needed(names: tuple[str, ...], taxonomy: str | None) -> tuple[str, ...]:
    """``names`` without ``links`` where no taxonomy is analysed."""
    return names if taxonomy is not None else tuple(name for name in names if name != LINKS)


def _from_snapshot(
    workspace: Workspace,
    con: duckdb.DuckDBPyConnection,
    loaded: snapshots.Loaded,
    taxonomy: str | None,
) -> LoadStats:
    """The large tables from the snapshot; links and rates (small) through the workspace's connection
    (a taxonomy's links read in bulk: ``store.taxonomy_links``)."""
    tables = dict(loaded.tables)
    rows: dict[str, int] = {LINKS: 0, RATES: _small_table(workspace, con, RATES)}
    if taxonomy is not None:
        tables["links"] = read_taxonomy_links(workspace, taxonomy)
        # the snapshot holds every project: keep those the taxonomy's links reach
        reached = _ids(tables["links"].column("project_id"))
        for name, key in (("projects", "id"), ("participations", "project_id")):
            tables[name] = tables[name].filter(_reaching(tables[name].column(key), reached))
    for name, table in tables.items():
        con.register(name, table)
        rows[name] = table.num_rows
    return LoadStats(
        rows={name: rows[name] for name in PORTFOLIO_TABLES},
        method=f"arrow-snapshot ({loaded.status})",
        arrow=tables,
        snapshot_seconds=loaded.build_seconds,
        snapshot_path=loaded.path,
    )


RATES = "rates"
_DUCKDB_TYPES = {str: "VARCHAR", int: "BIGINT", float: "DOUBLE"}


def _small_table(workspace: Workspace, con: duckdb.DuckDBPyConnection, name: str) -> int:
    """Table ``name`` (a small one, ``rates``) in ``con`` from the workspace's rows
    (``read_portfolio_rows``), its columns handed to DuckDB as lists; its number of rows. No Arrow array
    is built from Python values, which imports pandas (0.3 s of the whole command, measured)."""
    names, kinds, found = read_portfolio_rows(workspace, name)
    columns = [list(column) for column in zip(*found, strict=True)] if found else [[] for _ in names]
    selected = ", ".join(
        f'unnest(${i + 1}::{_DUCKDB_TYPES[kind]}[]) AS "{column}"'
        for i, (column, kind) in enumerate(zip(names, kinds, strict=True))
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {selected}", columns)
    return len(found)


def _ids(column: pa.ChunkedArray) -> np.ndarray:
    """An id column that holds no NULL as int64 values (``to_numpy`` imports pandas)."""
    from missionboard.analytics.participants import ints

    return ints(column, 0)


def _reaching(column: pa.ChunkedArray, reached: np.ndarray) -> pa.Array:
    """Which values of the int64 id ``column`` are among ``reached`` (as ``pyarrow.compute.is_in``; a
    missing id is not), through a presence table over the ids' range rather than a hash set: 0.17 s of
    CPU for the ids of 1M projects and 4M participations, against 0.26 s (measured). Read from and made
    into Arrow through buffers: ``to_numpy``, ``fill_null`` and ``pyarrow.array`` import pandas."""
    import numpy as np

    from missionboard.analytics.participants import ints
    from missionboard.store.arrow_arrays import flags

    # a NULL id becomes one below every reached id: never found
    missing = int(reached.min()) - 1 if len(reached) else 0
    values = ints(column, missing)
    found = np.zeros(len(values), dtype=bool)
    if len(reached) and len(values):
        low = min(int(reached.min()), int(values.min()))
        span = max(int(reached.max()), int(values.max())) - low + 1
        if span <= 4 * (len(values) + len(reached)) + 1_000_000:
            present = np.zeros(span, dtype=bool)
            present[reached - low] = True
            found = present[values - low]
        else:  # ids spread far apart: a sorted search
            known = np.unique(reached)
            found = known[np.minimum(np.searchsorted(known, values), len(known) - 1)] == values
    return flags(found)

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
columns analytics uses are read, and the queries are SQLAlchemy expressions with bound parameters."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import (
    Float,
    Integer,
    Text,
    case,
    cast,
    extract,
    func,
    select,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ColumnElement

from missionboard.analytics import snapshot as snapshots
from missionboard.store.tables import ActorRow, ExchangeRateRow, LinkRow, ParticipationRow, ProjectRow
from missionboard.store.workspace import Workspace

SMALL = ("links", "rates")
"""The tables always read from the database (the rest come from the snapshot where there is one)."""
FETCH_ROWS = 100_000


def _text(column: Any, name: str) -> ColumnElement[Any]:
    return cast(column, Text).label(name)


def _real(column: Any, name: str) -> ColumnElement[Any]:
    return cast(column, Float).label(name)


def _int(column: Any, name: str) -> ColumnElement[Any]:
    return cast(column, Integer).label(name)


def _projects() -> list[ColumnElement[Any]]:
    p = ProjectRow
    return [
        _int(p.id, "id"),
        _text(p.funder, "funder"),
        _text(p.programme, "programme"),
        _text(p.instrument, "instrument"),
        _text(p.funding_scheme, "funding_scheme"),
        _real(p.budget_amount, "budget_amount"),
        _text(p.budget_currency, "budget_currency"),
        _real(p.public_amount, "public_amount"),
        _text(p.public_currency, "public_currency"),
        _real(p.cofunding_amount, "cofunding_amount"),
        _text(p.cofunding_currency, "cofunding_currency"),
        _int(extract("year", p.start), "start_year"),
        _int(extract("year", p.end), "end_year"),
        _int(p.trl, "trl"),
        _text(p.stage, "stage"),
        _text(p.countries, "countries"),
        _text(p.regions, "regions"),
    ]


def _actors() -> list[ColumnElement[Any]]:
    a = ActorRow
    return [_int(a.id, "id"), _text(a.name, "name"), _text(a.helix, "helix"), _text(a.country, "country")]


def _participations() -> list[ColumnElement[Any]]:
    r = ParticipationRow
    return [
        _int(r.project_id, "project_id"),
        _int(r.actor_id, "actor_id"),
        _int(case((r.role == "funder", 1), else_=0), "is_funder"),
        _real(r.amount, "amount"),
        _text(r.currency, "currency"),
        _real(r.share, "share"),
    ]


def _links() -> list[ColumnElement[Any]]:
    k = LinkRow
    return [
        _int(k.project_id, "project_id"),
        _text(k.taxonomy, "taxonomy"),
        _text(k.goal, "goal"),
        _real(k.score, "score"),
        _text(k.status, "status"),
    ]


def _rates() -> list[ColumnElement[Any]]:
    x = ExchangeRateRow
    return [
        _text(x.currency, "currency"),
        _text(x.reporting_currency, "reporting_currency"),
        _int(x.year, "year"),
        _real(x.rate, "rate"),
    ]


@dataclass(frozen=True)
class LoadStats:
    rows: dict[str, int]
    method: str
    arrow: dict[str, pa.Table] = field(default_factory=dict)
    """The Arrow tables registered in DuckDB (SQLite workspaces), for readers that take Arrow as is."""
    snapshot_seconds: float | None = None
    """Seconds spent saving a new snapshot during this load, where one was made."""


def load_workspace(
    workspace: Workspace,
    con: duckdb.DuckDBPyConnection,
    *,
    taxonomy: str | None = None,
    snapshot: bool = True,
) -> LoadStats:
    """Make tables (or registered Arrow views) projects, actors, participations, links, rates in ``con``.

    ``links`` holds only links that are not rejected. With a ``taxonomy``, only its links are read,
    and only the projects (and participations) they reach. A SQLite workspace's projects, actors and
    participations come from its columnar snapshot (made first where it is missing or stale), unless
    ``snapshot`` is False.
    """
    link_filter: list[ColumnElement[bool]] = [LinkRow.status != "rejected"]
    project_filter: list[ColumnElement[bool]] = []
    participation_filter: list[ColumnElement[bool]] = []
    if taxonomy is not None:
        link_filter.append(LinkRow.taxonomy == taxonomy)
        # only the projects the taxonomy's links reach (and their participations), through the indexes
        linked = select(LinkRow.project_id).where(*link_filter)
        project_filter.append(ProjectRow.id.in_(linked))
        participation_filter.append(ParticipationRow.project_id.in_(linked))
    queries: dict[str, tuple[list[ColumnElement[Any]], list[ColumnElement[bool]]]] = {
        "projects": (_projects(), project_filter),
        "actors": (_actors(), []),
        "participations": (_participations(), participation_filter),
        "links": (_links(), link_filter),
        "rates": (_rates(), []),
    }
    rows: dict[str, int] = {}
    if workspace.is_sqlite:
        loaded = _load_snapshot(workspace) if snapshot else None
        if loaded is not None:
            return _from_snapshot(workspace, con, loaded, queries, taxonomy)
        with _reading(workspace) as cursor:
            tables = {name: _read_sqlite3(cursor, workspace, *query) for name, query in queries.items()}
        for name, table in tables.items():
            con.register(name, table)
            rows[name] = table.num_rows
        return LoadStats(rows=rows, method=SQLITE_METHOD, arrow=tables)
    for name, (columns, where) in queries.items():
        con.from_df(_read_sqlalchemy(workspace, columns, where)).create(name)
        rows[name] = len(con.table(name))
    return LoadStats(rows=rows, method="sqlalchemy")


SQLITE_METHOD = "sqlite3-arrow"
"""How a SQLite workspace without a snapshot is read: its own connection, straight into Arrow."""


Query = tuple[list[ColumnElement[Any]], list[ColumnElement[bool]]]


def full_queries() -> dict[str, Query]:
    """The unfiltered queries of the large tables, the ones the snapshot holds."""
    return {
        "projects": (_projects(), []),
        "actors": (_actors(), []),
        "participations": (_participations(), []),
    }


def signature(dialect: Dialect, queries: dict[str, Query]) -> str:
    """What a snapshot made by ``queries`` holds: older snapshots are stale once it changes."""
    return "\n".join(
        f"{name}: {select(*columns).compile(dialect=dialect)}" for name, (columns, _) in queries.items()
    )


SNAPSHOT_FROM_PROJECTS = 50_000
"""Below this many projects SQLite is read directly in well under a second: no snapshot is kept."""


def _worth_a_snapshot(workspace: Workspace) -> bool:
    with workspace.reading() as session:
        highest = session.scalar(select(func.max(ProjectRow.id))) or 0  # the primary key: no scan
    return highest >= SNAPSHOT_FROM_PROJECTS


def _load_snapshot(workspace: Workspace) -> snapshots.Loaded | None:
    if not _worth_a_snapshot(workspace):
        return None
    return snapshots.load(workspace, signature(sqlite_dialect(), full_queries()))


def refresh_snapshot(workspace: Workspace) -> snapshots.Loaded | None:
    """Make sure a SQLite workspace has a fresh snapshot (after an import, say); None where it has none."""
    if not workspace.is_sqlite:
        return None
    return _load_snapshot(workspace)


def _from_snapshot(
    workspace: Workspace,
    con: duckdb.DuckDBPyConnection,
    loaded: snapshots.Loaded,
    queries: dict[str, Query],
    taxonomy: str | None,
) -> LoadStats:
    """The large tables from the snapshot; links and rates (small) through the workspace's connection."""
    tables = dict(loaded.tables)
    rows: dict[str, int] = {}
    with _reading(workspace) as cursor:
        for name in SMALL:
            tables[name] = _read_sqlite3(cursor, workspace, *queries[name])
    if taxonomy is not None:
        # the snapshot holds every project: keep those the taxonomy's links reach
        reached = pc.unique(tables["links"].column("project_id").drop_null())
        for name, key in (("projects", "id"), ("participations", "project_id")):
            tables[name] = tables[name].filter(pc.is_in(tables[name].column(key), value_set=reached))
    for name, table in tables.items():
        con.register(name, table)
        rows[name] = table.num_rows
    return LoadStats(
        rows={name: rows[name] for name in queries},
        method=f"arrow-snapshot ({loaded.status})",
        arrow=tables,
        snapshot_seconds=loaded.build_seconds,
    )


def sqlite_dialect() -> Dialect:
    from sqlalchemy.dialects import sqlite

    return sqlite.dialect()


@contextmanager
def _reading(workspace: Workspace) -> Iterator[Any]:
    """A raw cursor of the workspace's own SQLite connection, in one read transaction."""
    with workspace.engine.connect() as connection, connection.begin():
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            yield cursor
        finally:
            cursor.close()


def _read_sqlite3(
    cursor: Any, workspace: Workspace, columns: list[ColumnElement[Any]], where: list[ColumnElement[bool]]
) -> pa.Table:
    """A table through the workspace's own SQLite connection, straight into Arrow columns.

    The raw DB-API cursor, not SQLAlchemy's result rows and pandas: a fifth of the CPU time on 200,000
    links; fetched in chunks so that Python tuples never hold more than ``FETCH_ROWS`` rows at once.
    The columns get the types the snapshot has (int64, float64, string). One read transaction: the
    tables of one load are read from one consistent state of the database.
    """
    statement = select(*columns).where(*where)
    compiled = statement.compile(dialect=workspace.engine.dialect)
    params = [compiled.params[key] for key in (compiled.positiontup or [])]
    types = [
        pa.float64()
        if isinstance(c.type, Float)
        else pa.int64()
        if isinstance(c.type, Integer)
        else pa.string()
        for c in columns
    ]
    names = [c.key for c in columns]
    batches: list[pa.RecordBatch] = []
    cursor.execute(str(compiled), params)
    while found := cursor.fetchmany(FETCH_ROWS):
        values = list(zip(*found, strict=True))
        arrays = [pa.array(v, type=t) for v, t in zip(values, types, strict=True)]
        batches.append(pa.RecordBatch.from_arrays(arrays, names=names))
    schema = pa.schema(list(zip(names, types, strict=True)))
    return pa.Table.from_batches(batches, schema=schema)


def _read_sqlalchemy(
    workspace: Workspace, columns: list[ColumnElement[Any]], where: list[ColumnElement[bool]]
) -> pd.DataFrame:
    statement = select(*columns).where(*where)
    names = [c.key for c in columns]
    chunks: list[pd.DataFrame] = []
    with workspace.engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=100_000).execute(statement)
        for part in result.partitions(100_000):
            chunks.append(pd.DataFrame.from_records(part, columns=names))
    frame = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame(columns=names)
    for column in columns:
        if isinstance(column.type, Float):
            frame[column.key] = pd.to_numeric(frame[column.key], errors="coerce").astype("float64")
        elif isinstance(column.type, Integer):
            frame[column.key] = pd.to_numeric(frame[column.key], errors="coerce").astype("Int64")
        else:
            frame[column.key] = frame[column.key].astype("string")
    return frame

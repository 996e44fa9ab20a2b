"""Bring the workspace tables analytics needs into an in-process DuckDB database, in bulk.

SQLite workspaces: projects, actors and participations come from the columnar snapshot next to the
database (``snapshot.py``; saved first, in a child process, where it is missing or stale), memory-mapped
as Arrow tables; links and exchange rates, which are small, are read through the workspace's own
connection. Without a snapshot (``snapshot=False``, or none could be saved) the tables are read through
the ADBC SQLite driver straight into Arrow tables, on two read-only connections in two threads
(participations on one, the other tables on the other). Arrow tables are registered in DuckDB as they
are — scanned in place, not copied into DuckDB tables. Other databases (PostgreSQL) are read through
SQLAlchemy in chunks and handed to DuckDB as pandas frames. Only the columns analytics uses are read,
and the queries are SQLAlchemy expressions with bound parameters."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import (
    Float,
    Integer,
    Select,
    String,
    Text,
    case,
    cast,
    extract,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ColumnElement

from missionboard.analytics import snapshot as snapshots
from missionboard.store.tables import ActorRow, ExchangeRateRow, LinkRow, ParticipationRow, ProjectRow
from missionboard.store.workspace import Workspace

PROBE = "_probe"
SMALL = ("links", "rates")
"""The tables always read from the database (the rest come from the snapshot where there is one)."""
BATCH_ROWS = 262_144


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


def _probe_row(columns: list[ColumnElement[Any]]) -> Select[Any]:
    """A first row with a value of every column's type.

    The ADBC SQLite driver infers each column's Arrow type from the first rows it reads; a column
    that starts with NULLs would be typed wrongly. This row fixes the types and is dropped after.
    """
    values: list[ColumnElement[Any]] = []
    for column in columns:
        kind = column.type
        sample: object = 0.5 if isinstance(kind, Float) else 0 if isinstance(kind, Integer) else ""
        values.append(
            literal(sample, type_=kind if isinstance(kind, Float | Integer) else String()).label(column.key)
        )
    return select(literal(1, Integer).label(PROBE), *values)


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
    method = "adbc-sqlite" if workspace.is_sqlite and _adbc_available() else "sqlalchemy"
    if method == "adbc-sqlite":
        loaded = _load_snapshot(workspace) if snapshot else None
        if loaded is not None:
            return _from_snapshot(workspace, con, loaded, queries, taxonomy)
        tables = _read_tables(workspace.engine.url.database or ":memory:", workspace.engine.dialect, queries)
        for name in queries:
            con.register(name, tables[name])
            rows[name] = tables[name].num_rows
        return LoadStats(rows=rows, method=method, arrow=tables)
    else:
        for name, (columns, where) in queries.items():
            con.from_df(_read_sqlalchemy(workspace, columns, where)).create(name)
            rows[name] = len(con.table(name))
    return LoadStats(rows=rows, method=method)


Query = tuple[list[ColumnElement[Any]], list[ColumnElement[bool]]]


def _full_queries() -> dict[str, Query]:
    """The unfiltered queries of the large tables, the ones the snapshot holds."""
    return {
        "projects": (_projects(), []),
        "actors": (_actors(), []),
        "participations": (_participations(), []),
    }


def _signature(dialect: Dialect, queries: dict[str, Query]) -> str:
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
    return snapshots.load(workspace, _signature(_sqlite_dialect(), _full_queries()))


def refresh_snapshot(workspace: Workspace) -> snapshots.Loaded | None:
    """Make sure a SQLite workspace has a fresh snapshot (after an import, say); None where it has none."""
    if not (workspace.is_sqlite and _adbc_available()):
        return None
    return _load_snapshot(workspace)


def _from_snapshot(
    workspace: Workspace,
    con: duckdb.DuckDBPyConnection,
    loaded: snapshots.Loaded,
    queries: dict[str, Query],
    taxonomy: str | None,
) -> LoadStats:
    """The large tables from the snapshot; links and rates (small) through the workspace's connection.

    Not through ADBC: its SQLite library is a second copy in this process, and closing its connection
    would drop the POSIX locks of the workspace's own SQLite connections to the same file.
    """
    tables = dict(loaded.tables)
    rows: dict[str, int] = {}
    for name in SMALL:
        tables[name] = _read_sqlite3(workspace, *queries[name])
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


def build_snapshot(database: str) -> str | None:
    """Save the snapshot of the SQLite database at ``database``; its fingerprint, or None if not saved.

    Runs in a process of its own (``python -m missionboard.analytics.save_snapshot``) that opens the file
    only through ADBC, never also through the workspace's SQLite library.
    """
    dialect = _sqlite_dialect()
    queries = _full_queries()

    def run(statement: Select[Any]) -> tuple[Any, ...]:
        compiled = statement.compile(dialect=dialect)
        params = [compiled.params[key] for key in (compiled.positiontup or [])]
        connection = _adbc_connect(database)
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(str(compiled), params if params else None)
                found: tuple[Any, ...] = cursor.fetchone()
            finally:
                cursor.close()
        finally:
            connection.close()
        return found

    signature = _signature(dialect, queries)
    return snapshots.save_consistent(
        database,
        lambda: snapshots.fingerprint_with(run, signature),
        lambda: _read_tables(database, dialect, queries),
    )


def _sqlite_dialect() -> Dialect:
    from sqlalchemy.dialects import sqlite

    return sqlite.dialect()


def _read_tables(database: str, dialect: Dialect, queries: dict[str, Query]) -> dict[str, pa.Table]:
    """Read queries through ADBC: the participations on one connection, the rest on another.

    Two connections in two threads: the driver releases the GIL while SQLite reads.
    """
    groups = [
        names
        for names in (
            [n for n in queries if n == "participations"],
            [n for n in queries if n != "participations"],
        )
        if names
    ]
    connections = [_adbc_connect(database) for _ in groups]  # opened one after the other

    def read(connection: Any, names: list[str]) -> dict[str, pa.Table]:
        return {name: _read_adbc(connection, dialect, *queries[name]) for name in names}

    tables: dict[str, pa.Table] = {}
    try:
        with ThreadPoolExecutor(max_workers=len(groups)) as pool:
            for found in pool.map(read, connections, groups):
                tables.update(found)
    finally:
        for connection in connections:
            connection.close()
    return tables


def _adbc_available() -> bool:
    try:
        import adbc_driver_sqlite.dbapi  # noqa: F401
    except ImportError:
        return False
    return True


def _adbc_connect(database: str) -> Any:
    """A read-only ADBC connection.

    Read-only matters: ADBC links its own copy of SQLite, and a read-write connection that is the last
    one its copy knows of checkpoints and deletes the WAL file when it closes, under the feet of the
    workspace's connections in the same process (whose later writes were then lost, in a test).
    """
    import adbc_driver_sqlite.dbapi as adbc

    if database != ":memory:":
        database = f"file:{quote(os.path.abspath(database))}?mode=ro"
    connection = adbc.connect(database)
    cursor = connection.cursor()
    try:
        # wait for a moment's lock (another reader opening the database) instead of failing at once
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.fetchall()
    finally:
        cursor.close()
    return connection


def _read_adbc(
    connection: Any, dialect: Dialect, columns: list[ColumnElement[Any]], where: list[ColumnElement[bool]]
) -> pa.Table:
    statement = union_all(
        _probe_row(columns), select(literal(0, Integer).label(PROBE), *columns).where(*where)
    )
    compiled = statement.compile(dialect=dialect)
    params = [compiled.params[key] for key in (compiled.positiontup or [])]
    cursor = connection.cursor()
    try:
        # large batches: far fewer Arrow chunks for DuckDB to take in (4M rows: 16 chunks, not 3,900)
        cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(BATCH_ROWS)})
        cursor.execute(str(compiled), params if params else None)
        table: pa.Table = cursor.fetch_arrow_table()
    finally:
        cursor.close()
    probe = table.column(PROBE)
    if table.num_rows and probe[0].as_py() == 1 and pc.sum(probe).as_py() == 1:
        table = table.slice(1)  # the probe row came first, as SQLite returns UNION ALL: no copy
    else:
        table = table.filter(pc.equal(probe, 0))
    return table.drop_columns([PROBE])


def _read_sqlite3(
    workspace: Workspace, columns: list[ColumnElement[Any]], where: list[ColumnElement[bool]]
) -> pa.Table:
    """A small table through the workspace's own SQLite connection, straight into Arrow columns.

    The raw DB-API cursor, not SQLAlchemy's result rows and pandas: a fifth of the CPU time on 200,000
    links. The columns get the types ADBC gives them (int64, float64, string).
    """
    statement = select(*columns).where(*where)
    compiled = statement.compile(dialect=workspace.engine.dialect)
    params = [compiled.params[key] for key in (compiled.positiontup or [])]
    with workspace.engine.connect() as connection:
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            found = cursor.execute(str(compiled), params).fetchall()
        finally:
            cursor.close()
    values = list(zip(*found, strict=True)) if found else [() for _ in columns]
    arrays = [
        pa.array(
            column_values,
            type=pa.float64()
            if isinstance(column.type, Float)
            else pa.int64()
            if isinstance(column.type, Integer)
            else pa.string(),
        )
        for column, column_values in zip(columns, values, strict=True)
    ]
    return pa.Table.from_arrays(arrays, names=[c.key for c in columns])


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

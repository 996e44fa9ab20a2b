"""``python -m missionboard.analytics.save_snapshot DATABASE``: save the analytics snapshot of a SQLite file.

Analysis runs this in a child process when a snapshot is missing or stale (see ``snapshot.load``). It is
the only place that reads a workspace through ADBC, whose driver links its own copy of SQLite: that copy
must never open the workspace file in a process that also holds the workspace's own connections to it
(closing it drops their POSIX locks; the next process to close then deletes the WAL under them and
acknowledged writes are lost). ``adbc_connect`` refuses to open a file this process has opened as a
workspace, so the rule cannot be broken by accident.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Float, Integer, Select, String, literal, select, union_all
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ColumnElement

from missionboard.analytics import snapshot as snapshots
from missionboard.analytics.loader import Query, full_queries, signature, sqlite_dialect
from missionboard.errors import SecondSqliteLibrary as SecondSqliteLibrary  # re-exported: tests
from missionboard.store.workspace import sqlite_files_open_here

PROBE = "_probe"
BATCH_ROWS = 262_144


def main(argv: list[str]) -> int:
    """``python -m missionboard.analytics.save_snapshot DATABASE``: save the snapshot of a SQLite file."""
    if len(argv) != 1:
        print("usage: python -m missionboard.analytics.save_snapshot DATABASE", file=sys.stderr)
        return 2
    return 0 if build_snapshot(argv[0]) is not None else 3


def build_snapshot(database: str) -> str | None:
    """Save the snapshot of the SQLite database at ``database``; its fingerprint, or None if not saved."""
    dialect = sqlite_dialect()
    queries = full_queries()

    def run(statement: Select[Any]) -> tuple[Any, ...]:
        compiled = statement.compile(dialect=dialect)
        params = [compiled.params[key] for key in (compiled.positiontup or [])]
        connection = adbc_connect(database)
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

    stamp = signature(dialect, queries)
    return snapshots.save_consistent(
        database,
        lambda: snapshots.fingerprint_with(run, stamp),
        lambda: _read_tables(database, dialect, queries),
    )


def adbc_connect(database: str) -> Any:
    """A read-only ADBC connection to a file no workspace of this process has open.

    Read-only matters too: a read-write connection that is the last one ADBC's copy of SQLite knows of
    checkpoints and deletes the WAL file when it closes.
    """
    import adbc_driver_sqlite.dbapi as adbc  # only here: the analysing processes never load it

    if database != ":memory:":
        path = os.path.realpath(database)
        if path in sqlite_files_open_here():
            raise SecondSqliteLibrary(
                f"{database} is open as a workspace in this process: ADBC must not open it too "
                "(read it through the workspace's connection, or in a child process)"
            )
        database = f"file:{quote(path)}?mode=ro"
    connection = adbc.connect(database)
    cursor = connection.cursor()
    try:
        # wait for a moment's lock (another reader opening the database) instead of failing at once
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.fetchall()
    finally:
        cursor.close()
    return connection


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
    connections = [adbc_connect(database) for _ in groups]  # opened one after the other

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


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Bring the workspace tables analytics needs into an in-process DuckDB database, in bulk.

SQLite workspaces are read through the ADBC SQLite driver straight into Arrow tables, on two
connections in two threads (participations on one, the other tables on the other), and the Arrow
tables are registered in DuckDB as they are — scanned in place, not copied into DuckDB tables. Other
databases (PostgreSQL) are read through SQLAlchemy in chunks and handed to DuckDB as pandas frames.
Only the columns analytics uses are read, and the queries are SQLAlchemy expressions with bound
parameters.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Float, Integer, Select, String, Text, case, cast, extract, literal, select, union_all
from sqlalchemy.sql.elements import ColumnElement

from missionboard.store.tables import ActorRow, ExchangeRateRow, LinkRow, ParticipationRow, ProjectRow
from missionboard.store.workspace import Workspace

PROBE = "_probe"
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


def load_workspace(
    workspace: Workspace, con: duckdb.DuckDBPyConnection, *, taxonomy: str | None = None
) -> LoadStats:
    """Make tables (or registered Arrow views) projects, actors, participations, links, rates in ``con``.

    ``links`` holds only links that are not rejected. With a ``taxonomy``, only its links are read,
    and only the projects (and participations) they reach.
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
        # two connections in two threads (the driver releases the GIL while SQLite reads): the
        # participations on one, everything else on the other
        groups = [["participations"], [name for name in queries if name != "participations"]]

        connections = [_adbc_connect(workspace) for _ in groups]  # opened one after the other

        def read(connection: Any, names: list[str]) -> dict[str, pa.Table]:
            return {name: _read_adbc(connection, workspace, *queries[name]) for name in names}

        tables: dict[str, pa.Table] = {}
        try:
            with ThreadPoolExecutor(max_workers=len(groups)) as pool:
                for found in pool.map(read, connections, groups):
                    tables.update(found)
        finally:
            for connection in connections:
                connection.close()
        for name in queries:
            con.register(name, tables[name])
            rows[name] = tables[name].num_rows
        return LoadStats(rows=rows, method=method, arrow=tables)
    else:
        for name, (columns, where) in queries.items():
            con.from_df(_read_sqlalchemy(workspace, columns, where)).create(name)
            rows[name] = len(con.table(name))
    return LoadStats(rows=rows, method=method)


def _adbc_available() -> bool:
    try:
        import adbc_driver_sqlite.dbapi  # noqa: F401
    except ImportError:
        return False
    return True


def _adbc_connect(workspace: Workspace) -> Any:
    import adbc_driver_sqlite.dbapi as adbc

    database = workspace.engine.url.database or ":memory:"
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
    connection: Any, workspace: Workspace, columns: list[ColumnElement[Any]], where: list[ColumnElement[bool]]
) -> pa.Table:
    statement = union_all(
        _probe_row(columns), select(literal(0, Integer).label(PROBE), *columns).where(*where)
    )
    compiled = statement.compile(dialect=workspace.engine.dialect)
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

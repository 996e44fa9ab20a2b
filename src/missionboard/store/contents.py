"""What a workspace holds: how many records of each kind (``missionboard info``), and the input-row
fingerprints its projects were last written from (``projects.row_hash``, see ``ingest.fingerprints``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from missionboard.store import analytics_tables
from missionboard.store import tables as t
from missionboard.store.quick import COUNTED_TABLES

COUNTED = {name: t.Base.metadata.tables[table] for name, table in COUNTED_TABLES.items()}
LOOKUP_CHUNK = 500
"""Project ids per ``IN (…)`` lookup: well under SQLite's and PostgreSQL's parameter limits."""

PROJECTS = cast(Table, t.ProjectRow.__table__)
_SET_ROW_HASH = (
    update(PROJECTS)
    .where(PROJECTS.c.source == bindparam("key_source"), PROJECTS.c.source_id == bindparam("key_id"))
    .values(row_hash=bindparam("digest"))
)


def write_count(session: Session) -> int:
    """How many write transactions the workspace had committed when ``session`` began reading."""
    return analytics_tables.version(session, analytics_tables.CHANGES)


def portfolio_version(session: Session) -> int:
    """The portfolio's write counter: equal twice in a row, nothing was written to projects in between."""
    return analytics_tables.version(session)


def record_counts(session: Session) -> dict[str, int]:
    """Records per kind, in the order of ``COUNTED``."""
    return {name: session.scalar(select(func.count()).select_from(row)) or 0 for name, row in COUNTED.items()}


def has_projects(session: Session, source: str) -> bool:
    """Whether any project of ``source`` is stored."""
    query = select(PROJECTS.c.id).where(PROJECTS.c.source == source).limit(1)
    return session.execute(query).first() is not None


def has_row_hashes(session: Session, source: str) -> bool:
    """Whether any project of ``source`` has a stored fingerprint."""
    column = PROJECTS.c
    query = select(column.id).where(column.source == source, column.row_hash.is_not(None)).limit(1)
    return session.execute(query).first() is not None


def row_hashes(session: Session, source: str, source_ids: Sequence[str]) -> dict[str, str]:
    """The stored fingerprint of each of these projects of ``source`` that has one."""
    found: dict[str, str] = {}
    column = PROJECTS.c
    for start in range(0, len(source_ids), LOOKUP_CHUNK):
        chunk = source_ids[start : start + LOOKUP_CHUNK]
        query = select(column.source_id, column.row_hash).where(
            column.source == source, column.source_id.in_(chunk), column.row_hash.is_not(None)
        )
        for source_id, digest in session.execute(query):
            found[source_id] = digest
    return found


def set_row_hashes(session: Session, rows: Iterable[tuple[str, str, str | None]]) -> None:
    """Store ``(source, source_id, fingerprint or None)`` on the projects just written from those rows."""
    parameters = [{"key_source": s, "key_id": i, "digest": d} for s, i, d in rows]
    if parameters:
        session.connection().execute(_SET_ROW_HASH, parameters)

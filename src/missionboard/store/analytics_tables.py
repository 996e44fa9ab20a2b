"""Version counters of groups of tables, bumped in the same transaction as every write to them.

Analytics keeps a columnar snapshot of the portfolio tables next to a SQLite workspace and needs a
cheap, exact way to know that it is stale. A counter committed together with the write is exact
across connections and restarts (SQLite's ``PRAGMA data_version`` is not).
"""

from __future__ import annotations

from sqlalchemy import Integer, String, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from missionboard.store.tables import Base

PORTFOLIO = "portfolio"
"""The group of the projects, actors and participations tables."""
CHANGES = "changes"
"""Every write transaction of the workspace (``Workspace.transaction``): what caches of other processes
compare to know that something changed."""


class DataVersionRow(Base):
    __tablename__ = "data_versions"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


def bump(session: Session, name: str = PORTFOLIO) -> None:
    """Count one more write to the group ``name``, inside the caller's transaction."""
    result = session.execute(
        update(DataVersionRow).where(DataVersionRow.name == name).values(version=DataVersionRow.version + 1)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        session.execute(insert(DataVersionRow).values(name=name, version=1))


def count_change(session: Session) -> None:
    """Count one more write transaction (``CHANGES``), race-free on SQLite and PostgreSQL."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
    statement = upsert(DataVersionRow).values(name=CHANGES, version=1)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[DataVersionRow.name], set_={"version": DataVersionRow.version + 1}
        )
    )


def version(session: Session, name: str = PORTFOLIO) -> int:
    """The group's counter (0 before its first counted write)."""
    return session.scalar(select(DataVersionRow.version).where(DataVersionRow.name == name)) or 0

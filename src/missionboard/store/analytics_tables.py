"""Version counters of groups of tables, bumped in the same transaction as every write to them.

Analytics keeps a columnar snapshot of the portfolio tables next to a SQLite workspace and needs a
cheap, exact way to know that it is stale. A counter committed together with the write is exact
across connections and restarts (SQLite's ``PRAGMA data_version`` is not).

It also holds the tables of the workspace's shared themes (``theme_sets``, ``themes``, ``theme_members``):
computed once per corpus by ``analytics.theme_sets`` and read by ``themes`` and ``analyze`` alike, through
``store.analytics.ThemeStore``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, Text, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from missionboard.store.tables import Base, utcnow

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


# --- shared themes ------------------------------------------------------------------------------------


class ThemeSetRow(Base):
    """The published theme set of a corpus (``workspace``: every project), with the stamp of what it came
    from; its members are the ``theme_members`` rows of its ``generation``."""

    __tablename__ = "theme_sets"

    corpus: Mapped[str] = mapped_column(String(100), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer)
    k: Mapped[int] = mapped_column(Integer)
    space: Mapped[str] = mapped_column(Text)
    chosen_by: Mapped[dict[str, Any]] = mapped_column(JSON)
    distances: Mapped[list[list[float]]] = mapped_column(JSON)
    projects: Mapped[int] = mapped_column(Integer)
    fitted: Mapped[int] = mapped_column(Integer)
    max_project_id: Mapped[int] = mapped_column(Integer)
    data_version: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ThemeRow(Base):
    """A theme of the published set: its label keywords, size, and the term profile new projects are
    matched against."""

    __tablename__ = "themes"

    corpus: Mapped[str] = mapped_column(String(100), primary_key=True)
    theme: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    """``{"terms": [distinctive terms], "weights": {term: weight}}``: the label's source and the profile."""


class ThemeMemberRow(Base):
    """Which theme a project belongs to in one generation of a corpus's themes."""

    __tablename__ = "theme_members"

    corpus: Mapped[str] = mapped_column(String(100), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    theme: Mapped[int] = mapped_column(Integer)

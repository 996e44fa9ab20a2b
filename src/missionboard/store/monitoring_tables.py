"""Tables of the monitoring area: project progress reports (milestones, KPIs, spend).

Indicators, observations and decisions live in ``store/tables.py``; the monitoring migration
(``monitoring_0001``) adds this table and the triggers that keep the decision log append-only.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from missionboard.store.tables import Base, utcnow


class ProgressRow(Base):
    """One progress report line for a project.

    ``kind`` is ``milestone`` (``date`` = due date, ``completed`` = completion date),
    ``kpi`` (``date`` = reporting date, ``planned``/``actual`` values in ``unit``) or
    ``spend`` (``date`` = reporting date, cumulative ``planned``/``actual`` spend in ``unit`` = currency).
    Milestones are keyed by (project, name); KPI and spend lines by (project, name, date).
    """

    __tablename__ = "progress_reports"
    __table_args__ = (
        UniqueConstraint("project_id", "kind", "name", "date"),
        Index("ix_progress_reports_project", "project_id", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(500))
    date: Mapped[dt.date] = mapped_column(Date)
    planned: Mapped[float | None] = mapped_column(Float)
    actual: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(100))
    completed: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id", ondelete="SET NULL"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

"""Tables of the monitoring area: project progress reports (milestones, KPIs, spend), stage-gates, the
gate side of decisions, and appeals.

Indicators, observations and decisions live in ``store/tables.py``; the monitoring migrations add these
tables (``monitoring_0001``: progress; ``monitoring_0002``: gates, decision details, appeals) and the
triggers that keep the decision log and its details append-only.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from missionboard.store.tables import AMOUNT, Base, utcnow


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


class GateRow(Base):
    """A stage-gate scheduled for a project: its date, go/no-go criteria and the evidence required.

    Set at award and not edited afterwards; a pivot adds new gates instead of changing old ones.
    """

    __tablename__ = "gates"
    __table_args__ = (UniqueConstraint("project_id", "name"), Index("ix_gates_due", "due"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(200))
    due: Mapped[dt.date] = mapped_column(Date)
    criteria: Mapped[list[Any]] = mapped_column(JSON, default=list)
    evidence: Mapped[list[Any]] = mapped_column(JSON, default=list)
    set_by: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DecisionDetailRow(Base):
    """The stage-gate side of one decision, written with it and, like it, never changed.

    ``criteria`` is ``[{"criterion", "met"}]``; ``amount`` is the money a scale added or a stop released
    (``paid`` is what the stop found paid by ``decided_on``); ``before`` holds the project's status, end and
    budget before the decision acted, so that an appeal that overturns it can put them back.
    """

    __tablename__ = "decision_details"

    decision_id: Mapped[int] = mapped_column(
        ForeignKey("decisions.id", ondelete="RESTRICT"), primary_key=True
    )
    gate_id: Mapped[int | None] = mapped_column(ForeignKey("gates.id", ondelete="RESTRICT"), index=True)
    decided_on: Mapped[dt.date] = mapped_column(Date)
    criteria: Mapped[list[Any]] = mapped_column(JSON, default=list)
    plan: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[Decimal | None] = mapped_column(AMOUNT)
    currency: Mapped[str | None] = mapped_column(String(3))
    paid: Mapped[Decimal | None] = mapped_column(AMOUNT)
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AppealRow(Base):
    """An appeal against a decision: lodged (by, reason, when), then ruled on once (upheld/overturned)."""

    __tablename__ = "decision_appeals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id", ondelete="RESTRICT"), index=True)
    by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    lodged_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    outcome: Mapped[str | None] = mapped_column(String(20))
    ruled_by: Mapped[str | None] = mapped_column(String(200))
    ruling: Mapped[str | None] = mapped_column(Text)
    ruled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

"""The landscape summary tables (per mission objective: activity by year, organisation, country and field).

The heavy data stay in the Parquet files ``landscape map`` writes; these hold what ``landscape analyze``
summed up from them, per run. A run keeps its row (input, time, counts) as history; the summary rows
of a mission belong to its latest run only: an analysis deletes the earlier ones in its transaction.
Core tables, as they are written in bulk and read whole.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from missionboard.store.tables import Base, utcnow

LANDSCAPE_RUNS = Table(
    "landscape_runs",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("mission_id", ForeignKey("missions.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("taxonomy", String(100), nullable=False),
    Column("input", Text, nullable=False, doc="The folder of Parquet files read"),
    Column("min_score", Float, nullable=False),
    Column("recent_years", Integer, nullable=False),
    Column("top", Integer, nullable=False),
    Column("latest_year", Integer, nullable=True),
    Column("analyzed_by", String(200), nullable=False),
    Column("analyzed_at", DateTime(timezone=True), nullable=False, default=utcnow),
    Column("seconds", Float, nullable=False),
    Column("files", Integer, nullable=False),
    Column("records_read", BigInteger, nullable=False),
    Column("records", BigInteger, nullable=False),
    Column("money", Float, nullable=False, doc="EUR"),
    Column("other_labels", BigInteger, nullable=False),
    Column("portfolio_projects", Integer, nullable=False),
    Column("portfolio_money", Float, nullable=False, doc="EUR"),
    Column("portfolio_unconverted", Integer, nullable=False),
)
"""One row per ``landscape analyze`` of a mission: what it read, when, by whom, and its totals."""

LANDSCAPE_OBJECTIVES = Table(
    "landscape_objectives",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", ForeignKey("landscape_runs.id", ondelete="CASCADE"), nullable=False),
    Column("objective", String(100), nullable=False),
    Column("position", Integer, nullable=False, doc="The objective's place in the mission"),
    Column("records", BigInteger, nullable=False),
    Column("money", Float, nullable=False),
    Column("records_with_money", BigInteger, nullable=False),
    Column("organisations", BigInteger, nullable=False),
    Column("outside_portfolio", BigInteger, nullable=False),
    Column("newcomers", BigInteger, nullable=False),
    Column("countries", Integer, nullable=False),
    Column("fields", Integer, nullable=False),
    Column("recent_records", BigInteger, nullable=False),
    Column("earlier_records", BigInteger, nullable=False),
    Column("recent_money", Float, nullable=False),
    Column("earlier_money", Float, nullable=False),
    Column("portfolio_projects", Integer, nullable=False),
    Column("portfolio_money", Float, nullable=False),
    UniqueConstraint("run_id", "objective"),
)
"""Each objective's totals in the landscape, beside the portfolio's."""

LANDSCAPE_ACTIVITY = Table(
    "landscape_activity",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", ForeignKey("landscape_runs.id", ondelete="CASCADE"), nullable=False),
    Column("objective", String(100), nullable=False),
    Column("dimension", String(20), nullable=False, doc="year, country or field"),
    Column("value", String(500), nullable=False),
    Column("records", BigInteger, nullable=False),
    Column("money", Float, nullable=False),
    Column("position", Integer, nullable=False),
    Index("ix_landscape_activity_run", "run_id", "objective", "dimension", "position"),
)
"""An objective's records and money by year (all), country (all) and field (the most active)."""

LANDSCAPE_ORGANISATIONS = Table(
    "landscape_organisations",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", ForeignKey("landscape_runs.id", ondelete="CASCADE"), nullable=False),
    Column("objective", String(100), nullable=False),
    Column("key", String(500), nullable=False, doc="The normalised name organisations are matched on"),
    Column("name", String(500), nullable=False),
    Column("records", BigInteger, nullable=False),
    Column("money", Float, nullable=False),
    Column("first_year", Integer, nullable=True),
    Column("in_portfolio", Boolean, nullable=False),
    Column("newcomer", Boolean, nullable=False),
    Column("actor_id", ForeignKey("actors.id", ondelete="SET NULL"), nullable=True),
    Column("position", Integer, nullable=False, doc="Rank among the objective's organisations"),
    Index("ix_landscape_organisations_run", "run_id", "objective", "position"),
)
"""The most active organisations of an objective: overall, outside the portfolio and newcomers."""

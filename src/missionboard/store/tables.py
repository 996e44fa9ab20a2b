"""The workspace schema. Alembic migrations in ``migrations/versions`` create exactly these tables.

Conventions: surrogate integer keys for rows that other rows point to, natural unique keys beside them
(``(source, source_id)`` for projects, ``(scheme, value)`` for actor identifiers); JSON columns for
lists and evidence that are read whole; amounts as ``Numeric`` with their currency beside them.

The annotations are evaluated as each class is made (this module has no ``from __future__ import
annotations``): SQLAlchemy then takes each ``Mapped[…]`` as it is instead of evaluating its text, which
took 5-8 ms of the start of every command that opens a workspace. A class named before it is defined
is written as a string (``Mapped[list["MissionVersionRow"]]``).
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

AMOUNT = Numeric(20, 2)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


# --- missions ---------------------------------------------------------------------------------


class MissionRow(Base):
    __tablename__ = "missions"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    owner: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    current_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    versions: Mapped[list["MissionVersionRow"]] = relationship(
        back_populates="mission", order_by="MissionVersionRow.version"
    )


class MissionVersionRow(Base):
    __tablename__ = "mission_versions"
    __table_args__ = (UniqueConstraint("mission_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mission_id: Mapped[str] = mapped_column(ForeignKey("missions.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    yaml_text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    comment: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(500), default="", doc="File name, 'edit', 'web' …")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    mission: Mapped[MissionRow] = relationship(back_populates="versions")


# --- indicators -------------------------------------------------------------------------------


class IndicatorRow(Base):
    __tablename__ = "indicators"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(500))
    unit: Mapped[str] = mapped_column(String(100))
    source: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)


class ObservationRow(Base):
    __tablename__ = "observations"
    __table_args__ = (
        UniqueConstraint("indicator_id", "year", "date", "geography", "source", "revision"),
        Index("ix_observations_series", "indicator_id", "geography", "year"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[str] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    date: Mapped[dt.date | None] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    geography: Mapped[str] = mapped_column(String(100), default="")
    source: Mapped[str] = mapped_column(String(500), default="")
    note: Mapped[str | None] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- portfolio --------------------------------------------------------------------------------


class ProjectRow(Base):
    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("source", "source_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    source_id: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(Text)
    abstract: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(20))
    titles: Mapped[list[Any]] = mapped_column(JSON, default=list)
    abstracts: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # no index of its own: ix_web_projects_funder_programme (funder, programme) serves lookups by funder
    funder: Mapped[str | None] = mapped_column(String(500))
    programme: Mapped[str | None] = mapped_column(String(500), index=True)
    instrument: Mapped[str | None] = mapped_column(String(40))
    funding_scheme: Mapped[str | None] = mapped_column(String(300))
    budget_amount: Mapped[Decimal | None] = mapped_column(AMOUNT)
    budget_currency: Mapped[str | None] = mapped_column(String(3))
    public_amount: Mapped[Decimal | None] = mapped_column(AMOUNT)
    public_currency: Mapped[str | None] = mapped_column(String(3))
    cofunding_amount: Mapped[Decimal | None] = mapped_column(AMOUNT)
    cofunding_currency: Mapped[str | None] = mapped_column(String(3))
    start: Mapped[dt.date | None] = mapped_column(Date)
    end: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="unknown")
    trl: Mapped[int | None] = mapped_column(Integer)
    stage: Mapped[str | None] = mapped_column(String(20))
    countries: Mapped[list[Any]] = mapped_column(JSON, default=list)
    regions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    sectors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    topics: Mapped[list[Any]] = mapped_column(JSON, default=list)
    source_labels: Mapped[list[Any]] = mapped_column(JSON, default=list)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    discipline: Mapped[str | None] = mapped_column(
        String(500), doc="The main discipline (see project_disciplines)"
    )
    gender_marker: Mapped[str | None] = mapped_column(String(20), doc="OECD DAC gender equality marker")
    lead_gender: Mapped[str | None] = mapped_column(String(20))
    content_hash: Mapped[str] = mapped_column(String(64), doc="SHA-256 of the normalised record")
    row_hash: Mapped[str | None] = mapped_column(
        String(32),
        doc="Fingerprint of the input row this project was last written from (see ingest.fingerprints): "
        "a re-import skips a row whose fingerprint is this one without reading it further; NULL where none",
    )
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProjectCoFundingRow(Base):
    """A project's co-funding by source, one row per source in the order the source lists them."""

    __tablename__ = "project_cofunding"
    __table_args__ = (UniqueConstraint("project_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    source_type: Mapped[str] = mapped_column(String(20), index=True)
    funder: Mapped[str | None] = mapped_column(String(500))
    amount: Mapped[Decimal | None] = mapped_column(AMOUNT)
    currency: Mapped[str | None] = mapped_column(String(3))


class ProjectConditionRow(Base):
    """A condition or reward-sharing term on a project's funding."""

    __tablename__ = "project_conditions"
    __table_args__ = (UniqueConstraint("project_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    share: Mapped[float | None] = mapped_column(Float)


class ProjectDisciplineRow(Base):
    """A discipline of a project (position 0 is the main one) with its broad OECD area, where known."""

    __tablename__ = "project_disciplines"
    __table_args__ = (UniqueConstraint("project_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    discipline: Mapped[str] = mapped_column(String(500))
    area: Mapped[str | None] = mapped_column(String(30), index=True)


class ActorRow(Base):
    __tablename__ = "actors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(500))
    normalized_name: Mapped[str] = mapped_column(String(500), index=True)
    helix: Mapped[str | None] = mapped_column(String(20))
    sector: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ActorIdentifierRow(Base):
    __tablename__ = "actor_identifiers"
    __table_args__ = (UniqueConstraint("scheme", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    scheme: Mapped[str] = mapped_column(String(50))
    value: Mapped[str] = mapped_column(String(300))


class ActorAliasRow(Base):
    __tablename__ = "actor_aliases"
    __table_args__ = (UniqueConstraint("actor_id", "source", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # no index of its own: the unique (actor_id, source, name) index serves lookups by actor
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(500))


class ParticipationRow(Base):
    __tablename__ = "participations"
    __table_args__ = (UniqueConstraint("project_id", "actor_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # no index of its own: the unique (project_id, actor_id, role) index serves lookups by project
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal | None] = mapped_column(AMOUNT)
    currency: Mapped[str | None] = mapped_column(String(3))
    share: Mapped[float | None] = mapped_column(Float)


class ExchangeRateRow(Base):
    """Imported by the user (``rates import``); never fetched from the network."""

    __tablename__ = "exchange_rates"
    __table_args__ = (UniqueConstraint("currency", "reporting_currency", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    reporting_currency: Mapped[str] = mapped_column(String(3))
    year: Mapped[int] = mapped_column(Integer)
    rate: Mapped[float] = mapped_column(Float, doc="Units of reporting currency per unit of currency")
    source: Mapped[str | None] = mapped_column(String(500))


# --- mapping ----------------------------------------------------------------------------------


class TaxonomyRow(Base):
    __tablename__ = "taxonomies"

    code: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class GoalRow(Base):
    __tablename__ = "goals"
    __table_args__ = (UniqueConstraint("taxonomy_code", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    taxonomy_code: Mapped[str] = mapped_column(ForeignKey("taxonomies.code", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    parent: Mapped[str | None] = mapped_column(String(100))
    queries: Mapped[list[Any]] = mapped_column(JSON, default=list)
    examples: Mapped[list[Any]] = mapped_column(JSON, default=list)
    definition: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    """What counts and what does not (``GoalDefinition`` as JSON); NULL for a goal without one."""


class LinkRow(Base):
    __tablename__ = "links"
    __table_args__ = (
        UniqueConstraint("project_id", "taxonomy", "goal"),
        Index("ix_links_taxonomy_goal", "taxonomy", "goal", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    taxonomy: Mapped[str] = mapped_column(String(100))
    goal: Mapped[str] = mapped_column(String(100))
    score: Mapped[float] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(20))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    reviewer: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    text_hash: Mapped[str | None] = mapped_column(
        String(64), doc="Hash of the text the score was computed on"
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- decisions, imports, audit -----------------------------------------------------------------


class DecisionRow(Base):
    """Append-only: the store never updates or deletes a decision."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="RESTRICT"), index=True)
    decision: Mapped[str] = mapped_column(String(20))
    rationale: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    by: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ImportRunRow(Base):
    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    format: Mapped[str] = mapped_column(String(40))
    source: Mapped[str | None] = mapped_column(String(200))
    files: Mapped[list[Any]] = mapped_column(JSON, default=list)
    read: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    user: Mapped[str] = mapped_column(String(200))
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditEventRow(Base):
    """Append-only log of writes: who, when, what, before → after."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    entity: Mapped[str] = mapped_column(String(100))
    entity_id: Mapped[str] = mapped_column(String(300))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


# --- learning log ----------------------------------------------------------------------------


class LearningNoteRow(Base):
    """A note in a mission's learning log: a pattern, pivot, lesson, risk or decision note."""

    __tablename__ = "learning_notes"
    __table_args__ = (Index("ix_learning_notes_mission", "mission_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mission_id: Mapped[str] = mapped_column(ForeignKey("missions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    round: Mapped[str | None] = mapped_column(String(80))


class LearningNoteLinkRow(Base):
    """What a note is about: an objective, outcome, project or decision (``target_id`` as text)."""

    __tablename__ = "learning_note_links"
    __table_args__ = (
        UniqueConstraint("note_id", "target_kind", "target_id"),
        Index("ix_learning_note_links_target", "target_kind", "target_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("learning_notes.id", ondelete="CASCADE"))
    target_kind: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[str] = mapped_column(String(300))


class ReviewRoundRow(Base):
    """A review round closed on a mission: the portfolio and each objective's status at that moment
    (``objectives`` is ``[{"objective", "title", "status", "probability"}]``)."""

    __tablename__ = "review_rounds"
    __table_args__ = (UniqueConstraint("mission_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mission_id: Mapped[str] = mapped_column(ForeignKey("missions.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    closed_by: Mapped[str] = mapped_column(String(200))
    closed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    projects: Mapped[int] = mapped_column(Integer)
    money: Mapped[float] = mapped_column(Float)
    currency: Mapped[str | None] = mapped_column(String(3))
    objectives: Mapped[list[Any]] = mapped_column(JSON, default=list)

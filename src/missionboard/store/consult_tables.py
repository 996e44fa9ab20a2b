"""Tables of consultations: the consultation, its invitations, responses and flood-limit bookkeeping.

Secrets are never stored: invitation tokens, receipt codes and client keys only as SHA-256 digests.
The ``consult_0001`` migration creates the first four tables, ``consult_0002`` the report-back's two.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from missionboard.store.tables import Base, utcnow


class ConsultationRow(Base):
    __tablename__ = "consultations"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    mission_id: Mapped[str] = mapped_column(ForeignKey("missions.id", ondelete="CASCADE"), index=True)
    mission_version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    purpose: Mapped[str] = mapped_column(Text)
    opens_on: Mapped[dt.date] = mapped_column(Date)
    closes_on: Mapped[dt.date] = mapped_column(Date)
    audience: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(10))
    questions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    client_secret: Mapped[str | None] = mapped_column(
        String(64), doc="Keys the hashes of senders' addresses while open; erased with them at closing"
    )


class InvitationRow(Base):
    """An invitation link; ``label`` is the owner's note of who got it (personal data, erasable)."""

    __tablename__ = "consultation_invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[str] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    helix: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ResponseRow(Base):
    __tablename__ = "consultation_responses"
    __table_args__ = (Index("ix_consultation_responses_client", "consultation_id", "client_key_sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[str] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    receipt_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(20))
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation_invitations.id", ondelete="SET NULL")
    )
    client_key_sha256: Mapped[str | None] = mapped_column(String(64))
    helix: Mapped[str] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(10))
    answers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    ratings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    proposals: Mapped[list[Any]] = mapped_column(JSON, default=list)
    consented_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    adopted: Mapped[list[Any]] = mapped_column(JSON, default=list)


class SubmissionLogRow(Base):
    """When a (hashed) client key sent a public response: what flooding limits count. Purged after a day."""

    __tablename__ = "consultation_submission_log"
    __table_args__ = (
        Index("ix_consultation_submission_log_at", "consultation_id", "at"),
        Index("ix_consultation_submission_log_client", "client_key_sha256", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[str] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    client_key_sha256: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProposalAnswerRow(Base):
    """What the organisers did with one proposal: declined or considered, and why (adopted proposals
    are marked on their response and may carry a note here too). Read by the report-back page."""

    __tablename__ = "consultation_proposal_answers"
    __table_args__ = (UniqueConstraint("consultation_id", "response_id", "proposal_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[str] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    response_id: Mapped[int] = mapped_column(ForeignKey("consultation_responses.id", ondelete="CASCADE"))
    proposal_index: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    answered_by: Mapped[str] = mapped_column(String(200))
    answered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReportBackRow(Base):
    """The organisers' published account of what was done with a closed consultation's input."""

    __tablename__ = "consultation_report_backs"

    consultation_id: Mapped[str] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), primary_key=True
    )
    summary: Mapped[str] = mapped_column(Text)
    published_by: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

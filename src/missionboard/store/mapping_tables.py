"""Tables of the mapping area: the embedding cache (by text hash) and trained supervised models."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from missionboard.store.tables import Base, utcnow


class EmbeddingRow(Base):
    """A text's vector under one model, keyed by the SHA-256 of the text (float16 bytes)."""

    __tablename__ = "mapping_embeddings"

    text_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(80), primary_key=True)
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MappingModelRow(Base):
    """The supervised model of a taxonomy, as plain numbers (JSON), with how it was trained."""

    __tablename__ = "mapping_models"

    taxonomy: Mapped[str] = mapped_column(String(100), primary_key=True)
    model: Mapped[dict[str, Any]] = mapped_column()
    examples: Mapped[int] = mapped_column(Integer)
    trained_by: Mapped[str] = mapped_column(String(200))
    trained_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ScoredRow(Base):
    """That a project was scored for a taxonomy, on which text and with which taxonomy/model version.

    ``map`` skips a project whose text hash and fingerprint are unchanged (a project that got no link
    has no link row to carry its text hash, so this table remembers it).
    """

    __tablename__ = "mapping_scored"

    taxonomy: Mapped[str] = mapped_column(String(100), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    text_hash: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    scored_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

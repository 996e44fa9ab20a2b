"""Tables of the review queue's collaboration: comments on links, and queues assigned to a colleague."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from missionboard.store.tables import Base, utcnow


class LinkCommentRow(Base):
    """A reviewer's comment on a proposed (or reviewed) link; it goes with the link."""

    __tablename__ = "link_comments"
    __table_args__ = (Index("ix_link_comments_link", "link_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("links.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReviewAssignmentRow(Base):
    """A mission's review queue (or one goal's part of it) handed to a colleague until they finish it."""

    __tablename__ = "review_assignments"
    __table_args__ = (Index("ix_review_assignments_assignee", "assignee", "done_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mission_id: Mapped[str] = mapped_column(ForeignKey("missions.id", ondelete="CASCADE"), index=True)
    assignee: Mapped[str] = mapped_column(String(100))
    assigned_by: Mapped[str] = mapped_column(String(200))
    goal: Mapped[str | None] = mapped_column(String(100), doc="None: the mission's whole queue")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    open_key: Mapped[str | None] = mapped_column(
        String(400),
        unique=True,
        doc="mission, goal and assignee while open, NULL once done: at most one open assignment of each "
        "(a unique constraint on the three would not do, as a NULL goal never equals another)",
    )

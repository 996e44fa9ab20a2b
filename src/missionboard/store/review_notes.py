"""The review queue's collaboration in SQL: comments on links and assigned queues, inside the caller's
transaction."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from missionboard.domain.common import utc_aware
from missionboard.errors import AlreadyExists, NotFound
from missionboard.store.progress import chunked
from missionboard.store.review_tables import LinkCommentRow, ReviewAssignmentRow


@dataclass(frozen=True)
class LinkComment:
    """A comment on a link, by whom and when (UTC)."""

    id: int
    link_id: int
    author: str
    text: str
    created_at: dt.datetime

    def to_dict(self) -> dict[str, str | int]:
        return {
            "id": self.id,
            "link_id": self.link_id,
            "author": self.author,
            "text": self.text,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class ReviewAssignment:
    """A mission's review queue, or one goal's part of it (``goal``), handed to ``assignee``; open until
    ``done_at``."""

    id: int
    mission_id: str
    assignee: str
    assigned_by: str
    goal: str | None
    created_at: dt.datetime
    done_at: dt.datetime | None

    @property
    def is_open(self) -> bool:
        return self.done_at is None

    def to_dict(self) -> dict[str, str | int | None]:
        return {
            "id": self.id,
            "mission": self.mission_id,
            "assignee": self.assignee,
            "assigned_by": self.assigned_by,
            "goal": self.goal,
            "created_at": self.created_at.isoformat(),
            "done_at": self.done_at.isoformat() if self.done_at else None,
        }


def open_key(mission_id: str, goal: str | None, assignee: str) -> str:
    """What the unique ``open_key`` column holds while an assignment is open."""
    return f"{mission_id}\x1f{goal or ''}\x1f{assignee}"


def already_assigned(mission_id: str, goal: str | None, assignee: str) -> str:
    """The message for a second open assignment of one queue to one person."""
    queue = f"goal '{goal}' of mission '{mission_id}'" if goal else f"mission '{mission_id}'"
    return f"{assignee} already has an open assignment to review {queue}; finish it first"


class ReviewNotesStore:
    """Reads and writes comments on links and review assignments."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # --- comments ----------------------------------------------------------------------------------

    def add_comment(self, link_id: int, text: str, *, author: str, created_at: dt.datetime) -> LinkComment:
        row = LinkCommentRow(link_id=link_id, author=author, text=text, created_at=created_at)
        self.session.add(row)
        self.session.flush()
        return _comment(row)

    def comments(self, link_ids: Sequence[int]) -> dict[int, list[LinkComment]]:
        """The comments on each link of ``link_ids`` that has any, oldest first."""
        found: dict[int, list[LinkComment]] = defaultdict(list)
        for chunk in chunked(sorted(set(link_ids))):
            query = (
                select(LinkCommentRow)
                .where(LinkCommentRow.link_id.in_(chunk))
                .order_by(LinkCommentRow.created_at, LinkCommentRow.id)
            )
            for row in self.session.scalars(query):
                found[row.link_id].append(_comment(row))
        return dict(found)

    # --- assignments -------------------------------------------------------------------------------

    def open_assignment(self, mission_id: str, goal: str | None, assignee: str) -> ReviewAssignment | None:
        row = self.session.scalar(
            select(ReviewAssignmentRow).where(
                ReviewAssignmentRow.open_key == open_key(mission_id, goal, assignee)
            )
        )
        return None if row is None else _assignment(row)

    def add_assignment(
        self, mission_id: str, assignee: str, *, goal: str | None, assigned_by: str, created_at: dt.datetime
    ) -> ReviewAssignment:
        row = ReviewAssignmentRow(
            mission_id=mission_id,
            assignee=assignee,
            assigned_by=assigned_by,
            goal=goal,
            created_at=created_at,
            open_key=open_key(mission_id, goal, assignee),
        )
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError as error:  # another transaction assigned the same queue since this one looked
            raise AlreadyExists(already_assigned(mission_id, goal, assignee)) from error
        return _assignment(row)

    def assignment(self, assignment_id: int) -> ReviewAssignment:
        row = self.session.get(ReviewAssignmentRow, assignment_id)
        if row is None:
            raise NotFound(f"no review assignment with id {assignment_id}")
        return _assignment(row)

    def assignments(
        self, *, assignee: str | None, mission_id: str | None, open_only: bool
    ) -> list[ReviewAssignment]:
        """Assignments, oldest first, of ``assignee`` and ``mission_id`` where given; only open ones
        where ``open_only``."""
        query = select(ReviewAssignmentRow)
        if assignee is not None:
            query = query.where(ReviewAssignmentRow.assignee == assignee)
        if mission_id is not None:
            query = query.where(ReviewAssignmentRow.mission_id == mission_id)
        if open_only:
            query = query.where(ReviewAssignmentRow.done_at.is_(None))
        query = query.order_by(ReviewAssignmentRow.created_at, ReviewAssignmentRow.id)
        return [_assignment(row) for row in self.session.scalars(query)]

    def finish(self, assignment_id: int, *, at: dt.datetime) -> ReviewAssignment:
        row = self.session.get(ReviewAssignmentRow, assignment_id)
        if row is None:
            raise NotFound(f"no review assignment with id {assignment_id}")
        row.done_at = at
        row.open_key = None
        self.session.flush()
        return _assignment(row)


def _comment(row: LinkCommentRow) -> LinkComment:
    return LinkComment(
        id=row.id,
        link_id=row.link_id,
        author=row.author,
        text=row.text,
        created_at=utc_aware(row.created_at),
    )


def _assignment(row: ReviewAssignmentRow) -> ReviewAssignment:
    return ReviewAssignment(
        id=row.id,
        mission_id=row.mission_id,
        assignee=row.assignee,
        assigned_by=row.assigned_by,
        goal=row.goal,
        created_at=utc_aware(row.created_at),
        done_at=utc_aware(row.done_at) if row.done_at else None,
    )

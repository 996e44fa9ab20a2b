"""Working on the review queue together: comments on links, and a mission's queue (or one goal's part of
it) assigned to a colleague who holds the reviewer role, until they finish it.

Who may write is checked by the interfaces (``web/actions.py``): reviewers comment, editors, owners and
admins assign. This module checks what the data must satisfy: the link and the mission exist, the goal is
one of the mission's, the assignee may review it, and a queue is open at most once per person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from missionboard.errors import AlreadyExists, EditConflict, InputError, Problem
from missionboard.services.accounts import RANK, Role
from missionboard.store import audit
from missionboard.store.accounts import AccountStore
from missionboard.store.explorer import ExplorerStore
from missionboard.store.missions import MissionStore
from missionboard.store.review_notes import LinkComment, ReviewAssignment, ReviewNotesStore, already_assigned
from missionboard.store.workspace import Session, Workspace

__all__ = [
    "COMMENT_LIMIT",
    "LinkComment",
    "ReviewAssignment",
    "assign",
    "assignment",
    "assignments",
    "comment",
    "comments",
    "finish",
]

COMMENT_LIMIT = 2000
"""The longest comment, in characters."""


# --- comments --------------------------------------------------------------------------------------


def comment(workspace: Workspace, link_id: int, text: str, *, user: str) -> LinkComment:
    """Comment on a link (1 to ``COMMENT_LIMIT`` characters, spaces around trimmed); audited, in one
    transaction. Raises ``NotFound`` for an unknown link, ``InputError`` for an empty or long text."""
    cleaned = text.strip()
    if not cleaned:
        raise InputError(Problem("", None, "text", "write a comment first"))
    if len(cleaned) > COMMENT_LIMIT:
        raise InputError(
            Problem(
                "", None, "text", f"a comment has at most {COMMENT_LIMIT:,} characters ({len(cleaned):,})"
            )
        )
    with workspace.transaction() as session:
        ExplorerStore(session).link(link_id)  # NotFound for an unknown link
        added = ReviewNotesStore(session).add_comment(link_id, cleaned, author=user, created_at=_now())
        audit.record(
            session,
            actor=user,
            action="review.comment",
            entity="link_comment",
            entity_id=str(added.id),
            after=added.to_dict(),
        )
        return added


def comments(workspace: Workspace, link_ids: Collection[int]) -> dict[int, list[LinkComment]]:
    """The comments on each of ``link_ids``, oldest first; links without any are left out."""
    if not link_ids:
        return {}
    with workspace.reading() as session:
        return ReviewNotesStore(session).comments(sorted(link_ids))


# --- assignments -----------------------------------------------------------------------------------


def assign(
    workspace: Workspace, mission_id: str, assignee: str, *, goal: str | None = None, user: str
) -> ReviewAssignment:
    """Hand a mission's review queue (or only its links to ``goal``, an objective or outcome of the
    mission) to ``assignee``, who must hold the reviewer role on the mission or be an admin; audited, in
    one transaction. ``AlreadyExists`` where the same queue is open for them already."""
    chosen = (goal or "").strip() or None
    with workspace.transaction() as session:
        mission = MissionStore(session).get(mission_id).mission
        if chosen is not None and chosen not in {o.id for o in mission.objectives} | {
            o.id for o in mission.outcomes
        }:
            raise InputError(
                Problem("", None, "goal", f"'{chosen}' is no objective or outcome of mission '{mission.id}'")
            )
        _require_reviewer(session, mission.id, assignee)
        store = ReviewNotesStore(session)
        if store.open_assignment(mission.id, chosen, assignee) is not None:
            raise AlreadyExists(already_assigned(mission.id, chosen, assignee))
        added = store.add_assignment(mission.id, assignee, goal=chosen, assigned_by=user, created_at=_now())
        audit.record(
            session,
            actor=user,
            action="review.assign",
            entity="review_assignment",
            entity_id=str(added.id),
            after=added.to_dict(),
        )
        return added


def assignment(workspace: Workspace, assignment_id: int) -> ReviewAssignment:
    """One assignment, or ``NotFound``."""
    with workspace.reading() as session:
        return ReviewNotesStore(session).assignment(assignment_id)


def assignments(
    workspace: Workspace,
    *,
    assignee: str | None = None,
    mission_id: str | None = None,
    open_only: bool = True,
) -> list[ReviewAssignment]:
    """Assignments, oldest first: of ``assignee`` and of ``mission_id`` where given, open ones only
    unless ``open_only`` is False."""
    with workspace.reading() as session:
        return ReviewNotesStore(session).assignments(
            assignee=assignee, mission_id=mission_id, open_only=open_only
        )


def finish(workspace: Workspace, assignment_id: int, *, user: str) -> ReviewAssignment:
    """Mark an assignment done; audited, in one transaction. ``EditConflict`` where it is done already."""
    with workspace.transaction() as session:
        store = ReviewNotesStore(session)
        before = store.assignment(assignment_id)
        if not before.is_open:
            raise EditConflict(f"review assignment {assignment_id} was finished already")
        after = store.finish(assignment_id, at=_now())
        audit.record(
            session,
            actor=user,
            action="review.finish",
            entity="review_assignment",
            entity_id=str(assignment_id),
            before=before.to_dict(),
            after=after.to_dict(),
        )
        return after


def _require_reviewer(session: Session, mission_id: str, username: str) -> None:
    """Refuse (422, naming the user) an assignee who may not review the mission's links."""
    accounts = AccountStore(session)
    user = accounts.find(username)
    if user is None:
        why = "is no user of this workspace"
    elif not user.is_active:
        why = "is disabled"
    else:
        held = dict(accounts.roles(user.id)).get(mission_id)
        if user.is_admin or (held is not None and RANK[Role(held)] >= RANK[Role.REVIEWER]):
            return
        why = "does not hold the reviewer role (or a higher one) on it"
    raise InputError(
        Problem("", None, "assignee", f"cannot assign mission '{mission_id}' to {username}: {username} {why}")
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)

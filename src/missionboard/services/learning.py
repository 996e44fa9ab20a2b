"""The learning log of a mission: notes on patterns, pivots, lessons, risks and decisions, linked to what
they are about; and review rounds, named snapshots of the board that can be compared.

A round's figures come from the other use cases, so that it says what every view said when it was
closed: the portfolio (``services.portfolio``, the one portfolio rule) and the monitoring board
(``services.monitoring``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from missionboard.domain.common import row_number
from missionboard.domain.learning import (
    LearningNote,
    LinkKind,
    NoteKind,
    NoteLink,
    ObjectiveSnapshot,
    ReviewRound,
    RoundComparison,
    compare,
    goal_links,
    note_kind,
    note_text,
    round_name,
)
from missionboard.domain.missions import Mission
from missionboard.errors import AlreadyExists, InputError, NotFound, Problem
from missionboard.monitoring.progress import find_project
from missionboard.reports.learning import comparison_markdown, notes_markdown
from missionboard.services.monitoring import monitor_mission
from missionboard.services.portfolio import mission_portfolio
from missionboard.store import audit
from missionboard.store.decisions import DecisionStore
from missionboard.store.learning import LearningStore
from missionboard.store.missions import MissionStore
from missionboard.store.workspace import Session, Workspace

__all__ = [
    "LearningNote",
    "NoteKind",
    "ReviewRound",
    "RoundComparison",
    "add_note",
    "close_round",
    "compare_rounds",
    "comparison_markdown",
    "notes",
    "notes_markdown",
    "review_round",
    "review_rounds",
]


def add_note(
    workspace: Workspace,
    mission_id: str,
    kind: NoteKind | str,
    text: str,
    *,
    user: str,
    round: str | None = None,
    objectives: Iterable[str] = (),
    projects: Iterable[str] = (),
    decisions: Iterable[int | str] = (),
) -> LearningNote:
    """Write a note in the mission's learning log, linked to objectives or outcomes of the mission,
    projects (``source:source_id`` or numeric id) and decisions; audited, in one transaction."""
    chosen = note_kind(str(kind))
    cleaned = note_text(text)
    in_round = round_name(round)
    with workspace.transaction() as session:
        mission = MissionStore(session).get(mission_id).mission
        links = [
            *goal_links(
                mission.id,
                objectives,
                objective_ids={o.id for o in mission.objectives},
                outcome_ids={o.id for o in mission.outcomes},
            ),
            *_project_links(session, projects),
            *_decision_links(session, decisions),
        ]
        note = LearningStore(session).add(
            mission.id,
            chosen,
            cleaned,
            author=user,
            created_at=dt.datetime.now(dt.UTC),
            round=in_round,
            links=links,
        )
        audit.record(
            session,
            actor=user,
            action="learning.note",
            entity="learning_note",
            entity_id=str(note.id),
            after=note.to_dict(),
        )
        return note


def notes(
    workspace: Workspace,
    mission_id: str,
    *,
    query: str | None = None,
    kind: NoteKind | str | None = None,
    round: str | None = None,
    about: str | None = None,
) -> list[LearningNote]:
    """The mission's notes, newest first: with every word of ``query`` in the text (any case), of
    ``kind``, of ``round``, about ``about`` (an objective or outcome id, a project reference or
    ``decision:ID``)."""
    chosen = note_kind(str(kind)) if kind else None
    with workspace.reading() as session:
        mission = MissionStore(session).get(mission_id).mission
        target = _about(session, mission, about) if about and about.strip() else None
        return LearningStore(session).notes(
            mission.id,
            words=(query or "").split(),
            kind=chosen,
            round=round_name(round),
            about=target,
        )


def close_round(workspace: Workspace, mission_id: str, name: str, *, user: str) -> ReviewRound:
    """Close a review round: record, now, the mission's portfolio (projects and money) and each
    objective's status and probability on the board; audited, in one transaction."""
    cleaned = round_name(name)
    if cleaned is None:
        raise InputError(Problem("", None, "name", "name the review round, e.g. 2026-Q4"))
    portfolio = mission_portfolio(workspace, mission_id)
    board = monitor_mission(workspace, mission_id)
    closing = ReviewRound(
        mission=mission_id,
        name=cleaned,
        closed_by=user,
        closed_at=dt.datetime.now(dt.UTC),
        projects=portfolio.projects,
        money=portfolio.money,
        currency=portfolio.currency,
        objectives=tuple(
            ObjectiveSnapshot(
                objective=s.objective.id,
                title=s.objective.title,
                status=s.status.value,
                probability=s.probability,
            )
            for s in board.objectives
        ),
    )
    with workspace.transaction() as session:
        store = LearningStore(session)
        if store.round(mission_id, cleaned) is not None:
            raise AlreadyExists(f"mission '{mission_id}' already has a review round '{cleaned}'")
        closed = store.close_round(closing)
        audit.record(
            session,
            actor=user,
            action="learning.round_close",
            entity="review_round",
            entity_id=f"{mission_id}/{cleaned}",
            after=closed.to_dict(),
        )
        return closed


def review_rounds(workspace: Workspace, mission_id: str) -> list[ReviewRound]:
    """The mission's review rounds, oldest first."""
    with workspace.reading() as session:
        MissionStore(session).get(mission_id)
        return LearningStore(session).rounds(mission_id)


def review_round(workspace: Workspace, mission_id: str, name: str) -> ReviewRound:
    """One review round of the mission by its name."""
    with workspace.reading() as session:
        MissionStore(session).get(mission_id)
        return _round(LearningStore(session), mission_id, name)


def compare_rounds(workspace: Workspace, mission_id: str, first: str, second: str) -> RoundComparison:
    """Two review rounds side by side: each objective's status and probability before and after, the
    change in the portfolio, and the notes written in each round."""
    with workspace.reading() as session:
        MissionStore(session).get(mission_id)
        store = LearningStore(session)
        a, b = _round(store, mission_id, first), _round(store, mission_id, second)
        return compare(
            a,
            b,
            store.notes(mission_id, round=a.name),
            store.notes(mission_id, round=b.name),
        )


# --- helpers -------------------------------------------------------------------------------------


def _round(store: LearningStore, mission_id: str, name: str) -> ReviewRound:
    found = store.round(mission_id, name.strip())
    if found is None:
        raise NotFound(
            f"mission '{mission_id}' has no review round '{name}' (close one with 'learn round close')"
        )
    return found


def _project_links(session: Session, refs: Iterable[str]) -> list[NoteLink]:
    links: dict[str, NoteLink] = {}
    for ref in (r.strip() for r in refs):
        if not ref:
            continue
        project = find_project(session, ref)
        if project is None:
            raise NotFound(f"no project '{ref}' in this workspace (write SOURCE:SOURCE_ID or the numeric id)")
        links[str(project.id)] = NoteLink(
            LinkKind.PROJECT, str(project.id), f"{project.source}:{project.source_id}"
        )
    return list(links.values())


def _decision_links(session: Session, ids: Iterable[int | str]) -> list[NoteLink]:
    store = DecisionStore(session)
    links: dict[str, NoteLink] = {}
    for ident in ids:
        text = str(ident).strip().lstrip("#")
        number = row_number(text)
        decision = None if number is None else store.get(number)
        if decision is None:
            raise NotFound(f"no decision '{ident}' in this workspace")
        links[text] = NoteLink(LinkKind.DECISION, str(decision.id))
    return list(links.values())


def _about(session: Session, mission: Mission, about: str) -> NoteLink:
    """What a filter names: an objective or outcome of the mission, ``decision:ID``, or a project."""
    target = about.strip()
    if target in {o.id for o in mission.objectives}:
        return NoteLink(LinkKind.OBJECTIVE, target)
    if target in {o.id for o in mission.outcomes}:
        return NoteLink(LinkKind.OUTCOME, target)
    if target.startswith("decision:"):
        return _decision_links(session, [target.removeprefix("decision:")])[0]
    return _project_links(session, [target])[0]

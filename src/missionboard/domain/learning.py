"""The learning log of a mission: notes on patterns noticed, pivots, lessons, risks and decisions, each
dated, attributed and linked to what it is about; and review rounds, named snapshots of the board that
two of which can be compared.

The rules here are pure; ``services/learning.py`` applies them to a workspace.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from missionboard.errors import InputError, NotFound, Problem

MAX_TEXT = 5000
"""The longest note, in characters."""
MAX_ROUND = 80
"""The longest review round name, in characters (e.g. ``2026-Q4``)."""


class NoteKind(StrEnum):
    PATTERN = "pattern"
    PIVOT = "pivot"
    LESSON = "lesson"
    RISK = "risk"
    DECISION_NOTE = "decision_note"


class LinkKind(StrEnum):
    """What a note can be about."""

    OBJECTIVE = "objective"
    OUTCOME = "outcome"
    PROJECT = "project"
    DECISION = "decision"


@dataclass(frozen=True)
class NoteLink:
    """One thing a note is about: ``label`` is what a reader sees (a project's ``source:source_id``)."""

    kind: LinkKind
    target: str
    label: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind.value, "target": self.target, "label": self.label or self.target}


@dataclass(frozen=True)
class LearningNote:
    id: int
    mission: str
    kind: NoteKind
    text: str
    author: str
    created_at: dt.datetime
    round: str | None
    links: tuple[NoteLink, ...] = ()

    def about(self, kind: LinkKind) -> list[NoteLink]:
        return [link for link in self.links if link.kind is kind]

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "mission": self.mission,
            "kind": self.kind.value,
            "text": self.text,
            "author": self.author,
            "created_at": self.created_at.isoformat(),
            "round": self.round,
            "links": [link.to_dict() for link in self.links],
        }


@dataclass(frozen=True)
class ObjectiveSnapshot:
    """An objective as the board judged it when a round was closed."""

    objective: str
    title: str
    status: str
    probability: float | None

    def to_dict(self) -> dict[str, object]:
        return {
            "objective": self.objective,
            "title": self.title,
            "status": self.status,
            "probability": self.probability,
        }


@dataclass(frozen=True)
class ReviewRound:
    """A named snapshot of a mission: its portfolio and each objective's status at closing time."""

    mission: str
    name: str
    closed_by: str
    closed_at: dt.datetime
    projects: int
    money: float
    currency: str | None
    objectives: tuple[ObjectiveSnapshot, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "mission": self.mission,
            "name": self.name,
            "closed_by": self.closed_by,
            "closed_at": self.closed_at.isoformat(),
            "projects": self.projects,
            "money": self.money,
            "currency": self.currency,
            "objectives": [o.to_dict() for o in self.objectives],
        }


@dataclass(frozen=True)
class ObjectiveChange:
    """One objective between two rounds (``None`` where a round did not have it)."""

    objective: str
    title: str
    status_before: str | None
    status_after: str | None
    probability_before: float | None
    probability_after: float | None

    @property
    def probability_change(self) -> float | None:
        if self.probability_before is None or self.probability_after is None:
            return None
        return round(self.probability_after - self.probability_before, 4)

    def to_dict(self) -> dict[str, object]:
        return {
            "objective": self.objective,
            "title": self.title,
            "status_before": self.status_before,
            "status_after": self.status_after,
            "probability_before": self.probability_before,
            "probability_after": self.probability_after,
            "probability_change": self.probability_change,
        }


@dataclass(frozen=True)
class RoundComparison:
    mission: str
    first: ReviewRound
    second: ReviewRound
    objectives: tuple[ObjectiveChange, ...]
    notes_first: tuple[LearningNote, ...] = field(default=())
    notes_second: tuple[LearningNote, ...] = field(default=())

    @property
    def projects_change(self) -> int:
        return self.second.projects - self.first.projects

    @property
    def money_change(self) -> float:
        return round(self.second.money - self.first.money, 2)

    def to_dict(self) -> dict[str, object]:
        return {
            "mission": self.mission,
            "first": self.first.to_dict(),
            "second": self.second.to_dict(),
            "portfolio": {
                "projects_before": self.first.projects,
                "projects_after": self.second.projects,
                "projects_change": self.projects_change,
                "money_before": self.first.money,
                "money_after": self.second.money,
                "money_change": self.money_change,
                "currency": self.second.currency,
            },
            "objectives": [o.to_dict() for o in self.objectives],
            "notes_first": [n.to_dict() for n in self.notes_first],
            "notes_second": [n.to_dict() for n in self.notes_second],
        }


def note_kind(value: str) -> NoteKind:
    """The kind named by ``value``; an ``InputError`` listing the kinds otherwise."""
    try:
        return NoteKind(value.strip().lower().replace("-", "_"))
    except ValueError:
        kinds = ", ".join(k.value for k in NoteKind)
        raise InputError(Problem("", None, "kind", f"unknown kind '{value}': use one of {kinds}")) from None


def note_text(text: str) -> str:
    """The note's text, stripped; 1 to ``MAX_TEXT`` characters."""
    cleaned = text.strip()
    if not cleaned:
        raise InputError(Problem("", None, "text", "write the note: its text is empty"))
    if len(cleaned) > MAX_TEXT:
        raise InputError(
            Problem("", None, "text", f"a note holds at most {MAX_TEXT} characters ({len(cleaned)} given)")
        )
    return cleaned


def round_name(name: str | None) -> str | None:
    """A review round's name, stripped; None for none; at most ``MAX_ROUND`` characters."""
    if name is None or not name.strip():
        return None
    cleaned = name.strip()
    if len(cleaned) > MAX_ROUND:
        raise InputError(Problem("", None, "round", f"a round name holds at most {MAX_ROUND} characters"))
    return cleaned


def goal_links(
    mission: str, objectives: Iterable[str], *, objective_ids: Collection[str], outcome_ids: Collection[str]
) -> list[NoteLink]:
    """Links to the named goals: each must be an objective or an outcome of the mission."""
    links: list[NoteLink] = []
    for goal in dict.fromkeys(g.strip() for g in objectives if g.strip()):
        if goal in objective_ids:
            links.append(NoteLink(LinkKind.OBJECTIVE, goal))
        elif goal in outcome_ids:
            links.append(NoteLink(LinkKind.OUTCOME, goal))
        else:
            raise NotFound(f"mission '{mission}' has no objective or outcome '{goal}'")
    return links


def compare(
    first: ReviewRound,
    second: ReviewRound,
    notes_first: Iterable[LearningNote] = (),
    notes_second: Iterable[LearningNote] = (),
) -> RoundComparison:
    """Each objective of either round, before and after, in the order the rounds list them."""
    before = {o.objective: o for o in first.objectives}
    after = {o.objective: o for o in second.objectives}
    changes = []
    for objective in dict.fromkeys([*after, *before]):
        b, a = before.get(objective), after.get(objective)
        either = a or b
        changes.append(
            ObjectiveChange(
                objective=objective,
                title=either.title if either else objective,
                status_before=b.status if b else None,
                status_after=a.status if a else None,
                probability_before=b.probability if b else None,
                probability_after=a.probability if a else None,
            )
        )
    return RoundComparison(
        mission=second.mission,
        first=first,
        second=second,
        objectives=tuple(changes),
        notes_first=tuple(notes_first),
        notes_second=tuple(notes_second),
    )

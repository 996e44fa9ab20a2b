"""The gate calendar: where each gate of a mission's projects (or of one project) stands on a day, and the
standing decision taken at it. Pure: ``monitoring/gates.py`` reads the gates and decisions through the
ORM's stores, ``store/quick.py`` with ``sqlite3`` alone (``gate calendar`` on a current SQLite file), and
both hand them to ``calendar_entries``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from missionboard.domain.decisions import DUE_SOON_DAYS, DecisionKind, GateState, gate_state

STATE_ORDER = {
    GateState.OVERDUE: 0,
    GateState.DUE: 1,
    GateState.SCHEDULED: 2,
    GateState.DECIDED: 3,
    GateState.CANCELLED: 4,
}
"""The order of the calendar: the most pressing first."""


@dataclass(frozen=True)
class GateDecision:
    """The standing decision taken at a gate, as the calendar shows it."""

    id: int
    decision: str
    on: dt.date
    by: str
    criteria_met: int
    """How many of the gate's criteria the decision recorded as met, of ``criteria``."""
    criteria: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "decision": self.decision,
            "on": self.on.isoformat(),
            "by": self.by,
            "criteria_met": self.criteria_met,
            "criteria": self.criteria,
        }


@dataclass(frozen=True)
class GateEntry:
    """A gate on the calendar: where it stands on ``as_of`` and the standing decision taken at it."""

    id: int
    project_id: int
    project: str
    title: str
    name: str
    due: dt.date
    criteria: list[str]
    evidence: list[str]
    state: GateState
    days: int
    """Days from ``as_of`` to the gate (negative: overdue by that many)."""
    decision: GateDecision | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "project": self.project,
            "project_id": self.project_id,
            "title": self.title,
            "gate": self.name,
            "due": self.due.isoformat(),
            "days": self.days,
            "state": self.state.value,
            "criteria": self.criteria,
            "evidence": self.evidence,
            "decision": self.decision.to_dict() if self.decision is not None else None,
        }


@dataclass(frozen=True)
class GateCalendar:
    """A mission's gates (or one project's), the most pressing first: overdue, due, scheduled, decided,
    cancelled; by date within each."""

    mission: str | None
    as_of: dt.date
    gates: list[GateEntry] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {s.value: sum(1 for g in self.gates if g.state is s) for s in STATE_ORDER}

    def to_dict(self) -> dict[str, Any]:
        return {
            "mission": self.mission,
            "as_of": self.as_of.isoformat(),
            "due_soon_days": DUE_SOON_DAYS,
            "counts": self.counts(),
            "gates": [g.to_dict() for g in self.gates],
        }


@dataclass(frozen=True)
class ScheduledGate:
    """A gate as the calendar reads it, with the project it is set for."""

    id: int
    project_id: int
    project: str
    """``source:source_id``."""
    title: str
    name: str
    due: dt.date
    criteria: list[Any]
    evidence: list[Any]


@dataclass(frozen=True)
class GateDecided:
    """A decision with its detail as the calendar reads it."""

    id: int
    project_id: int
    decision: str
    by: str
    on: dt.date
    gate_id: int | None
    criteria: list[Any]
    """The criteria as recorded, each ``{"criterion": …, "met": …}``."""
    overturned: bool
    """An appeal overturned it: it no longer stands."""


def calendar_day(as_of: dt.date | None) -> dt.date:
    """The day a calendar is drawn for: ``as_of``, else today (UTC)."""
    return as_of or dt.datetime.now(dt.UTC).date()


def calendar_entries(
    gates: Iterable[ScheduledGate], decisions: Iterable[GateDecided], day: dt.date
) -> list[GateEntry]:
    """Where each gate stands on ``day``, the most pressing first (``STATE_ORDER``, then date, project and
    name). ``decisions`` come oldest first (by time, then id): of two standing decisions at one gate the
    later one is shown, and a project counts as stopped from its latest standing stop taken by ``day``."""
    decided: dict[int, GateDecision] = {}
    stopped: dict[int, dt.date] = {}
    for d in decisions:
        if d.overturned or d.on > day:
            continue
        if d.gate_id is not None:
            decided[d.gate_id] = GateDecision(
                id=d.id,
                decision=d.decision,
                on=d.on,
                by=d.by,
                criteria_met=sum(1 for c in d.criteria if c.get("met")),
                criteria=len(d.criteria),
            )
        if d.decision == DecisionKind.STOP.value:
            stopped[d.project_id] = d.on
    out = [
        GateEntry(
            id=g.id,
            project_id=g.project_id,
            project=g.project,
            title=g.title,
            name=g.name,
            due=g.due,
            criteria=list(g.criteria),
            evidence=list(g.evidence),
            state=gate_state(
                g.due,
                decided=g.id in decided,
                stopped=g.project_id in stopped and stopped[g.project_id] <= g.due,
                as_of=day,
            ),
            days=(g.due - day).days,
            decision=decided.get(g.id),
        )
        for g in gates
    ]
    return sorted(out, key=lambda e: (STATE_ORDER[e.state], e.due, e.project, e.name))

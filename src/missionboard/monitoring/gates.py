"""Stage-gates as Innovation Fund Denmark runs them: gates scheduled per project at award, a calendar of
what is due per mission, appeals against decisions, and the money stops release to the mission.

Recording a decision at a gate is ``monitoring.decisions.record_decision``; this module schedules the
gates, lists them, and handles appeals. An appeal is lodged (who, why, when) and ruled on once: upheld
(the decision stands) or overturned (it no longer stands, and what it did to the project is undone: a
stopped project is active again with its former end date, a scale's money is taken off the budget).
Everything lands in the audit log in the same transaction as the change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from missionboard.domain.common import utc_aware
from missionboard.domain.decisions import (
    Appeal,
    AppealOutcome,
    DecisionKind,
    Gate,
)
from missionboard.domain.gate_calendar import GateCalendar as GateCalendar
from missionboard.domain.gate_calendar import (
    GateDecided,
    GateEntry,
    ScheduledGate,
    calendar_day,
    calendar_entries,
)
from missionboard.errors import DecisionConflict, InputError, NotFound, Problem
from missionboard.monitoring.decisions import (
    AppealEntry,
    appeal_entry,
    mission_project_ids,
    overturned_ids,
)
from missionboard.monitoring.progress import get_project, project_label
from missionboard.store import audit
from missionboard.store.decisions import AppealRecord, DecisionDetail, DecisionRecord, DecisionStore
from missionboard.store.gates import GateStore
from missionboard.store.missions import MissionStore
from missionboard.store.progress import ProgressStore
from missionboard.store.workspace import Session, Workspace

# --- gates ------------------------------------------------------------------------------------------


def schedule_gate(
    workspace: Workspace,
    project_ref: str,
    name: str,
    due: dt.date,
    criteria: Sequence[str],
    evidence: Sequence[str] = (),
    *,
    user: str,
) -> Gate:
    """Schedule a gate for a project: its date, go/no-go criteria and the evidence the project must bring.

    Gates are set, not edited: a project's gate names are unique, and a stopped project takes no new gate.
    """
    now = dt.datetime.now(dt.UTC)
    with workspace.transaction() as session:
        project = get_project(session, project_ref)
        label = project_label(project)
        try:
            gate = Gate(
                project=(project.source, project.source_id),
                name=name,
                due=due,
                criteria=tuple(c for c in criteria if c and c.strip()),
                evidence=tuple(e for e in evidence if e and e.strip()),
                set_by=user,
                set_at=now,
            )
        except ValidationError as exc:
            error = exc.errors()[0]
            where = str(error["loc"][0]) if error["loc"] else ""
            message = "give at least one go/no-go criterion" if where == "criteria" else error["msg"]
            raise InputError(Problem("", None, where, message)) from None
        if project.status == "terminated":
            raise InputError(
                Problem("", None, "project", f"project {label} is terminated: it takes no gates")
            )
        store = GateStore(session)
        if store.taken(project.id, gate.name):
            raise InputError(Problem("", None, "name", f"project {label} already has a gate '{gate.name}'"))
        gate_id = store.add(
            project.id,
            gate.name,
            gate.due,
            list(gate.criteria),
            list(gate.evidence),
            set_by=gate.set_by,
            set_at=gate.set_at,
        )
        audit.record(
            session,
            actor=user,
            action="gate.schedule",
            entity="gate",
            entity_id=str(gate_id),
            after={
                "project": label,
                "name": gate.name,
                "due": gate.due.isoformat(),
                "criteria": list(gate.criteria),
                "evidence": list(gate.evidence),
            },
        )
    return gate


def gate_calendar(workspace: Workspace, mission_id: str, *, as_of: dt.date | None = None) -> GateCalendar:
    """The gates of the projects in the mission's portfolio, where each stands on ``as_of`` (default today)."""
    day = calendar_day(as_of)
    with workspace.reading() as session:
        MissionStore(session).get(mission_id)  # NotFound for an unknown mission
        ids = mission_project_ids(session, mission_id)
        return GateCalendar(mission_id, day, _entries(session, ids, day))


def project_gates(workspace: Workspace, project_ref: str, *, as_of: dt.date | None = None) -> GateCalendar:
    """One project's gates, where each stands on ``as_of`` (default today)."""
    day = calendar_day(as_of)
    with workspace.reading() as session:
        project = get_project(session, project_ref)
        return GateCalendar(None, day, _entries(session, {project.id}, day))


def _entries(session: Session, project_ids: Collection[int], day: dt.date) -> list[GateEntry]:
    gates = GateStore(session).of_projects(project_ids)
    rows = DecisionStore(session).with_details_of_projects({p.id for _g, p in gates})
    gone = overturned_ids(session, [d.id for d, _ in rows])
    return calendar_entries(
        [
            ScheduledGate(g.id, p.id, project_label(p), p.title, g.name, g.due, g.criteria, g.evidence)
            for g, p in gates
        ],
        [
            GateDecided(
                d.id,
                d.project_id,
                d.decision,
                d.by,
                detail.decided_on,
                detail.gate_id,
                detail.criteria,
                d.id in gone,
            )
            for d, detail in rows
        ],
        day,
    )


# --- appeals ----------------------------------------------------------------------------------------


def lodge_appeal(workspace: Workspace, decision_id: int, reason: str, *, user: str) -> Appeal:
    """Lodge an appeal against a decision (who, why, now); one open appeal per decision at a time."""
    if not reason or not reason.strip():
        raise InputError(Problem("", None, "reason", "say why the decision should be overturned"))
    now = dt.datetime.now(dt.UTC)
    with workspace.transaction() as session:
        decision = _decision(session, decision_id)
        store = DecisionStore(session)
        for earlier in store.appeals_against(decision.id, ordered=False):
            if earlier.outcome is None:
                raise DecisionConflict(
                    f"appeal #{earlier.id} against decision #{decision.id} is still open: "
                    "it must be ruled on before another is lodged"
                )
            if earlier.outcome == AppealOutcome.OVERTURNED.value:
                raise DecisionConflict(
                    f"decision #{decision.id} was already overturned on appeal #{earlier.id}"
                )
        row = store.lodge(decision.id, user, reason.strip(), now)
        project = ProgressStore(session).project(decision.project_id)
        audit.record(
            session,
            actor=user,
            action="appeal.lodge",
            entity="appeal",
            entity_id=str(row.id),
            after={
                "decision": decision.id,
                "project": project_label(project) if project else None,
                "decided": decision.decision,
                "reason": row.reason,
            },
        )
        return _appeal(row)


def rule_appeal(workspace: Workspace, appeal_id: int, outcome: str, ruling: str, *, user: str) -> Appeal:
    """Rule on an open appeal: ``upheld`` (the decision stands) or ``overturned`` (it no longer stands and
    what it did to the project is undone). Ruled once, by someone other than who took the decision."""
    try:
        verdict = AppealOutcome(outcome.strip().lower())
    except ValueError:
        choices = ", ".join(o.value for o in AppealOutcome)
        raise InputError(Problem("", None, "outcome", f"'{outcome}' is not one of {choices}")) from None
    if not ruling or not ruling.strip():
        raise InputError(Problem("", None, "ruling", "say why: a ruling needs its reasons"))
    now = dt.datetime.now(dt.UTC)
    with workspace.transaction() as session:
        store = DecisionStore(session)
        row = store.appeal(appeal_id)
        if row is None:
            raise NotFound(f"no appeal #{appeal_id} in this workspace (see 'missionboard decisions')")
        if row.outcome is not None:
            raise DecisionConflict(f"appeal #{row.id} was already ruled on: {row.outcome} by {row.ruled_by}")
        decision = _decision(session, row.decision_id)
        if decision.by.strip().casefold() == user.strip().casefold():
            raise InputError(
                Problem(
                    "", None, "by", f"{user} took decision #{decision.id}: someone else rules on its appeal"
                )
            )
        row = store.rule(row.id, verdict.value, user, ruling.strip(), now)
        projects = ProgressStore(session)
        undone = _undo(store, projects, decision) if verdict is AppealOutcome.OVERTURNED else {}
        project = projects.project(decision.project_id)
        audit.record(
            session,
            actor=user,
            action="appeal.rule",
            entity="appeal",
            entity_id=str(row.id),
            before={"outcome": None},
            after={
                "decision": decision.id,
                "project": project_label(project) if project else None,
                "outcome": verdict.value,
                "ruling": row.ruling,
                "undone": undone,
            },
        )
        return _appeal(row)


def decision_project(workspace: Workspace, decision_id: int) -> int:
    """The id of the project a decision was taken on (``NotFound`` for an unknown decision)."""
    with workspace.reading() as session:
        return int(_decision(session, decision_id).project_id)


def appeal_project(workspace: Workspace, appeal_id: int) -> int:
    """The id of the project whose decision an appeal is against (``NotFound`` for an unknown appeal)."""
    with workspace.reading() as session:
        row = DecisionStore(session).appeal(appeal_id)
        if row is None:
            raise NotFound(f"no appeal #{appeal_id} in this workspace (see 'missionboard decisions')")
        return int(_decision(session, row.decision_id).project_id)


def _decision(session: Session, decision_id: int) -> DecisionRecord:
    row = DecisionStore(session).get(decision_id)
    if row is None:
        raise NotFound(f"no decision #{decision_id} in this workspace (see 'missionboard decisions')")
    return row


def _undo(store: DecisionStore, projects: ProgressStore, decision: DecisionRecord) -> dict[str, Any]:
    """Put back what an overturned decision did to its project; returns what was restored."""
    detail = store.detail(decision.id)
    project = projects.lock_project(decision.project_id)
    if detail is None:
        return {}
    before = detail.before or {}
    if decision.decision == DecisionKind.STOP.value:
        project = projects.update_project(
            project.id,
            status=before.get("status") or "active",
            end=dt.date.fromisoformat(before["end"]) if before.get("end") else None,
        )
        return {"status": project.status, "end": before.get("end"), "released": _text(detail.amount)}
    if decision.decision == DecisionKind.SCALE.value and detail.amount is not None:
        if project.budget_amount is not None:
            project = projects.update_project(project.id, budget_amount=project.budget_amount - detail.amount)
        return {"budget": _text(project.budget_amount), "withdrawn": _text(detail.amount)}
    return {}


def _text(value: Decimal | None) -> str | None:
    return str(value) if value is not None else None


def _appeal(row: AppealRecord) -> Appeal:
    return Appeal(
        id=row.id,
        decision_id=row.decision_id,
        by=row.by,
        reason=row.reason,
        lodged_at=utc_aware(row.lodged_at),
        outcome=AppealOutcome(row.outcome) if row.outcome else None,
        ruled_by=row.ruled_by,
        ruling=row.ruling,
        ruled_at=utc_aware(row.ruled_at) if row.ruled_at else None,
    )


def list_appeals(workspace: Workspace, decision_id: int) -> list[AppealEntry]:
    """The appeals against one decision, oldest first."""
    with workspace.reading() as session:
        _decision(session, decision_id)
        return [appeal_entry(a) for a in DecisionStore(session).appeals_against(decision_id)]


# --- money released by stops ------------------------------------------------------------------------


@dataclass(frozen=True)
class Release:
    """Money a standing stop released: ``amount`` of the project's ``budget``, both in ``currency``."""

    project_id: int
    decision_id: int
    on: dt.date
    amount: Decimal
    budget: Decimal
    currency: str | None

    @property
    def share(self) -> float:
        """The released share of the budget (converting the budget into any currency converts this too)."""
        return float(self.amount / self.budget) if self.budget > 0 else 0.0


def releases(session: Session, project_ids: Collection[int], *, as_of: dt.date) -> dict[int, Release]:
    """Per project, the money its standing stop (taking effect by ``as_of``) released to the mission."""
    found: list[tuple[DecisionRecord, DecisionDetail]] = DecisionStore(session).stops_releasing(
        project_ids, as_of=as_of
    )
    gone = overturned_ids(session, [d.id for d, _ in found])
    out: dict[int, Release] = {}
    for d, detail in found:
        if d.id in gone or detail.amount is None:
            continue
        budget = Decimal(detail.before["budget"]) if detail.before.get("budget") else detail.amount
        out[d.project_id] = Release(
            d.project_id, d.id, detail.decided_on, detail.amount, budget, detail.currency
        )
    return out

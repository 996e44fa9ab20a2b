"""Decision use cases: stage-gates and their calendar, decisions with the evidence frozen into them,
and appeals against decisions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from decimal import Decimal
from pathlib import Path

from pydantic import JsonValue

from missionboard.domain.decisions import Appeal, Decision, Gate
from missionboard.domain.health import HealthRules
from missionboard.errors import NotFound
from missionboard.monitoring import decisions, gates
from missionboard.monitoring.decisions import DecisionEntry
from missionboard.monitoring.gates import GateCalendar
from missionboard.monitoring.progress import load_rules
from missionboard.store.progress import ProgressStore
from missionboard.store.workspace import Workspace

__all__ = [
    "DecisionEntry",
    "GateCalendar",
    "appeal_project",
    "decision_project",
    "gate_calendar",
    "list_decisions",
    "lodge_appeal",
    "project_decisions",
    "project_evidence",
    "project_gates",
    "record_decision",
    "rule_appeal",
    "schedule_gate",
]


def record_decision(
    workspace: Workspace,
    project_ref: str,
    decision: str,
    rationale: str,
    by: str,
    *,
    rules: HealthRules | Path | None = None,
    gate: str | None = None,
    met: Collection[int] | str = (),
    plan: str | None = None,
    amount: Decimal | float | str | None = None,
    currency: str | None = None,
    on: dt.date | None = None,
) -> Decision:
    """Record a continue, pivot, scale or stop decision on a project, with today's evidence frozen in."""
    return decisions.record_decision(
        workspace,
        project_ref,
        decision,
        rationale,
        by,
        rules=rules,
        gate=gate,
        met=met,
        plan=plan,
        amount=amount,
        currency=currency,
        on=on,
    )


def list_decisions(
    workspace: Workspace, mission_id: str | None = None, *, as_of: dt.date | None = None
) -> list[DecisionEntry]:
    """The decisions on a mission's projects (every project without ``mission_id``), newest first."""
    return decisions.list_decisions(workspace, mission_id, as_of=as_of)


def project_decisions(workspace: Workspace, project_id: int) -> list[DecisionEntry]:
    """One project's decisions with their appeals."""
    with workspace.reading() as session:
        return decisions.decisions_in(session, project_ids={project_id})


def project_evidence(workspace: Workspace, project_id: int, *, as_of: dt.date) -> dict[str, JsonValue]:
    """Health and progress as monitoring judges the project on ``as_of``: what a decision would freeze."""
    with workspace.reading() as session:
        row = ProgressStore(session).project(project_id)
        if row is None:
            raise NotFound(f"no project with id {project_id}")
        return decisions.evidence_for(session, row, rules=load_rules(), as_of=as_of)


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
    """Schedule a stage-gate for a project: its date, go/no-go criteria and the evidence required."""
    return gates.schedule_gate(workspace, project_ref, name, due, criteria, evidence, user=user)


def gate_calendar(workspace: Workspace, mission_id: str, *, as_of: dt.date | None = None) -> GateCalendar:
    """A mission's gates: overdue, due soon, scheduled, decided or cancelled."""
    return gates.gate_calendar(workspace, mission_id, as_of=as_of)


def project_gates(workspace: Workspace, project_ref: str, *, as_of: dt.date | None = None) -> GateCalendar:
    """One project's gates and where each stands."""
    return gates.project_gates(workspace, project_ref, as_of=as_of)


def lodge_appeal(workspace: Workspace, decision_id: int, reason: str, *, user: str) -> Appeal:
    """Lodge an appeal against a decision; it stays open until ruled on."""
    return gates.lodge_appeal(workspace, decision_id, reason, user=user)


def rule_appeal(workspace: Workspace, appeal_id: int, outcome: str, ruling: str, *, user: str) -> Appeal:
    """Rule on an appeal: upheld keeps the decision, overturned undoes what it did to the project."""
    return gates.rule_appeal(workspace, appeal_id, outcome, ruling, user=user)


def decision_project(workspace: Workspace, decision_id: int) -> int:
    """The id of the project a decision was taken on."""
    return gates.decision_project(workspace, decision_id)


def appeal_project(workspace: Workspace, appeal_id: int) -> int:
    """The id of the project whose decision an appeal is against."""
    return gates.appeal_project(workspace, appeal_id)

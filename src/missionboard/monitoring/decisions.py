"""Stage-gate decisions: record one with the evidence as it stands, list them; the log is append-only.

The store never updates or deletes a decision, and the workspace database refuses to (triggers created
by the ``monitoring_0001`` migration). A decision that turns out wrong is followed by a new decision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from missionboard.domain.decisions import Decision, DecisionKind
from missionboard.domain.health import HealthRules, evaluate
from missionboard.domain.missions import Mission
from missionboard.domain.targets import StatusRules
from missionboard.errors import InputError, NotFound, Problem
from missionboard.monitoring.objectives import assess_objective
from missionboard.monitoring.progress import (
    chunked,
    get_project,
    load_rules,
    load_status_rules,
    progress_summary,
    project_facts,
    project_label,
)
from missionboard.store import audit
from missionboard.store.missions import MissionStore
from missionboard.store.tables import DecisionRow, LinkRow, ProjectRow
from missionboard.store.workspace import Workspace

MISSION_TAXONOMY = "mission:"


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def evidence_for(
    session: Session,
    project: ProjectRow,
    *,
    rules: HealthRules,
    as_of: dt.date,
    status_rules: StatusRules | None = None,
) -> dict[str, Any]:
    """What a decision-maker sees about a project on ``as_of``: health flags, progress, its objectives."""
    facts = project_facts(session, [project])[project.id]
    flags = evaluate(facts, rules, as_of)
    budget = project.budget_amount if project.budget_amount is not None else project.public_amount
    objectives: list[dict[str, Any]] = []
    links = session.scalars(
        select(LinkRow)
        .where(
            LinkRow.project_id == project.id,
            LinkRow.taxonomy.startswith(MISSION_TAXONOMY),
            LinkRow.status != "rejected",
        )
        .order_by(LinkRow.taxonomy, LinkRow.goal)
    )
    store = MissionStore(session)
    missions: dict[str, Mission | None] = {}  # a project linked to several objectives reads its mission once
    for link in links:
        mission_id = link.taxonomy[len(MISSION_TAXONOMY) :]
        entry: dict[str, Any] = {
            "mission": mission_id,
            "objective": link.goal,
            "link_status": link.status,
            "link_score": link.score,
        }
        if mission_id not in missions:
            try:
                missions[mission_id] = store.get(mission_id).mission
            except NotFound:
                missions[mission_id] = None
        mission = missions[mission_id]
        if mission is None:
            objectives.append(entry)
            continue
        objective = mission.objective(link.goal)
        if objective is not None:
            status = assess_objective(session, mission, objective, as_of=as_of, rules=status_rules).to_dict()
            entry |= {
                k: status[k]
                for k in (
                    "status",
                    "reason",
                    "latest",
                    "target",
                    "forecast",
                    "probability",
                    "required_acceleration",
                )
            }
        objectives.append(entry)
    return {
        "as_of": as_of.isoformat(),
        "project": {
            "project": project_label(project),
            "id": project.id,
            "title": project.title,
            "status": project.status,
            "start": project.start.isoformat() if project.start else None,
            "end": project.end.isoformat() if project.end else None,
            "budget": float(budget) if budget is not None else None,
            "currency": project.budget_currency
            if project.budget_amount is not None
            else project.public_currency,
        },
        "flags": [{"code": f.code.value, "reason": f.reason} for f in flags],
        "progress": progress_summary(facts, as_of),
        "objectives": objectives,
    }


def record_decision(
    workspace: Workspace,
    project_ref: str,
    decision: str,
    rationale: str,
    by: str,
    *,
    rules: HealthRules | Path | None = None,
) -> Decision:
    """Record a stage-gate decision with the evidence shown now frozen into it (one transaction, audited)."""
    try:
        kind = DecisionKind(decision.strip().lower())
    except ValueError:
        choices = ", ".join(k.value for k in DecisionKind)
        raise InputError(Problem("", None, "decision", f"'{decision}' is not one of {choices}")) from None
    if not rationale or not rationale.strip():
        raise InputError(Problem("", None, "rationale", "say why: a decision needs a rationale"))
    if not by or not by.strip():
        raise InputError(Problem("", None, "by", "say who decided"))
    health_rules = rules if isinstance(rules, HealthRules) else load_rules(rules)
    status_rules = None if isinstance(rules, HealthRules) else load_status_rules(rules)
    now = dt.datetime.now(dt.UTC)
    with workspace.transaction() as session:
        project = get_project(session, project_ref)
        evidence = evidence_for(
            session, project, rules=health_rules, as_of=now.date(), status_rules=status_rules
        )
        try:
            record = Decision(
                project=(project.source, project.source_id),
                decision=kind,
                rationale=rationale,
                evidence=evidence,
                by=by,
                at=now,
            )
        except ValidationError as exc:
            raise InputError(str(exc.errors()[0]["msg"])) from exc
        row = DecisionRow(
            project_id=project.id,
            decision=record.decision.value,
            rationale=record.rationale,
            evidence=record.evidence,
            by=record.by,
            at=record.at,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor=by,
            action="decide",
            entity="decision",
            entity_id=str(row.id),
            after={
                "project": project_label(project),
                "decision": record.decision.value,
                "rationale": record.rationale,
                "flags": [f["code"] for f in evidence["flags"]],
            },
        )
    return record


@dataclass(frozen=True)
class DecisionEntry:
    id: int
    project_id: int
    title: str
    decision: Decision

    def to_dict(self, *, evidence: bool = True) -> dict[str, Any]:
        d = self.decision
        out: dict[str, Any] = {
            "id": self.id,
            "project": f"{d.project[0]}:{d.project[1]}",
            "title": self.title,
            "decision": d.decision.value,
            "rationale": d.rationale,
            "by": d.by,
            "at": d.at.isoformat(),
        }
        if evidence:
            out["evidence"] = d.evidence
        return out


def mission_project_ids(session: Session, mission_id: str) -> set[int]:
    return set(
        session.scalars(
            select(LinkRow.project_id).where(
                LinkRow.taxonomy == f"{MISSION_TAXONOMY}{mission_id}", LinkRow.status != "rejected"
            )
        )
    )


def decisions_in(
    session: Session,
    *,
    project_ids: Collection[int] | None = None,
    as_of: dt.date | None = None,
    limit: int | None = None,
) -> list[DecisionEntry]:
    """Decisions newest first, on ``project_ids`` only where given, made by ``as_of``; at most ``limit``.

    Two steps so that a mission with 200,000 projects costs neither one bound parameter per project nor
    the evidence JSON of decisions left out: the order and the filters are worked out on (id, project,
    time) alone, then only the chosen decisions are read whole.
    """
    wanted = set(project_ids) if project_ids is not None else None
    cutoff = dt.datetime.combine(as_of, dt.time.max, tzinfo=dt.UTC) if as_of else None
    chosen: list[int] = []
    for ident, project_id, at in session.execute(
        select(DecisionRow.id, DecisionRow.project_id, DecisionRow.at)
        .join(ProjectRow, ProjectRow.id == DecisionRow.project_id)
        .order_by(DecisionRow.at.desc(), DecisionRow.id.desc())
    ):
        if wanted is not None and project_id not in wanted:
            continue
        if cutoff is not None and _aware(at) > cutoff:
            continue
        chosen.append(ident)
        if limit is not None and len(chosen) >= limit:
            break
    rows: dict[int, tuple[DecisionRow, ProjectRow]] = {}
    for chunk in chunked(sorted(chosen)):
        query = (
            select(DecisionRow, ProjectRow)
            .join(ProjectRow, ProjectRow.id == DecisionRow.project_id)
            .where(DecisionRow.id.in_(chunk))
        )
        for row, project in session.execute(query):
            rows[row.id] = (row, project)
    out = []
    for ident in chosen:
        row, project = rows[ident]
        out.append(
            DecisionEntry(
                id=row.id,
                project_id=project.id,
                title=project.title,
                decision=Decision(
                    project=(project.source, project.source_id),
                    decision=DecisionKind(row.decision),
                    rationale=row.rationale,
                    evidence=row.evidence or {},
                    by=row.by,
                    at=_aware(row.at),
                ),
            )
        )
    return out


def list_decisions(
    workspace: Workspace, mission_id: str | None = None, *, as_of: dt.date | None = None
) -> list[DecisionEntry]:
    """Every decision, newest first; with ``mission_id`` only those on projects linked to the mission."""
    with workspace.reading() as session:
        ids = None
        if mission_id is not None:
            MissionStore(session).get(mission_id)  # NotFound for an unknown mission
            ids = mission_project_ids(session, mission_id)
        return decisions_in(session, project_ids=ids, as_of=as_of)

"""Stage-gate decisions: record one with the evidence as it stands, list them; the log is append-only.

The store never updates or deletes a decision, and the workspace database refuses to (triggers created
by the ``monitoring_0001`` migration). A decision that turns out wrong is followed by a new decision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Protocol

from pydantic import JsonValue, ValidationError

from missionboard.domain.common import utc_aware
from missionboard.domain.decisions import (
    AppealEntry as AppealEntry,  # the log's entries live in domain/ (store/quick.py builds them too)
)
from missionboard.domain.decisions import (
    CriterionResult,
    Decision,
    DecisionKind,
    criteria_results,
    released_amount,
)
from missionboard.domain.decisions import DecisionEntry as DecisionEntry
from missionboard.domain.health import (
    HealthRules,
    MissionDates,
    MissionWindow,
    ProjectFacts,
    assess,
    evaluate,
)
from missionboard.domain.mapping import MISSION_PREFIX
from missionboard.domain.missions import Mission
from missionboard.domain.portfolio import ProjectStatus
from missionboard.domain.targets import StatusRules
from missionboard.errors import DecisionConflict, InputError, NotFound, Problem
from missionboard.monitoring.objectives import assess_objective
from missionboard.monitoring.progress import (
    ProjectLike,
    get_project,
    load_rules,
    load_status_rules,
    progress_summary,
    project_facts,
    project_label,
)
from missionboard.store import audit
from missionboard.store.decisions import AppealRecord, DecisionDetail, DecisionRecord, DecisionStore
from missionboard.store.gates import GateRecord, GateStore
from missionboard.store.missions import MissionStore
from missionboard.store.progress import MissionLink, ProgressStore, ProjectRecord
from missionboard.store.workspace import Session, Workspace


class EvidenceProject(ProjectLike, Protocol):
    """What the evidence shows of a project besides its progress facts."""

    @property
    def title(self) -> str: ...
    @property
    def status(self) -> str: ...


def evidence_for(
    session: Session,
    project: EvidenceProject,
    *,
    rules: HealthRules,
    as_of: dt.date,
    status_rules: StatusRules | None = None,
) -> dict[str, JsonValue]:
    """What a decision-maker sees about a project on ``as_of``: health flags, progress, its objectives.

    Health is judged in the mission's time. Each objective entry carries its mission's judgement
    (``health``: the mission's start and deadline, the project's ``timing`` and ``window`` in it, the
    flags with their dates and the progress counted in that window), so a project linked to several
    missions is judged once per mission, and whatever hides a mission's objectives hides its judgement
    too. The project-level ``flags`` and ``progress`` are judged in the span of its missions
    (:func:`mission_span`); unbounded for a project in no mission's portfolio.
    """
    facts = project_facts(session, [project])[project.id]
    budget = project.budget_amount if project.budget_amount is not None else project.public_amount
    objectives: list[JsonValue] = []
    links = ProgressStore(session).mission_links(project.id)  # by the portfolio rule
    store = MissionStore(session)
    missions: dict[str, Mission | None] = {}  # a project linked to several objectives reads its mission once
    judged: dict[str, dict[str, Any]] = {}  # and is judged once per mission
    shown: set[tuple[str, str]] = set()  # (mission, objective): a project reached two ways is shown once

    def direct_first(link: MissionLink) -> tuple[str, bool]:
        mission = _mission(store, missions, link.taxonomy[len(MISSION_PREFIX) :])
        return link.taxonomy, mission is not None and mission.objective(link.goal) is None

    for link in sorted(links, key=direct_first):
        mission_id = link.taxonomy[len(MISSION_PREFIX) :]
        mission = _mission(store, missions, mission_id)
        # a link to an outcome stands for the objectives the outcome leads to (domain.portfolio_rule)
        served = mission.link_attribution().get(link.goal, []) if mission is not None else [link.goal]
        for objective_id in served or [link.goal]:
            if (mission_id, objective_id) in shown:
                continue
            shown.add((mission_id, objective_id))
            entry: dict[str, Any] = {
                "mission": mission_id,
                "objective": objective_id,
                "link_status": link.status,
                "link_score": link.score,
            }
            if objective_id != link.goal:
                entry["via_outcome"] = link.goal
            if mission is None:
                objectives.append(entry)
                continue
            if mission_id not in judged:
                judged[mission_id] = health_in_mission(facts, mission, rules, as_of)
            entry["health"] = judged[mission_id]
            objective = mission.objective(objective_id)
            if objective is not None:
                status = assess_objective(
                    session, mission, objective, as_of=as_of, rules=status_rules
                ).to_dict()
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
    span = mission_span(m for m in missions.values() if m is not None)
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
        "flags": [f.to_dict() for f in evaluate(facts, rules, as_of, span)],
        "progress": progress_summary(facts, as_of, mission=span),
        "objectives": objectives,
    }


def health_in_mission(
    facts: ProjectFacts, mission: Mission, rules: HealthRules, as_of: dt.date
) -> dict[str, Any]:
    """A project's health judged in one mission's time: the mission's dates, where the project lies in
    them (``timing``, ``window``), its flags with their dates, and its progress counted in that window."""
    health = assess(facts, rules, as_of, mission=mission)
    progress = progress_summary(facts, as_of, mission=mission)
    return {
        "start": mission.start.isoformat() if mission.start else None,
        "deadline": mission.deadline.isoformat() if mission.deadline else None,
        "timing": health.timing.value,
        "window": progress.pop("window"),
        "reported": health.reported,
        "flags": [f.to_dict() for f in health.flags],
        "progress": {k: v for k, v in progress.items() if k != "timing"},
    }


def mission_span(missions: Iterable[MissionDates]) -> MissionWindow | None:
    """The time of several missions together, from the earliest start to the latest deadline (open on a
    side where any of them is open); None for no mission, which leaves a project's time unbounded."""
    found = list(missions)
    if not found:
        return None
    starts = [m.start for m in found]
    deadlines = [m.deadline for m in found]
    return MissionWindow(
        start=None if None in starts else min(d for d in starts if d is not None),
        deadline=None if None in deadlines else max(d for d in deadlines if d is not None),
    )


def missions_of(
    session: Session, project_id: int, cache: dict[str, Mission | None] | None = None
) -> list[Mission]:
    """The missions whose portfolio the project is in (by the portfolio rule), by id; ``cache`` keeps the
    missions read across calls."""
    taxonomies = ProgressStore(session).mission_taxonomies(project_id)
    store = MissionStore(session)
    cache = {} if cache is None else cache
    found = [_mission(store, cache, t[len(MISSION_PREFIX) :]) for t in taxonomies]
    return [m for m in found if m is not None]


def _mission(store: MissionStore, cache: dict[str, Mission | None], mission_id: str) -> Mission | None:
    if mission_id not in cache:
        try:
            cache[mission_id] = store.get(mission_id).mission
        except NotFound:  # a deleted mission whose links remain
            cache[mission_id] = None
    return cache[mission_id]


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
    """Record a stage-gate decision with the evidence shown now frozen into it, and act on it.

    At ``gate`` each of its criteria is recorded as met (its 1-based number in ``met``, or ``"all"``) or
    not. A stop
    ends the project's funding on ``on`` (default today): status ``terminated``, end date ``on``, and the
    budget not yet paid by then (budget minus the latest cumulative spend reported on or before ``on``)
    released to the mission. A pivot records ``plan`` (the rationale where none is given); a scale adds
    ``amount`` to the budget. One transaction with its audit event: all of it lands, or none.
    Raises ``DecisionConflict`` for a decision the standing ones rule out (see :func:`_refuse_conflicts`).
    """
    kind = _kind(decision)
    if not rationale or not rationale.strip():
        raise InputError(Problem("", None, "rationale", "say why: a decision needs a rationale"))
    if not by or not by.strip():
        raise InputError(Problem("", None, "by", "say who decided"))
    today = dt.datetime.now(dt.UTC).date()
    day = on or today
    if day > today:
        raise InputError(Problem("", None, "on", f"{day} is in the future: a decision takes effect by today"))
    money = _added_money(kind, amount)
    if met and met != "none" and gate is None:
        raise InputError(Problem("", None, "met", "criteria are judged at a gate: name it (--gate)"))
    health_rules = rules if isinstance(rules, HealthRules) else load_rules(rules)
    status_rules = None if isinstance(rules, HealthRules) else load_status_rules(rules)
    now = dt.datetime.now(dt.UTC)
    with workspace.transaction() as session:
        projects = ProgressStore(session)
        project = projects.lock_project(get_project(session, project_ref, projects).id, refresh=True)
        gate_row = _gate(session, project, gate) if gate is not None else None
        _refuse_conflicts(session, project, kind, gate_row)
        results: tuple[CriterionResult, ...] = ()
        if gate_row is not None:
            criteria = tuple(gate_row.criteria)
            numbers = _numbers(met, len(criteria))
            try:
                results = criteria_results(criteria, numbers)
            except ValueError as exc:
                raise InputError(Problem("", None, "met", str(exc))) from None
        evidence = evidence_for(session, project, rules=health_rules, as_of=day, status_rules=status_rules)
        detail, project = _act(projects, project, kind, day=day, money=money, currency=currency)
        try:
            record = Decision(
                project=(project.source, project.source_id),
                decision=kind,
                rationale=rationale,
                evidence=evidence,
                by=by,
                at=now,
                gate=gate_row.name if gate_row else None,
                criteria=results,
                plan=(plan or rationale).strip() if kind is DecisionKind.PIVOT else None,
                amount=detail.amount,
                currency=detail.currency,
                on=day,
            )
        except ValidationError as exc:
            raise InputError(str(exc.errors()[0]["msg"])) from exc
        detail.gate_id = gate_row.id if gate_row else None
        detail.criteria = [r.model_dump() for r in results]
        detail.plan = record.plan
        decision_id = DecisionStore(session).record(
            project.id,
            record.decision.value,
            record.rationale,
            record.evidence,
            record.by,
            record.at,
            detail,
        )
        audit.record(
            session,
            actor=by,
            action="decide",
            entity="decision",
            entity_id=str(decision_id),
            before=detail.before or None,
            after={
                "project": project_label(project),
                "decision": record.decision.value,
                "rationale": record.rationale,
                "flags": _flag_codes(evidence),
                "gate": record.gate,
                "criteria_met": [r.criterion for r in results if r.met],
                "criteria_not_met": [r.criterion for r in results if not r.met],
                "plan": record.plan,
                "amount": str(record.amount) if record.amount is not None else None,
                "currency": record.currency,
                "on": day.isoformat(),
                "status": project.status,
                "end": project.end.isoformat() if project.end else None,
            },
        )
    return record


def _flag_codes(evidence: Mapping[str, JsonValue]) -> list[str]:
    """The codes of the health flags in a decision's evidence (``evidence_for``), in their order."""
    flags = evidence.get("flags")
    return [str(f["code"]) for f in flags if isinstance(f, dict)] if isinstance(flags, list) else []


def _numbers(met: Collection[int] | str, count: int) -> set[int]:
    """The numbers of the criteria met: given, or ``"all"`` / ``"none"``."""
    if not isinstance(met, str):
        return {int(n) for n in met}
    if met.strip().lower() == "all":
        return set(range(1, count + 1))
    if met.strip().lower() in ("", "none"):
        return set()
    raise InputError(Problem("", None, "met", f"'{met}' is not a list of criterion numbers, 'all' or 'none'"))


def _kind(decision: str) -> DecisionKind:
    try:
        return DecisionKind(decision.strip().lower())
    except ValueError:
        choices = ", ".join(k.value for k in DecisionKind)
        raise InputError(Problem("", None, "decision", f"'{decision}' is not one of {choices}")) from None


def _added_money(kind: DecisionKind, amount: Decimal | float | str | None) -> Decimal | None:
    if amount is None or (isinstance(amount, str) and not amount.strip()):
        return None
    if kind is not DecisionKind.SCALE:
        raise InputError(
            Problem("", None, "amount", "only a scale adds money; a stop works out what it releases")
        )
    try:
        value = Decimal(str(amount).strip())
    except InvalidOperation:
        raise InputError(Problem("", None, "amount", f"'{amount}' is not a number")) from None
    if not value.is_finite() or value <= 0:
        raise InputError(Problem("", None, "amount", "the added money must be a positive amount"))
    return value


def _gate(session: Session, project: ProjectRecord, name: str) -> GateRecord:
    row = GateStore(session).named(project.id, name.strip())
    if row is None:
        raise NotFound(
            f"no gate '{name}' for project {project_label(project)} "
            f"(see 'missionboard gate list {project_label(project)}')"
        )
    return row


def overturned_ids(session: Session, decision_ids: Collection[int]) -> set[int]:
    """Those of ``decision_ids`` that an appeal overturned: they no longer stand."""
    return DecisionStore(session).overturned_ids(decision_ids)


def standing_decisions(
    session: Session, project_id: int
) -> list[tuple[DecisionRecord, DecisionDetail | None]]:
    """The project's decisions that stand (not overturned on appeal), oldest first, with their details."""
    rows = DecisionStore(session).of_project(project_id)
    gone = overturned_ids(session, [d.id for d, _ in rows])
    return [(d, detail) for d, detail in rows if d.id not in gone]


def _refuse_conflicts(
    session: Session, project: ProjectRecord, kind: DecisionKind, gate: GateRecord | None
) -> None:
    """A decision the standing ones rule out is refused: any decision on a project a standing stop ended
    (appeal the stop to reopen it), and a second identical decision (same project, gate and outcome)."""
    for row, detail in standing_decisions(session, project.id):
        if row.decision == DecisionKind.STOP.value:
            when = detail.decided_on if detail is not None else utc_aware(row.at).date()
            raise DecisionConflict(
                f"project {project_label(project)} was stopped on {when} by decision #{row.id}: "
                f"no further decision is taken on it; appeal that decision to reopen it"
            )
        same_gate = (detail.gate_id if detail is not None else None) == (gate.id if gate else None)
        if gate is not None and same_gate and row.decision == kind.value:
            raise DecisionConflict(
                f"decision #{row.id} already records '{kind.value}' at gate '{gate.name}' for project "
                f"{project_label(project)}: an identical decision is refused"
            )
    if kind is DecisionKind.STOP and project.status == ProjectStatus.TERMINATED.value:
        raise InputError(
            Problem("", None, "decision", f"project {project_label(project)} is already terminated")
        )


def _budget(project: ProjectRecord) -> tuple[Decimal | None, str | None]:
    """The project's budget as the board counts it: its budget, or its public funding where none is given."""
    if project.budget_amount is not None:
        return project.budget_amount, project.budget_currency
    return project.public_amount, project.public_currency


def paid_by(session: Session, project: ProjectLike, day: dt.date, currency: str | None) -> Decimal:
    """What was paid by ``day``: per spend line, the latest cumulative actual reported on or before it,
    summed over lines in the budget's currency (or with no currency given)."""
    latest: dict[str, tuple[dt.date, float]] = {}
    for name, date, actual, unit in ProgressStore(session).spend_reports(project.id, day):
        if unit and currency and unit.strip().upper() != currency:
            continue
        if actual is not None and (name not in latest or date > latest[name][0]):
            latest[name] = (date, actual)
    return sum((Decimal(str(actual)) for _date, actual in latest.values()), Decimal(0))


def _act(
    projects: ProgressStore,
    project: ProjectRecord,
    kind: DecisionKind,
    *,
    day: dt.date,
    money: Decimal | None,
    currency: str | None,
) -> tuple[DecisionDetail, ProjectRecord]:
    """Apply the decision to the project; returns its detail (gate, criteria and plan still to be set)
    and the project as the decision left it."""
    budget, budget_currency = _budget(project)
    before = {
        "status": project.status,
        "end": project.end.isoformat() if project.end else None,
        "budget": str(budget) if budget is not None else None,
    }
    detail = DecisionDetail(decided_on=day, criteria=[], before=before)
    if kind is DecisionKind.STOP:
        if project.end is not None and project.end < day:
            raise InputError(
                Problem(
                    "",
                    None,
                    "decision",
                    f"project {project_label(project)} ended on {project.end}: there is no further "
                    "funding to stop",
                )
            )
        paid = paid_by(projects.session, project, day, budget_currency)
        detail.paid = paid
        detail.amount = released_amount(budget, paid)
        detail.currency = budget_currency if budget is not None else None
        project = projects.update_project(project.id, status=ProjectStatus.TERMINATED.value, end=day)
    elif kind is DecisionKind.SCALE and money is not None:
        wanted = (currency or budget_currency or "").strip().upper() or None
        if wanted is None:
            raise InputError(Problem("", None, "currency", "say in which currency the money is added"))
        if budget_currency is not None and wanted != budget_currency:
            raise InputError(
                Problem(
                    "",
                    None,
                    "currency",
                    f"the project's budget is in {budget_currency}: add money in {budget_currency}",
                )
            )
        detail.amount, detail.currency = money, wanted
        if project.budget_amount is None:
            project = projects.update_project(
                project.id,
                budget_amount=(project.public_amount or Decimal(0)) + money,
                budget_currency=wanted,
            )
        else:
            project = projects.update_project(project.id, budget_amount=project.budget_amount + money)
    return detail, project


def appeal_entry(row: AppealRecord) -> AppealEntry:
    """A stored appeal, its times in UTC."""
    return AppealEntry(
        id=row.id,
        decision=row.decision_id,
        by=row.by,
        reason=row.reason,
        lodged_at=utc_aware(row.lodged_at),
        outcome=row.outcome,
        ruled_by=row.ruled_by,
        ruling=row.ruling,
        ruled_at=utc_aware(row.ruled_at) if row.ruled_at else None,
    )


def mission_project_ids(session: Session, mission_id: str) -> set[int]:
    """The projects in the mission's portfolio (``domain.portfolio_rule``)."""
    mission = MissionStore(session).get(mission_id).mission
    return ProgressStore(session).portfolio_ids(mission)


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
    store = DecisionStore(session)
    for ident, project_id, at in store.newest_first():
        if wanted is not None and project_id not in wanted:
            continue
        if cutoff is not None and utc_aware(at) > cutoff:
            continue
        chosen.append(ident)
        if limit is not None and len(chosen) >= limit:
            break
    rows, appeals = store.read_whole(chosen)
    out = []
    for ident in chosen:
        found = rows[ident]
        row, project, detail, gate = found.decision, found.project, found.detail, found.gate
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
                    at=utc_aware(row.at),
                    gate=gate,
                    criteria=tuple(CriterionResult(**c) for c in detail.criteria) if detail else (),
                    plan=detail.plan if detail else None,
                    amount=detail.amount if detail else None,
                    currency=detail.currency if detail else None,
                    on=detail.decided_on if detail else utc_aware(row.at).date(),
                ),
                appeals=[appeal_entry(a) for a in appeals[ident]],
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

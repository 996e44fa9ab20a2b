"""The mission board: objectives against targets, the money behind them, flagged projects, decisions,
rebalancing suggestions and a what-if — everything as it was known on one date.

Funding per objective comes from the mission's links (taxonomy ``mission:<id>``, goal = objective id,
every link not rejected). A project linked to several objectives of the mission counts an equal share
towards each, so nothing is counted twice. Amounts are the project budget (public funding where no
budget is given), converted into the mission's most common currency with the imported exchange rates
(the rate of the project's start year, or the nearest year); projects without a rate are left out and
named in ``notes``.

Rebalancing: each objective's intended share is its weight (equal weights where none are given).
An objective that is ``off_track`` or ``at_risk`` and funded below its intended share can receive; an
objective that is ``on_track`` or ``achieved`` and funded above its share can give. Receivers are
served worst status first, largest shortfall first, from the donor with the largest surplus; each
move is the smaller of shortfall and surplus.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from missionboard.domain.health import HealthRules, evaluate
from missionboard.domain.missions import Mission
from missionboard.domain.targets import StatusRules, TargetStatus
from missionboard.errors import InputError, Problem
from missionboard.monitoring.decisions import MISSION_TAXONOMY, DecisionEntry, decisions_in
from missionboard.monitoring.objectives import ObjectiveStatus, assess_objective, rounded
from missionboard.monitoring.progress import (
    BASICS_COLUMNS,
    ProjectBasics,
    load_rules,
    load_status_rules,
    project_facts,
    project_label,
)
from missionboard.store.missions import MissionStore
from missionboard.store.tables import ExchangeRateRow, LinkRow, ProjectRow
from missionboard.store.workspace import Workspace

RECENT_DECISIONS = 20
NEEDS_MONEY = (TargetStatus.OFF_TRACK, TargetStatus.AT_RISK)
CAN_GIVE = (TargetStatus.ON_TRACK, TargetStatus.ACHIEVED)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while the board builds its few objects per linked project.

    They all stay alive until the board is returned, so the collector's repeated full passes over a
    growing heap free nothing and cost about a third of the time at 200,000 projects. Reference counting
    frees memory as usual; the collector is switched back on (if it was on) when the block ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True)
class LinkedProject:
    id: int
    project: str
    title: str
    objectives: list[str]
    link_status: dict[str, str]
    amount: float | None
    """Budget in the reporting currency (None when it has no budget or no exchange rate)."""


@dataclass
class MonitorResult:
    mission: Mission
    as_of: dt.date
    currency: str | None
    objectives: list[ObjectiveStatus]
    funding: dict[str, float]
    projects: list[LinkedProject]
    flagged: list[dict[str, Any]]
    decisions: list[DecisionEntry]
    suggestions: list[dict[str, Any]]
    move: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    def objective_projects(self, objective_id: str) -> list[dict[str, Any]]:
        return self._projects_by_objective().get(objective_id, [])

    def _projects_by_objective(self) -> dict[str, list[dict[str, Any]]]:
        """Each objective's projects, largest share first (one pass over the projects for all objectives)."""
        out: dict[str, list[dict[str, Any]]] = defaultdict(list)
        with _collector_paused():
            for p in self.projects:
                amount = rounded(p.amount / len(p.objectives)) if p.amount is not None else None
                for objective_id in p.objectives:
                    out[objective_id].append(
                        {
                            "project": p.project,
                            "title": p.title,
                            "link_status": p.link_status[objective_id],
                            "amount": amount,
                        }
                    )
            return {o: sorted(rows, key=lambda d: -(d["amount"] or 0)) for o, rows in out.items()}

    def to_dict(self) -> dict[str, Any]:
        total = sum(self.funding.values())
        projects = self._projects_by_objective()
        objectives = []
        for status in self.objectives:
            entry = status.to_dict()
            amount = self.funding.get(status.objective.id, 0.0)
            entry["funding"] = {
                "amount": rounded(amount),
                "currency": self.currency,
                "share": rounded(amount / total, 3) if total else None,
                "projects": projects.get(status.objective.id, []),
            }
            objectives.append(entry)
        return {
            "mission": self.mission.id,
            "title": self.mission.title,
            "as_of": self.as_of.isoformat(),
            "currency": self.currency,
            "funding_total": rounded(total),
            "objectives": objectives,
            "flagged_projects": self.flagged,
            "decisions": [d.to_dict(evidence=False) for d in self.decisions],
            "suggestions": self.suggestions,
            "move": self.move,
            "notes": self.notes,
        }


class Rates:
    """Exchange rates into one reporting currency, read once; each (currency, year) looked up once.

    A rate is the one imported for the currency of the year nearest to the project's start year (the
    latest year where the start is unknown; the earlier year where two are equally near); without one,
    the inverse of a rate from the reporting currency into the currency.
    """

    def __init__(self, session: Session, reporting: str) -> None:
        self.reporting = reporting
        self._direct: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._inverse: dict[str, list[tuple[int, float]]] = defaultdict(list)
        rows = session.execute(
            select(
                ExchangeRateRow.currency,
                ExchangeRateRow.reporting_currency,
                ExchangeRateRow.year,
                ExchangeRateRow.rate,
            )
            .where(
                or_(ExchangeRateRow.reporting_currency == reporting, ExchangeRateRow.currency == reporting)
            )
            .order_by(ExchangeRateRow.year, ExchangeRateRow.id)
        )
        for currency, to, year, rate in rows:
            if to == reporting:
                self._direct[currency].append((year, rate))
            if currency == reporting:
                self._inverse[to].append((year, rate))
        self._known: dict[tuple[str, int | None], float | None] = {}

    def rate(self, currency: str, year: int | None) -> float | None:
        """Units of the reporting currency per unit of ``currency`` (None where no rate is imported)."""
        key = (currency, year)
        if key not in self._known:
            self._known[key] = self._find(currency, year)
        return self._known[key]

    def _find(self, currency: str, year: int | None) -> float | None:
        if currency == self.reporting:
            return 1.0

        def nearest(rows: list[tuple[int, float]]) -> float:
            return min(rows, key=lambda r: abs(r[0] - year) if year is not None else -r[0])[1]

        if self._direct.get(currency):
            return nearest(self._direct[currency])
        if self._inverse.get(currency):
            rate = nearest(self._inverse[currency])
            return 1.0 / rate if rate else None
        return None


def linked_ids(mission: Mission) -> Select[Any]:
    """The ids of the projects with a link (not rejected) to the mission: a subquery for set-based reads."""
    return select(LinkRow.project_id).where(
        LinkRow.taxonomy == f"{MISSION_TAXONOMY}{mission.id}", LinkRow.status != "rejected"
    )


def _linked_projects(
    session: Session, mission: Mission, notes: list[str]
) -> tuple[str | None, list[LinkedProject], dict[int, ProjectBasics]]:
    """The projects linked to the mission's objectives (by project id) and the fields the board reads,
    in one query by column (no ORM objects, no JSON columns parsed)."""
    known = {o.id for o in mission.objectives}
    rows = session.execute(
        select(LinkRow.goal, LinkRow.status, *BASICS_COLUMNS)
        .join(ProjectRow, ProjectRow.id == LinkRow.project_id)
        .where(LinkRow.taxonomy == f"{MISSION_TAXONOMY}{mission.id}", LinkRow.status != "rejected")
        .order_by(ProjectRow.id)
    )
    grouped: dict[int, tuple[ProjectBasics, dict[str, str]]] = {}
    for goal, status, *fields in rows:
        if goal not in known:
            continue
        entry = grouped.get(fields[0])
        if entry is None:
            entry = grouped[fields[0]] = (ProjectBasics(*fields), {})
        entry[1][goal] = status
    money: dict[int, tuple[float, str]] = {}
    for pid, (project, _links) in grouped.items():
        if project.budget_amount is not None and project.budget_currency:
            money[pid] = (float(project.budget_amount), project.budget_currency)
        elif project.public_amount is not None and project.public_currency:
            money[pid] = (float(project.public_amount), project.public_currency)
    currencies = Counter(c for _a, c in money.values())
    currency = min(currencies, key=lambda c: (-currencies[c], c)) if currencies else None
    rates = Rates(session, currency) if currency is not None else None
    missing_rates: set[str] = set()
    out = []
    for pid, (project, links) in grouped.items():
        amount: float | None = None
        if rates is not None and pid in money:
            value, cur = money[pid]
            rate = rates.rate(cur, project.start.year if project.start else None)
            if rate is None:
                missing_rates.add(cur)
            else:
                amount = value * rate
        out.append(LinkedProject(pid, project_label(project), project.title, sorted(links), links, amount))
    if missing_rates:
        notes.append(
            f"projects in {', '.join(sorted(missing_rates))} are left out of the funding sums: "
            f"no exchange rate to {currency} (import one with 'missionboard rates import')"
        )
    return currency, out, {pid: project for pid, (project, _links) in grouped.items()}


def _shares(mission: Mission) -> dict[str, float]:
    weights = {o.id: (o.weight if o.weight is not None else 1.0) for o in mission.objectives}
    total = sum(weights.values())
    if total <= 0:
        return {o: 1 / len(weights) for o in weights} if weights else {}
    return {o: w / total for o, w in weights.items()}


def suggest(
    statuses: list[ObjectiveStatus], funding: dict[str, float], shares: dict[str, float], currency: str | None
) -> list[dict[str, Any]]:
    """Rebalancing moves from well-funded on-track objectives to under-funded off-track ones."""
    total = sum(funding.values())
    if total <= 0:
        return []
    severity = {TargetStatus.OFF_TRACK: 0, TargetStatus.AT_RISK: 1}
    gaps = {
        s.objective.id: shares.get(s.objective.id, 0) * total - funding.get(s.objective.id, 0)
        for s in statuses
    }
    receivers = sorted(
        (s for s in statuses if s.status in NEEDS_MONEY and gaps[s.objective.id] > 0),
        key=lambda s: (severity[s.status], -gaps[s.objective.id]),
    )
    donors = {s.objective.id: s for s in statuses if s.status in CAN_GIVE and gaps[s.objective.id] < 0}
    surplus = {o: -gaps[o] for o in donors}
    out: list[dict[str, Any]] = []
    for receiver in receivers:
        need = gaps[receiver.objective.id]
        while need > 0.005 * total and any(v > 0.005 * total for v in surplus.values()):
            giver = max(surplus, key=lambda o: surplus[o])
            amount = min(need, surplus[giver])
            surplus[giver] -= amount
            need -= amount
            to_id, from_id = receiver.objective.id, giver
            sum_text = f"{rounded(amount, 3):,.0f} {currency or ''}".strip()
            reason = (
                f"'{to_id}' is {receiver.status.value.replace('_', ' ')} with "
                f"{funding.get(to_id, 0) / total:.0%} of the funding against {shares.get(to_id, 0):.0%} "
                f"intended; '{from_id}' is {donors[from_id].status.value.replace('_', ' ')} with "
                f"{funding.get(from_id, 0) / total:.0%} against {shares.get(from_id, 0):.0%}"
            )
            out.append(
                {
                    "from": from_id,
                    "to": to_id,
                    "amount": rounded(amount, 3),
                    "currency": currency,
                    "reason": reason,
                    "message": f"Move {sum_text} from '{from_id}' to '{to_id}': {reason}",
                }
            )
    return out


def what_if(
    funding: dict[str, float], move: tuple[float, str, str], currency: str | None, shares: dict[str, float]
) -> dict[str, Any]:
    amount, source, target = move
    problems = []
    for name, ident in (("--from", source), ("--to", target)):
        if ident not in funding:
            problems.append(Problem("", None, name, f"no objective '{ident}' in this mission"))
    if source == target:
        problems.append(Problem("", None, "--to", "must name a different objective than --from"))
    if amount <= 0:
        problems.append(Problem("", None, "--move", "the amount must be positive"))
    if problems:
        raise InputError(problems)
    if amount > funding[source] + 1e-9:
        raise InputError(
            Problem(
                "",
                None,
                "--move",
                f"'{source}' has only {funding[source]:,.0f} {currency or ''} to move".rstrip(),
            )
        )
    after = dict(funding)
    after[source] -= amount
    after[target] += amount
    total = sum(funding.values())

    def mix(values: dict[str, float]) -> list[dict[str, Any]]:
        return [
            {
                "objective": o,
                "amount": rounded(v),
                "share": rounded(v / total, 3) if total else None,
                "intended_share": rounded(shares.get(o, 0), 3),
            }
            for o, v in values.items()
        ]

    return {
        "amount": amount,
        "currency": currency,
        "from": source,
        "to": target,
        "before": mix(funding),
        "after": mix(after),
    }


def monitor_mission(
    workspace: Workspace,
    mission_id: str,
    *,
    as_of: dt.date | None = None,
    move: tuple[float, str, str] | None = None,
    rules: HealthRules | Path | None = None,
    status_rules: StatusRules | None = None,
) -> MonitorResult:
    """The mission board as it was known on ``as_of`` (default today)."""
    day = as_of or dt.datetime.now(dt.UTC).date()
    health_rules = rules if isinstance(rules, HealthRules) else load_rules(rules)
    if status_rules is None and not isinstance(rules, HealthRules):
        status_rules = load_status_rules(rules)
    with _collector_paused(), workspace.reading() as session:
        mission = MissionStore(session).get(mission_id).mission
        statuses = [
            assess_objective(session, mission, o, as_of=day, rules=status_rules) for o in mission.objectives
        ]
        notes: list[str] = []
        currency, projects, basics = _linked_projects(session, mission, notes)
        funding: dict[str, float] = defaultdict(float)
        for objective in mission.objectives:
            funding[objective.id] = 0.0
        for p in projects:
            if p.amount is None:
                continue
            for goal in p.objectives:
                funding[goal] += p.amount / len(p.objectives)
        facts = project_facts(session, basics.values(), among=linked_ids(mission))
        flagged = []
        for p in projects:
            flags = evaluate(facts[p.id], health_rules, day)
            if flags:
                flagged.append(
                    {
                        "project": p.project,
                        "id": p.id,
                        "title": p.title,
                        "objectives": p.objectives,
                        "reasons": [f"{f.code.value.replace('_', ' ')}: {f.reason}" for f in flags],
                        "flags": [{"code": f.code.value, "reason": f.reason} for f in flags],
                    }
                )
        decisions = decisions_in(session, project_ids=set(basics), as_of=day, limit=RECENT_DECISIONS)
    shares = _shares(mission)
    funding = dict(funding)
    if not projects:
        notes.append(f"no projects are linked to mission '{mission.id}' yet (see 'missionboard classify')")
    result = MonitorResult(
        mission=mission,
        as_of=day,
        currency=currency,
        objectives=statuses,
        funding=funding,
        projects=projects,
        flagged=flagged,
        decisions=decisions,
        suggestions=suggest(statuses, funding, shares, currency),
        notes=notes,
    )
    if move is not None:
        result.move = what_if(funding, move, currency, shares)
    return result

"""The mission board: objectives against targets, the money behind them, flagged projects, decisions,
rebalancing suggestions and a what-if — everything as it was known on one date.

Funding per objective comes from the mission's portfolio (``domain.portfolio_rule``: links accepted, or
proposed with score ≥ 0.5, to an objective of the mission). A project linked to several objectives of
the mission counts an equal share towards each, so nothing is counted twice. Amounts are the project
budget (public funding plus co-funding where no budget is given), converted into the portfolio's
reporting currency (the mission's, else the workspace's) with the imported exchange rates — direct,
inverse or cross, rate of the project's start year or the nearest year; projects with no possible
conversion are left out of the sums and counted per currency in ``notes``.

Regional targets: each objective's regions are judged as the objective is, on the observations of the
region's geography (``monitoring.objectives``), and listed under the objective (``regions``); the
objective's own status, and so rebalancing, reads only the mission's geography.

Rebalancing: each objective's intended share is its weight (equal weights where none are given).
An objective that is ``off_track`` or ``at_risk`` and funded below its intended share can receive; an
objective that is ``on_track`` or ``achieved`` and funded above its share can give. Receivers are
served worst status first, largest shortfall first, from the donor with the largest surplus; each
move is the smaller of shortfall and surplus. Money that stage-gate stops released from the mission's
projects is reckoned off the objectives it funded and served to receivers before any donor (``suggest``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from missionboard.domain.forecasting import calibrated
from missionboard.domain.health import Flag, HealthRules, HealthSummary, assess
from missionboard.domain.missions import Mission
from missionboard.domain.portfolio_rule import (
    DEFAULT_RULE,
    ProjectMoney,
    RateTable,
    convert_money,
    currency_text,
)
from missionboard.domain.targets import StatusRules, TargetStatus, status_for_probability
from missionboard.errors import InputError, Problem
from missionboard.monitoring.decisions import DecisionEntry, decisions_in
from missionboard.monitoring.objectives import ObjectiveStatus, assess_objective, rounded
from missionboard.monitoring.progress import (
    load_rules,
    load_status_rules,
    project_facts,
    project_label,
)
from missionboard.store.missions import MissionStore
from missionboard.store.portfolio_scope import (
    mission_currency,
    portfolio_project_ids,
    rate_table,
)
from missionboard.store.progress import ProgressStore, ProjectBasics, ProjectIds
from missionboard.store.workspace import Session, Workspace

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


@dataclass(frozen=True)
class FlaggedProject:
    """A project of the portfolio that health rules flag, judged in the mission's time."""

    project: str
    id: int
    title: str
    objectives: list[str]
    reasons: list[str]
    """Each flag in words: ``behind schedule: …``."""
    flags: list[Flag]

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "id": self.id,
            "title": self.title,
            "objectives": self.objectives,
            "reasons": self.reasons,
            "flags": [f.to_dict() for f in self.flags],
        }


@dataclass(frozen=True)
class Suggestion:
    """A rebalancing move (``suggest``): ``amount`` from an objective, or from the money stopped projects
    released (``source`` is ``released``), to an objective (``target`` None: released, not yet reassigned)."""

    source: str
    target: str | None
    amount: float | None
    currency: str | None
    reason: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.source,
            "to": self.target,
            "amount": self.amount,
            "currency": self.currency,
            "reason": self.reason,
            "message": self.message,
        }


@dataclass(frozen=True)
class ReleasedProject:
    """A stopped project and the money its standing stop released, in the reporting currency."""

    project: str
    decision: int
    on: dt.date
    amount: float | None
    objectives: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "decision": self.decision,
            "on": self.on.isoformat(),
            "amount": self.amount,
            "objectives": self.objectives,
        }


@dataclass(frozen=True)
class ReleasedMoney:
    """Money standing stops released from the mission's projects (``released_money``): in all, per
    objective it funded, and per stopped project."""

    amount: float | None
    by_objective: dict[str, float | None]
    projects: list[ReleasedProject]

    def to_dict(self) -> dict[str, Any]:
        return {
            "amount": self.amount,
            "by_objective": self.by_objective,
            "projects": [p.to_dict() for p in self.projects],
        }


@dataclass(frozen=True)
class FundingShare:
    """An objective's funding in a what-if's mix: the amount, its share and the intended share."""

    objective: str
    amount: float | None
    share: float | None
    intended_share: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "objective": self.objective,
            "amount": self.amount,
            "share": self.share,
            "intended_share": self.intended_share,
        }


@dataclass(frozen=True)
class WhatIfOutcome:
    """An objective's forecast before and after a what-if move; the after-values only under an effect the
    user assumed (``status_after`` None: no effect assumed, or no forecast to shift)."""

    objective: str
    change: float | None
    effect_per_million: float | None
    assumption: str
    status_before: str
    probability_before: float | None
    forecast_before: float | None
    year: int | None
    shift: float | None = None
    forecast_after: float | None = None
    probability_after: float | None = None
    status_after: str | None = None

    def to_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "objective": self.objective,
            "change": self.change,
            "effect_per_million": self.effect_per_million,
            "assumption": self.assumption,
            "status_before": self.status_before,
            "probability_before": self.probability_before,
            "forecast_before": self.forecast_before,
            "year": self.year,
        }
        if self.status_after is None:
            return entry | {
                "status_after": self.status_after,
                "probability_after": self.probability_after,
                "forecast_after": self.forecast_after,
            }
        return entry | {
            "shift": self.shift,
            "forecast_after": self.forecast_after,
            "probability_after": self.probability_after,
            "status_after": self.status_after,
        }


@dataclass(frozen=True)
class WhatIf:
    """The funding mix before and after moving ``amount`` from ``source`` to ``target``, and what the
    move does to the two objectives' forecasts (``what_if``)."""

    amount: float
    currency: str | None
    source: str
    target: str
    before: list[FundingShare]
    after: list[FundingShare]
    outcomes: list[WhatIfOutcome]

    def to_dict(self) -> dict[str, Any]:
        return {
            "amount": self.amount,
            "currency": self.currency,
            "from": self.source,
            "to": self.target,
            "before": [m.to_dict() for m in self.before],
            "after": [m.to_dict() for m in self.after],
            "outcomes": [o.to_dict() for o in self.outcomes],
        }


@dataclass
class MonitorResult:
    mission: Mission
    as_of: dt.date
    currency: str | None
    objectives: list[ObjectiveStatus]
    funding: dict[str, float]
    projects: list[LinkedProject]
    flagged: list[FlaggedProject]
    decisions: list[DecisionEntry]
    suggestions: list[Suggestion]
    move: WhatIf | None = None
    notes: list[str] = field(default_factory=list)
    released: ReleasedMoney | None = None
    """Money standing stops released from the mission's projects (``released_money``)."""
    health: HealthSummary = field(default_factory=HealthSummary)
    """Projects judged for health, those that ended before the mission began, the unmonitored."""

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
            entry["regions"] = [region.to_dict() for region in status.regions]
            objectives.append(entry)
        return {
            "mission": self.mission.id,
            "title": self.mission.title,
            "as_of": self.as_of.isoformat(),
            "currency": self.currency,
            "portfolio": {**DEFAULT_RULE.to_dict(), "currency": self.currency},
            "funding_total": rounded(total),
            "objectives": objectives,
            "flagged_projects": [p.to_dict() for p in self.flagged],
            "health": self.health.to_dict(),
            "decisions": [d.to_dict(evidence=False) for d in self.decisions],
            "suggestions": [s.to_dict() for s in self.suggestions],
            "released": {"currency": self.currency, **(self.released.to_dict() if self.released else {})},
            "move": self.move.to_dict() if self.move is not None else None,
            "notes": self.notes,
        }


class Rates:
    """Exchange rates into one reporting currency, read once; each (currency, year) looked up once.

    The one conversion rule of ``domain.portfolio_rule.RateTable``: the rate of the project's start year,
    else the nearest year (the earlier of two equally near; the latest where the start is unknown);
    direct, else the inverse of a rate the other way, else a cross rate through a third currency.
    """

    def __init__(self, session: Session, reporting: str, table: RateTable | None = None) -> None:
        self.reporting = reporting
        self.table = table if table is not None else rate_table(session)

    def rate(self, currency: str, year: int | None) -> float | None:
        """Units of the reporting currency per unit of ``currency`` (None where no rate is imported)."""
        found = self.table.convert(currency, self.reporting, year)
        return found.rate if found is not None else None


def linked_ids(mission: Mission) -> ProjectIds:
    """The ids of the projects in the mission's portfolio (``domain.portfolio_rule``): a subquery for
    set-based reads."""
    return portfolio_project_ids(mission)


def _linked_projects(
    session: Session, mission: Mission, notes: list[str]
) -> tuple[str | None, list[LinkedProject], dict[int, ProjectBasics]]:
    """The projects in the mission's portfolio (by project id), their money in the portfolio's reporting
    currency and the fields the board reads, in one query by column (no ORM objects, no JSON columns)."""
    rows = ProgressStore(session).portfolio_lines(mission)
    grouped: dict[int, tuple[ProjectBasics, dict[str, str], tuple[Any, Any]]] = {}
    for goal, status, cofunding, cofunding_currency, *fields in rows:
        entry = grouped.get(fields[0])
        if entry is None:
            entry = grouped[fields[0]] = (ProjectBasics(*fields), {}, (cofunding, cofunding_currency))
        if entry[1].get(goal) != "accepted":
            entry[1][goal] = status
    table = rate_table(session)
    currency, source = mission_currency(session, mission, table)
    notes.append(f"Portfolio: {DEFAULT_RULE.describe()}; money in {currency_text(currency, source)}.")
    unconverted: dict[str, int] = defaultdict(int)
    out = []
    for pid, (project, links_, (cofunding, cofunding_currency)) in grouped.items():
        stated = ProjectMoney(
            _float(project.budget_amount),
            project.budget_currency,
            _float(project.public_amount),
            project.public_currency,
            _float(cofunding),
            cofunding_currency,
        )
        converted = convert_money(stated, currency, project.start.year if project.start else None, table)
        for code, _amount in converted.unconverted:
            unconverted[code] += 1
        out.append(
            LinkedProject(
                pid, project_label(project), project.title, sorted(links_), links_, converted.amount
            )
        )
    if unconverted:
        notes.append(
            "projects left out of the funding sums, no possible conversion to "
            f"{currency}: "
            + ", ".join(f"{n} in {code}" for code, n in sorted(unconverted.items()))
            + " (import a rate with 'missionboard rates import')"
        )
    return currency, out, {pid: project for pid, (project, _links, _c) in grouped.items()}


def _float(value: Any) -> float | None:
    return float(value) if value is not None else None


def _shares(mission: Mission) -> dict[str, float]:
    weights = {o.id: (o.weight if o.weight is not None else 1.0) for o in mission.objectives}
    total = sum(weights.values())
    if total <= 0:
        return {o: 1 / len(weights) for o in weights} if weights else {}
    return {o: w / total for o, w in weights.items()}


def released_money(session: Session, projects: list[LinkedProject], day: dt.date) -> ReleasedMoney:
    """The money standing stops (in effect by ``day``) released from the mission's projects, in the
    reporting currency: each stopped project's converted budget times the share of it the stop released,
    split over its objectives as its funding is."""
    from missionboard.monitoring.gates import releases  # gates reads decisions, as the board does

    found = releases(session, [p.id for p in projects], as_of=day)
    by_objective: dict[str, float] = {}
    rows = []
    for p in projects:
        release = found.get(p.id)
        if release is None or p.amount is None:
            continue
        amount = p.amount * release.share
        for goal in p.objectives:
            by_objective[goal] = by_objective.get(goal, 0.0) + amount / len(p.objectives)
        rows.append(
            ReleasedProject(p.project, release.decision_id, release.on, rounded(amount), p.objectives)
        )
    return ReleasedMoney(
        amount=rounded(sum(by_objective.values())),
        by_objective={o: rounded(v) for o, v in by_objective.items()},
        projects=rows,
    )


def suggest(
    statuses: list[ObjectiveStatus],
    funding: dict[str, float],
    shares: dict[str, float],
    currency: str | None,
    released: Mapping[str, float | None] | None = None,
) -> list[Suggestion]:
    """Rebalancing moves: money released by stopped projects first, then from well-funded on-track
    objectives, to under-funded off-track ones.

    ``released`` is, per objective, money stops released from its projects: it stays the mission's money
    (``total`` is unchanged) but no longer funds that objective, so each objective's gap is reckoned on
    what remains committed to it. Receivers draw on the released pool before any donor; what no receiver
    needs is listed as released and not yet reassigned.
    """
    total = sum(funding.values())
    if total <= 0:
        return []
    freed = {o: v for o, v in (released or {}).items() if v is not None and v > 0}
    committed = {o: v - freed.get(o, 0.0) for o, v in funding.items()}
    pool = sum(freed.values())
    severity = {TargetStatus.OFF_TRACK: 0, TargetStatus.AT_RISK: 1}
    gaps = {
        s.objective.id: shares.get(s.objective.id, 0) * total - committed.get(s.objective.id, 0)
        for s in statuses
    }
    receivers = sorted(
        (s for s in statuses if s.status in NEEDS_MONEY and gaps[s.objective.id] > 0),
        key=lambda s: (severity[s.status], -gaps[s.objective.id]),
    )
    donors = {s.objective.id: s for s in statuses if s.status in CAN_GIVE and gaps[s.objective.id] < 0}
    surplus = {o: -gaps[o] for o in donors}
    out: list[Suggestion] = []
    for receiver in receivers:
        need = gaps[receiver.objective.id]
        to_id = receiver.objective.id
        state = receiver.status.value.replace("_", " ")
        if need > 0.005 * total and pool >= 0.5:  # released money is offered however small
            amount = min(need, pool)
            pool -= amount
            need -= amount
            sum_text = f"{rounded(amount, 3):,.0f} {currency or ''}".strip()
            reason = (
                f"'{to_id}' is {state} with {committed.get(to_id, 0) / total:.0%} of the funding "
                f"committed against {shares.get(to_id, 0):.0%} intended; stopped projects released this money"
            )
            out.append(
                Suggestion(
                    source="released",
                    target=to_id,
                    amount=rounded(amount, 3),
                    currency=currency,
                    reason=reason,
                    message=f"Give {sum_text} released from stopped projects to '{to_id}': {reason}",
                )
            )
        while need > 0.005 * total and any(v > 0.005 * total for v in surplus.values()):
            giver = max(surplus, key=lambda o: surplus[o])
            amount = min(need, surplus[giver])
            surplus[giver] -= amount
            need -= amount
            from_id = giver
            sum_text = f"{rounded(amount, 3):,.0f} {currency or ''}".strip()
            reason = (
                f"'{to_id}' is {state} with "
                f"{committed.get(to_id, 0) / total:.0%} of the funding against {shares.get(to_id, 0):.0%} "
                f"intended; '{from_id}' is {donors[from_id].status.value.replace('_', ' ')} with "
                f"{committed.get(from_id, 0) / total:.0%} against {shares.get(from_id, 0):.0%}"
            )
            out.append(
                Suggestion(
                    source=from_id,
                    target=to_id,
                    amount=rounded(amount, 3),
                    currency=currency,
                    reason=reason,
                    message=f"Move {sum_text} from '{from_id}' to '{to_id}': {reason}",
                )
            )
    if pool >= 0.5:
        sum_text = f"{rounded(pool, 3):,.0f} {currency or ''}".strip()
        out.append(
            Suggestion(
                source="released",
                target=None,
                amount=rounded(pool, 3),
                currency=currency,
                reason="no objective that is off track or at risk is funded below its intended share",
                message=f"Released: {sum_text} from stopped projects, not yet reassigned to an objective",
            )
        )
    return out


def what_if(
    funding: dict[str, float],
    move: tuple[float, str, str],
    currency: str | None,
    shares: dict[str, float],
    *,
    statuses: Sequence[ObjectiveStatus] = (),
    effects: Mapping[str, float] | None = None,
    rules: StatusRules | None = None,
) -> WhatIf:
    """The funding mix after moving money, and, where the user states an effect per million of the
    reporting currency, the objectives' forecasts and probabilities under that assumption.

    No effect is ever estimated from the history: without ``effects`` the outcome says none is assumed.
    """
    amount, source, target = move
    effects = dict(effects or {})
    problems = []
    for name, ident in (("--from", source), ("--to", target)):
        if ident not in funding:
            problems.append(Problem("", None, name, f"no objective '{ident}' in this mission"))
    if source == target:
        problems.append(Problem("", None, "--to", "must name a different objective than --from"))
    if amount <= 0:
        problems.append(Problem("", None, "--move", "the amount must be positive"))
    for ident in effects:
        if ident not in (source, target):
            problems.append(
                Problem(
                    "", None, "--effect", f"'{ident}' is neither --from nor --to: the move does not touch it"
                )
            )
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

    def mix(values: dict[str, float]) -> list[FundingShare]:
        return [
            FundingShare(
                objective=o,
                amount=rounded(v),
                share=rounded(v / total, 3) if total else None,
                intended_share=rounded(shares.get(o, 0), 3),
            )
            for o, v in values.items()
        ]

    return WhatIf(
        amount=amount,
        currency=currency,
        source=source,
        target=target,
        before=mix(funding),
        after=mix(after),
        outcomes=[
            _outcome(status, change, effects.get(status.objective.id), currency, rules)
            for status in statuses
            for change in [{source: -amount, target: amount}.get(status.objective.id)]
            if change is not None
        ],
    )


def _outcome(
    status: ObjectiveStatus,
    change: float,
    effect: float | None,
    currency: str | None,
    rules: StatusRules | None,
) -> WhatIfOutcome:
    """One objective's forecast before and after the move, under the user's stated effect (if any)."""
    unit = status.objective.indicator.unit if status.objective.indicator else ""
    per = f"per million {currency or 'of the reporting currency'}"
    entry = WhatIfOutcome(
        objective=status.objective.id,
        change=rounded(change),
        effect_per_million=effect,
        assumption=(
            f"assumed by the user: {effect:+g} {unit} {per}, not estimated from the data"
            if effect is not None
            else "no effect assumed"
        ),
        status_before=status.status.value,
        probability_before=rounded(status.probability, 3),
        forecast_before=rounded(status.forecast.value) if status.forecast else None,
        year=status.forecast.year if status.forecast else None,
    )
    path, outlook = status.assessment.path, status.forecast
    if effect is None or outlook is None or path is None or status.probability is None:
        return entry
    shift = effect * change / 1_000_000
    probability = calibrated(outlook.probability(path.target, path.direction, shift=shift))
    assert probability is not None  # the path has a direction: it has a forecast probability
    after = status.status
    if after in (TargetStatus.ON_TRACK, TargetStatus.AT_RISK, TargetStatus.OFF_TRACK):
        after = status_for_probability(probability, rules)
    return dataclasses.replace(
        entry,
        shift=rounded(shift),
        forecast_after=rounded(outlook.value + shift),
        probability_after=rounded(probability, 3),
        status_after=after.value,
    )


def monitor_mission(
    workspace: Workspace,
    mission_id: str,
    *,
    as_of: dt.date | None = None,
    move: tuple[float, str, str] | None = None,
    rules: HealthRules | Path | None = None,
    status_rules: StatusRules | None = None,
    effects: Mapping[str, float] | None = None,
) -> MonitorResult:
    """The mission board as it was known on ``as_of`` (default today).

    ``effects`` (objective → indicator units per million of the reporting currency) are the user's
    assumptions for the what-if ``move``; none is ever inferred.
    """
    if effects and move is None:
        raise InputError(
            Problem("", None, "--effect", "an effect needs a what-if: --move AMOUNT --from --to")
        )
    day = as_of or dt.datetime.now(dt.UTC).date()
    health_rules = rules if isinstance(rules, HealthRules) else load_rules(rules)
    if status_rules is None and not isinstance(rules, HealthRules):
        status_rules = load_status_rules(rules)
    with _collector_paused(), workspace.reading() as session:
        mission = MissionStore(session).get(mission_id).mission
        statuses = [
            assess_objective(session, mission, o, as_of=day, rules=status_rules, regional=True)
            for o in mission.objectives
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
        flagged: list[FlaggedProject] = []
        health = HealthSummary()
        for p in projects:
            judged = assess(facts[p.id], health_rules, day, mission=mission)
            health.add(judged)
            flags = judged.flags
            if flags:
                flagged.append(
                    FlaggedProject(
                        project=p.project,
                        id=p.id,
                        title=p.title,
                        objectives=p.objectives,
                        reasons=[f"{f.code.value.replace('_', ' ')}: {f.reason}" for f in flags],
                        flags=flags,
                    )
                )
        decisions = decisions_in(session, project_ids=set(basics), as_of=day, limit=RECENT_DECISIONS)
        released = released_money(session, projects, day)
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
        health=health,
        decisions=decisions,
        suggestions=suggest(statuses, funding, shares, currency, released.by_objective),
        notes=notes,
        released=released,
    )
    if move is not None:
        result.move = what_if(
            funding, move, currency, shares, statuses=statuses, effects=effects, rules=status_rules
        )
    return result

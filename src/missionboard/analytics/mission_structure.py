"""The structure sections of a mission's analysis: ``governance`` (money, projects and measures by body
and by level of government) and ``logic`` (the projects, measures and money behind each objective and
outcome of the theory of change, pathways with neither, failing assumptions and what depends on them),
and ``mission_structure_sections``, which computes these and the funding-detail sections
(``analytics.funding_detail``) of one mission in one read.

The mission's declared structure (``domain.missions``: governance, measures, logic) is joined with the
portfolio's money grouped in the database (``store.funding_detail``); a project counts by the one
portfolio rule and its money is converted into the mission's reporting currency at its start-year rate.
``governance`` is null for a mission that declares neither governance nor measures, ``logic`` for one
without a ``logic:``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from missionboard.analytics.funding_detail import (
    MoneyTotal,
    cofunding_section,
    conditions_section,
    disciplines_section,
    gender_section,
    money_totals,
)
from missionboard.analytics.result import figure, table
from missionboard.domain.missions import AssumptionStatus, Level, Mission, PolicyMeasure
from missionboard.domain.portfolio_rule import DEFAULT_RULE, PortfolioRule, RateTable
from missionboard.store.funding_detail import FundingDetailStore
from missionboard.store.missions import MissionStore
from missionboard.store.portfolio_scope import mission_currency, rate_table
from missionboard.store.workspace import Workspace

SECTIONS = ("governance", "logic", "cofunding", "conditions", "disciplines", "gender")
"""The sections ``mission_structure_sections`` returns, in the order an analysis lists them."""

NO_LEVEL = "not_given"

_STATUS_NOTE = (
    "indicator: the id of the indicator that measures the objective or outcome; its status and forecast "
    "are the monitoring view's (missionboard monitor MISSION)"
)


class _Linked:
    """Projects and money behind sets of objectives (the projects linked to them or to outcomes leading
    to them, ``domain.portfolio_rule``), read once per set; ``direct``: those linked to one goal itself."""

    def __init__(self, store: FundingDetailStore, mission: Mission, currency: str | None, rates: RateTable):
        self.store, self.mission, self.currency, self.rates = store, mission, currency, rates
        self.attribution = mission.link_attribution()
        self._known: dict[tuple[str, ...], MoneyTotal] = {}

    def __call__(self, objectives: Sequence[str]) -> MoneyTotal:
        wanted = set(objectives)
        return self._read([goal for goal, served in self.attribution.items() if wanted & set(served)])

    def direct(self, goal: str) -> int:
        """The projects linked to this objective or outcome itself."""
        return self._read([goal]).projects

    def _read(self, goals: Sequence[str]) -> MoneyTotal:
        key = tuple(sorted(set(goals)))
        if key not in self._known:
            totals = money_totals(self.store.linked_money(self.mission, key), self.currency, self.rates)
            self._known[key] = totals.get(None, MoneyTotal(0.0, 0, 0))
        return self._known[key]


def _measure_budget(
    measures: Sequence[PolicyMeasure], currency: str | None, rates: RateTable
) -> float | None:
    """The measures' budgets in ``currency`` (the rate of each measure's start year; a budget with no
    rate is left out); None where no measure states a budget."""
    found: float | None = None
    for measure in measures:
        if measure.budget is None or currency is None:
            continue
        conversion = rates.convert(
            measure.budget.currency, currency, measure.start.year if measure.start else None
        )
        if conversion is not None:
            found = (found or 0.0) + measure.budget.amount * conversion.rate
    return found


# --- governance ------------------------------------------------------------------------------------


def governance_section(
    store: FundingDetailStore, mission: Mission, currency: str | None, rates: RateTable | None = None
) -> dict[str, Any] | None:
    """Money, projects and measures by governance entry, by body and by level; objectives without an
    owner; bodies with objectives but neither money nor a measure. None when the mission declares
    neither governance nor measures."""
    if not mission.governance and not mission.measures:
        return None
    rates = rates if rates is not None else rate_table(store.session)
    linked = _Linked(store, mission, currency, rates)
    every = [o.id for o in mission.objectives]
    rc = currency or "reporting currency"

    def owned(body: str) -> list[PolicyMeasure]:
        return [
            m
            for m in mission.measures
            if m.owner is not None and m.owner.strip().lower() == body.strip().lower()
        ]

    entries = []
    for role in mission.governance:
        covered = role.objectives or every
        found = linked(covered)
        entries.append(
            {
                "body": role.body,
                "level": role.level.value if role.level else None,
                "role": role.role.value,
                "objectives": list(covered),
                "whole_mission": not role.objectives,
                "projects": found.projects,
                "money": found.amount,
            }
        )
    bodies: dict[str, list[int]] = {}
    for i, role in enumerate(mission.governance):
        bodies.setdefault(role.body, []).append(i)
    by_body = []
    for body, indexes in bodies.items():
        roles = [mission.governance[i] for i in indexes]
        covered = [o for o in every if any(r.covers(o) for r in roles)]
        found = linked(covered)
        measures = owned(body)
        by_body.append(
            {
                "body": body,
                "levels": sorted({r.level.value for r in roles if r.level}),
                "roles": [r.role.value for r in roles],
                "objectives": covered,
                "projects": found.projects,
                "money": found.amount,
                "measures": [m.id for m in measures],
                "measure_budget": _measure_budget(measures, currency, rates),
            }
        )
    levels = [lv.value for lv in Level]
    by_level = []
    for level in [*levels, None]:
        roles = [r for r in mission.governance if (r.level.value if r.level else None) == level]
        measures = [m for m in mission.measures if (m.level.value if m.level else None) == level]
        if not roles and not measures:
            continue
        covered = [o for o in every if any(r.covers(o) for r in roles)]
        found = linked(covered)
        by_level.append(
            {
                "level": level or NO_LEVEL,
                "bodies": sorted({r.body for r in roles}),
                "objectives": covered,
                "projects": found.projects,
                "money": found.amount,
                "measures": [m.id for m in measures],
                "measure_budget": _measure_budget(measures, currency, rates),
            }
        )
    unowned = (
        [{"objective": o.id, "title": o.title} for o in mission.objectives if not mission.owners_of(o.id)]
        if mission.governance
        else []
    )
    idle = [
        {"body": row["body"], "objectives": row["objectives"]}
        for row in by_body
        if row["objectives"] and not row["money"] and not row["measures"]
    ]
    money_basis = (
        f"portfolio projects (the portfolio rule) linked to the objectives covered (an entry naming no "
        f"objectives covers them all), each project once; money in {rc} at each project's start-year rate"
    )
    measure_basis = (
        f"measures whose owner is the body (by level: whose level it is); budgets in {rc} at the rate of the "
        "measure's start year"
    )
    units = {"projects": "projects", "money": rc, "measure_budget": rc}
    governance_note = "" if mission.governance else "the mission declares no governance; "
    return {
        "bodies": figure(len(bodies), "bodies", "bodies in the mission's governance"),
        "objectives_without_owner": figure(
            len(unowned) if mission.governance else None,
            "objectives",
            "objectives no owner or co-owner entry covers"
            if mission.governance
            else "the mission declares no governance",
        ),
        "by_entry": table(entries, {"projects": "projects", "money": rc}, money_basis),
        "by_body": table(by_body, units, f"{governance_note}{money_basis}; {measure_basis}"),
        "by_level": table(by_level, units, f"{governance_note}{money_basis}; {measure_basis}"),
        "unowned": table(
            unowned,
            {},
            "objectives no owner or co-owner entry covers"
            if mission.governance
            else "the mission declares no governance",
        ),
        "idle_bodies": table(
            idle, {}, "bodies covering objectives with no portfolio money behind them and owning no measure"
        ),
    }


# --- logic -----------------------------------------------------------------------------------------


def logic_section(
    store: FundingDetailStore, mission: Mission, currency: str | None, rates: RateTable | None = None
) -> dict[str, Any] | None:
    """For every objective and outcome: the projects, measures and money behind it and its indicator;
    pathways with neither a project nor a measure; failing assumptions and what depends on them. None
    when the mission declares no logic."""
    if mission.logic is None:
        return None
    rates = rates if rates is not None else rate_table(store.session)
    linked = _Linked(store, mission, currency, rates)
    rc = currency or "reporting currency"
    objective_ids = {o.id for o in mission.objectives}
    direct: dict[str, int] = {t: linked.direct(t) for t in mission.pathway_targets()}
    supported: dict[str, bool] = {}

    def is_supported(target: str) -> bool:
        if target not in supported:
            supported[target] = bool(
                direct[target]
                or mission.measures_for(target)
                or any(is_supported(o.id) for o in mission.leading_to(target))
            )
        return supported[target]

    rows: list[dict[str, Any]] = []
    for objective in mission.objectives:
        measures = mission.measures_for(objective.id)
        found = linked([objective.id])
        rows.append(
            {
                "id": objective.id,
                "kind": "objective",
                "title": objective.title,
                "leads_to": [],
                "led_to_by": [o.id for o in mission.leading_to(objective.id)],
                "measures": [m.id for m in measures],
                "measure_budget": _measure_budget(measures, currency, rates),
                "linked_projects": direct[objective.id],
                "projects_via": [objective.id],
                "projects": found.projects,
                "money": found.amount,
                "indicator": objective.indicator.id if objective.indicator else None,
                "supported": is_supported(objective.id),
            }
        )
    for outcome in mission.outcomes:
        measures = mission.measures_for(outcome.id)
        via = mission.objectives_served_by([outcome.id])
        found = linked(via)
        rows.append(
            {
                "id": outcome.id,
                "kind": "outcome",
                "title": outcome.title,
                "leads_to": list(outcome.leads_to),
                "led_to_by": [o.id for o in mission.leading_to(outcome.id)],
                "measures": [m.id for m in measures],
                "measure_budget": _measure_budget(measures, currency, rates),
                "linked_projects": direct[outcome.id],
                "projects_via": via,
                "projects": found.projects,
                "money": found.amount,
                "indicator": outcome.indicator.id if outcome.indicator else None,
                "supported": is_supported(outcome.id),
            }
        )
    unsupported = [
        {"id": r["id"], "kind": r["kind"], "title": r["title"]} for r in rows if not r["supported"]
    ]
    failing = []
    for assumption in mission.assumptions:
        if assumption.status != AssumptionStatus.FAILING:
            continue
        reached = [*assumption.about, *mission.downstream(assumption.about)]
        failing.append(
            {
                "id": assumption.id,
                "text": assumption.text,
                "about": list(assumption.about),
                "evidence": assumption.evidence,
                "outcomes": [i for i in dict.fromkeys(reached) if i not in objective_ids],
                "objectives": mission.objectives_served_by(assumption.about),
            }
        )
    untested = [a.id for a in mission.assumptions if a.status == AssumptionStatus.UNTESTED]
    rows_basis = (
        "objectives: portfolio projects (the portfolio rule) linked to the objective or to an outcome "
        "leading to it; outcomes: the portfolio projects of the objectives the outcome leads to, directly "
        "or through other outcomes (projects_via names them), each project once; linked_projects: "
        "projects linked to the objective "
        f"or outcome itself; measures: those naming it; money in {rc} at each project's start-year rate; "
        + _STATUS_NOTE
    )
    support_basis = (
        "objectives and outcomes with no project linked to them, no measure naming them and no supported "
        "outcome leading to them"
    )
    return {
        "objectives": figure(len(mission.objectives), "objectives", "the mission's objectives"),
        "outcomes": figure(len(mission.outcomes), "outcomes", "the outcomes of the mission's logic"),
        "unsupported": figure(len(unsupported), "objectives and outcomes", support_basis),
        "failing_assumptions": figure(len(failing), "assumptions", "assumptions with status failing"),
        "untested_assumptions": figure(len(untested), "assumptions", "assumptions with status untested"),
        "pathways": table(
            rows,
            {"measure_budget": rc, "linked_projects": "projects", "projects": "projects", "money": rc},
            rows_basis,
        ),
        "without_support": table(unsupported, {}, support_basis),
        "failing": table(
            failing,
            {},
            "failing assumptions; outcomes: those they concern and every outcome downstream; objectives: "
            "those at the end of the chain",
        ),
    }


# --- all of them -----------------------------------------------------------------------------------


def mission_structure_sections(
    workspace: Workspace,
    mission_id: str,
    *,
    currency: str | None = None,
    rule: PortfolioRule = DEFAULT_RULE,
    since: int | None = None,
) -> dict[str, dict[str, Any] | None]:
    """The governance, logic, cofunding, conditions, disciplines and gender sections of one mission's
    analysis (keys in ``SECTIONS`` order), read in one transaction; money in ``currency`` if given, else
    the mission's reporting currency; with ``since``, only projects active in or after that year (as
    ``analyze --since`` scopes every section)."""
    with workspace.reading() as session:
        mission = MissionStore(session).get(mission_id).mission
        rates = rate_table(session)
        chosen, _source = mission_currency(session, mission, rates, rule, currency)
        with FundingDetailStore(session, rule, since).holding(mission) as store:
            return {
                "governance": governance_section(store, mission, chosen, rates),
                "logic": logic_section(store, mission, chosen, rates),
                "cofunding": cofunding_section(store, mission, chosen, rates),
                "conditions": conditions_section(store, mission, chosen, rates),
                "disciplines": disciplines_section(store, mission),
                "gender": gender_section(store, mission, chosen, rates),
            }

"""Missions, their objectives and the indicators that measure them.

A mission may be incomplete (no deadline, an objective without a target): the schema accepts it so
that the quality check can say exactly what is missing, instead of refusing to read it.

Beyond objectives a mission may declare its structure: who governs it (``governance``), the policy
measures that are not funded projects (``measures``), and its theory of change (``logic``: outcomes
that lead to objectives, and the assumptions the chain rests on). Objectives, outcomes and measures
share one id space, so that links, analysis and the quality check can name any of them.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from missionboard.domain.common import CurrencyCode, DomainModel, NonEmptyText, Slug
from missionboard.domain.mapping import GoalDefinition
from missionboard.errors import StructureError

EARLIEST_YEAR = 1950
LATEST_YEAR = 2100


class Direction(StrEnum):
    INCREASE = "increase"
    DECREASE = "decrease"


class MissionStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    CLOSED = "closed"


class HelixType(StrEnum):
    """The quadruple helix: who an actor or stakeholder speaks for."""

    GOVERNMENT = "government"
    RESEARCH = "research"
    INDUSTRY = "industry"
    CIVIL_SOCIETY = "civil_society"


class Level(StrEnum):
    LOCAL = "local"
    REGIONAL = "regional"
    NATIONAL = "national"
    EU = "eu"
    INTERNATIONAL = "international"


class GovernanceRoleKind(StrEnum):
    """What a body does in a mission: owners answer for it, contributors and funders help deliver it."""

    OWNER = "owner"
    CO_OWNER = "co-owner"
    CONTRIBUTOR = "contributor"
    FUNDER = "funder"


OWNING_ROLES = frozenset({GovernanceRoleKind.OWNER, GovernanceRoleKind.CO_OWNER})


class MeasureKind(StrEnum):
    """Kinds of policy measure. Regulation, public procurement and standards act on demand and rules."""

    REGULATION = "regulation"
    PUBLIC_PROCUREMENT = "public_procurement"
    STANDARD = "standard"
    TAX_INCENTIVE = "tax_incentive"
    INFRASTRUCTURE = "infrastructure"
    INFORMATION = "information"
    SUBSIDY = "subsidy"
    OTHER = "other"


DEMAND_OR_REGULATORY = frozenset(
    {MeasureKind.REGULATION, MeasureKind.PUBLIC_PROCUREMENT, MeasureKind.STANDARD}
)
"""Measure kinds that pull solutions into use (demand side) or set the rules (regulatory)."""


class MeasureStatus(StrEnum):
    PLANNED = "planned"
    IN_FORCE = "in_force"
    ENDED = "ended"


class AssumptionStatus(StrEnum):
    UNTESTED = "untested"
    HOLDING = "holding"
    FAILING = "failing"


class Challenge(DomainModel):
    """The societal challenge a mission answers. YAML may give it as a plain string."""

    title: NonEmptyText
    description: str = ""


class Indicator(DomainModel):
    """What is measured, in which unit, and where the numbers come from."""

    id: Slug
    name: NonEmptyText
    unit: NonEmptyText
    source: str | None = None
    description: str | None = None


class Measure(DomainModel):
    """A value of an indicator in a given year (a baseline or a target)."""

    value: float = Field(allow_inf_nan=False)
    year: int

    @field_validator("year")
    @classmethod
    def _plausible_year(cls, year: int) -> int:
        if not EARLIEST_YEAR <= year <= LATEST_YEAR:
            raise ValueError(f"year must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
        return year


def _coherent_pair(
    baseline: Measure, target: Measure, direction: Direction | None, path: str | None
) -> Direction | None:
    """The direction a baseline → target pair implies; raise ``ValueError`` when the pair is incoherent
    (target year not after the baseline year, a contradicted direction, a compound path through zero)."""
    if target.year <= baseline.year:
        raise ValueError(f"target year {target.year} must come after baseline year {baseline.year}")
    implied = (
        Direction.INCREASE
        if target.value > baseline.value
        else Direction.DECREASE
        if target.value < baseline.value
        else None
    )
    if direction is not None and implied is not None and implied != direction:
        raise ValueError(
            f"direction is '{direction}' but the target ({target.value:g}) is "
            f"{'below' if implied == Direction.DECREASE else 'above'} the baseline ({baseline.value:g})"
        )
    if path == "compound" and min(baseline.value, target.value) <= 0:
        raise ValueError("a compound path needs a positive baseline and target (use path: linear)")
    return implied


class RegionalTarget(DomainModel):
    """An objective's target for one region, on the objective's indicator and in its direction."""

    region: NonEmptyText = Field(description="Region name or code, e.g. SE-AB or Vestland")
    target: Measure
    baseline: Measure | None = None


class Objective(DomainModel):
    """A measurable target on one indicator, from a baseline to a target value by a target year."""

    id: Slug
    title: NonEmptyText
    description: str | None = None
    indicator: Indicator | None = None
    baseline: Measure | None = None
    target: Measure | None = None
    direction: Direction | None = None
    weight: float | None = Field(
        default=None, ge=0, allow_inf_nan=False, description="Share of effort the mission intends, any scale"
    )
    path: Literal["linear", "compound"] | None = Field(
        default=None,
        description="Required path and forecast scale: the same change (linear) or the same rate (compound) "
        "each year; chosen from the observed series when absent",
    )
    keywords: list[str] = Field(default_factory=list)
    queries: list[str] = Field(
        default_factory=list, description="Boolean keyword queries for mapping projects"
    )
    definition: GoalDefinition | None = Field(
        default=None,
        description="What counts as serving the objective and what does not, with hard negatives; "
        "reviewers see it beside each proposed link",
    )
    regional_targets: list[RegionalTarget] = Field(
        default_factory=list, description="The same indicator's targets for regions, one per region"
    )
    behaviour_change: bool | None = Field(
        default=None, description="True when reaching the objective needs people to change behaviour"
    )

    @model_validator(mode="after")
    def _coherent_target(self) -> Objective:
        if self.baseline and self.target:
            implied = _coherent_pair(self.baseline, self.target, self.direction, self.path)
            if self.direction is None and implied is not None:
                object.__setattr__(self, "direction", implied)
        problems: list[tuple[tuple[str | int, ...], str]] = []
        regions: set[str] = set()
        for i, regional in enumerate(self.regional_targets):
            key = regional.region.strip().casefold()  # monitoring matches regions ignoring case
            if key in regions:
                problems.append(
                    (("regional_targets", i, "region"), f"region '{regional.region}' has two targets")
                )
            regions.add(key)
            if regional.baseline:
                try:
                    _coherent_pair(regional.baseline, regional.target, self.direction, self.path)
                except ValueError as exc:
                    problems.append((("regional_targets", i), f"{exc} (region '{regional.region}')"))
        if problems:
            raise StructureError(problems)
        return self

    @property
    def is_measurable(self) -> bool:
        return self.indicator is not None and self.baseline is not None and self.target is not None


class Stakeholder(DomainModel):
    """Someone involved in shaping or delivering the mission."""

    name: NonEmptyText
    helix: HelixType
    role: str | None = None
    level: Level | None = None
    discipline: str | None = Field(
        default=None,
        description="Field of science the stakeholder brings (OECD Fields of Science, e.g. "
        "'5.4 Sociology' or 'Psychology'); social sciences and humanities count as SSH",
    )


SSH_DISCIPLINES = re.compile(
    r"^\s*[56](\.\d+)*(\s|$)|social science|humanities|psycholog|cognitive science|behaviou?ral science|"
    r"economics|business|education|sociolog|\blaw\b|legal|political science|social and economic geography|"
    r"human geography|media and communication|anthropolog|history|archaeolog|linguistic|literature|"
    r"philosoph|ethics|religio|\barts\b",
    re.IGNORECASE,
)
"""The social sciences and humanities: OECD Fields of Science 5 and 6 (by code, e.g. '5.4', or name)
and the same groups as EuroSciVoc names them."""


def is_ssh(discipline: str) -> bool:
    """Whether a discipline (a Fields of Science code or name) is a social science or humanity."""
    return bool(SSH_DISCIPLINES.search(discipline))


class GovernanceRole(DomainModel):
    """A body that owns, co-owns, contributes to or funds the mission, at one level of government."""

    body: NonEmptyText = Field(description="Ministry, agency, region or city, e.g. Ministry of Transport")
    level: Level | None = None
    role: GovernanceRoleKind
    objectives: list[Slug] = Field(
        default_factory=list, description="Objective ids the role covers; empty: the whole mission"
    )

    def covers(self, objective_id: str) -> bool:
        return not self.objectives or objective_id in self.objectives


class Budget(DomainModel):
    """What a measure costs or spends, in one currency."""

    amount: float = Field(ge=0, allow_inf_nan=False)
    currency: CurrencyCode


class PolicyMeasure(DomainModel):
    """A policy instrument that is not a funded project: a regulation, a procurement rule, a standard …"""

    id: Slug
    title: NonEmptyText
    kind: MeasureKind
    owner: str | None = Field(default=None, description="The body responsible for the measure")
    level: Level | None = None
    status: MeasureStatus | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    objectives: list[Slug] = Field(
        default_factory=list, description="Ids of the objectives or outcomes the measure works towards"
    )
    budget: Budget | None = None
    description: str | None = None

    @model_validator(mode="after")
    def _end_after_start(self) -> PolicyMeasure:
        if self.start and self.end and self.end <= self.start:
            raise StructureError([(("end",), f"end {self.end} must come after start {self.start}")])
        return self


class Outcome(DomainModel):
    """An intermediate result of the theory of change, leading to other outcomes or to objectives."""

    id: Slug
    title: NonEmptyText
    leads_to: list[Slug] = Field(default_factory=list, description="Ids of outcomes or objectives")
    indicator: Indicator | None = None
    description: str | None = None
    behaviour_change: bool | None = Field(
        default=None, description="True when the outcome needs people to change behaviour"
    )
    keywords: list[str] = Field(
        default_factory=list, description="Words that mark a project working towards the outcome"
    )
    queries: list[str] = Field(
        default_factory=list, description="Boolean keyword queries for mapping projects to the outcome"
    )
    definition: GoalDefinition | None = Field(
        default=None,
        description="What counts as serving the outcome and what does not, with hard negatives; "
        "reviewers see it beside each proposed link",
    )


class Assumption(DomainModel):
    """Something the theory of change takes for granted; evaluators test it."""

    id: Slug
    text: NonEmptyText
    about: list[Slug] = Field(
        default_factory=list, description="Ids of the outcomes or objectives it concerns"
    )
    status: AssumptionStatus = AssumptionStatus.UNTESTED
    evidence: str | None = None


class Logic(DomainModel):
    """The theory of change: outcomes leading to the objectives, and the assumptions it rests on."""

    outcomes: list[Outcome] = Field(default_factory=list)
    assumptions: list[Assumption] = Field(default_factory=list)


class Mission(DomainModel):
    """A bold, measurable, time-bound goal for a societal challenge, pursued by a portfolio."""

    id: Slug
    title: NonEmptyText
    challenge: Challenge
    statement: NonEmptyText
    owner: NonEmptyText
    start: dt.date | None = None
    deadline: dt.date | None = None
    geography: str | None = None
    currency: CurrencyCode | None = Field(
        default=None, description="Reporting currency of the mission's portfolio (ISO 4217, e.g. EUR)"
    )
    status: MissionStatus = MissionStatus.ACTIVE
    public: bool = False
    objectives: list[Objective] = Field(default_factory=list)
    stakeholders: list[Stakeholder] = Field(default_factory=list)
    programmes: list[str] = Field(
        default_factory=list, description="Funding programmes that contribute to the mission"
    )
    tags: list[str] = Field(default_factory=list)
    solutions: list[str] = Field(
        default_factory=list,
        description="Solutions the mission intends to pursue, e.g. adopted from a consultation",
    )
    governance: list[GovernanceRole] = Field(
        default_factory=list, description="Bodies that own, co-own, contribute to or fund the mission"
    )
    measures: list[PolicyMeasure] = Field(
        default_factory=list, description="Policy measures that are not funded projects"
    )
    logic: Logic | None = Field(default=None, description="The theory of change")

    @field_validator("challenge", mode="before")
    @classmethod
    def _challenge_from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"title": value}
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Mission:
        if self.start and self.deadline and self.deadline <= self.start:
            raise ValueError(f"deadline {self.deadline} must come after start {self.start}")
        seen: set[str] = set()
        for objective in self.objectives:
            if objective.id in seen:
                raise ValueError(f"objective id '{objective.id}' is used twice")
            seen.add(objective.id)
        problems = _structure_problems(self)
        if problems:
            raise StructureError(problems)
        return self

    def objective(self, objective_id: str) -> Objective | None:
        return next((o for o in self.objectives if o.id == objective_id), None)

    @property
    def outcomes(self) -> list[Outcome]:
        return self.logic.outcomes if self.logic else []

    @property
    def assumptions(self) -> list[Assumption]:
        return self.logic.assumptions if self.logic else []

    def outcome(self, outcome_id: str) -> Outcome | None:
        return next((o for o in self.outcomes if o.id == outcome_id), None)

    def measure(self, measure_id: str) -> PolicyMeasure | None:
        return next((m for m in self.measures if m.id == measure_id), None)

    def pathway_targets(self) -> list[str]:
        """Ids that projects and measures can work towards: the objectives, then the outcomes."""
        return [o.id for o in self.objectives] + [o.id for o in self.outcomes]

    def owners_of(self, objective_id: str) -> list[GovernanceRole]:
        """The governance entries that own or co-own the objective (directly or as the whole mission)."""
        return [g for g in self.governance if g.role in OWNING_ROLES and g.covers(objective_id)]

    def leading_to(self, target_id: str) -> list[Outcome]:
        """The outcomes that lead directly to an objective or outcome."""
        return [o for o in self.outcomes if target_id in o.leads_to]

    def measures_for(self, target_id: str) -> list[PolicyMeasure]:
        """The measures that name an objective or outcome directly."""
        return [m for m in self.measures if target_id in m.objectives]

    def downstream(self, ids: list[str]) -> list[str]:
        """Every outcome and objective reached from ``ids`` by following ``leads_to``, in the order found
        (breadth first), without ``ids`` themselves unless the chain comes back to them."""
        found: list[str] = []
        queue = list(ids)
        while queue:
            current = self.outcome(queue.pop(0))
            for nxt in current.leads_to if current else []:
                if nxt not in found:
                    found.append(nxt)
                    queue.append(nxt)
        return found

    def objectives_served_by(self, ids: list[str]) -> list[str]:
        """The objective ids among ``ids`` and everything downstream of them, in the mission's order."""
        reached = set(ids) | set(self.downstream(ids))
        return [o.id for o in self.objectives if o.id in reached]

    def link_attribution(self) -> dict[str, list[str]]:
        """For each goal a project can be linked to, the objectives the link counts for: an objective
        for itself, an outcome for every objective it leads to (``domain.portfolio_rule``). Outcomes that
        lead to no objective are left out: their links put no project in the portfolio."""
        attribution = {o.id: [o.id] for o in self.objectives}
        for outcome in self.outcomes:
            served = self.objectives_served_by([outcome.id])
            if served:
                attribution[outcome.id] = served
        return attribution

    def has_outcome_links(self) -> bool:
        """Whether any link goal counts for objectives other than itself (the logic has outcomes that
        reach an objective)."""
        return any(goals != [goal] for goal, goals in self.link_attribution().items())


def _structure_problems(mission: Mission) -> list[tuple[tuple[str | int, ...], str]]:
    """Duplicate ids and references to ids that do not exist, with the field path of each."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    objectives = {o.id for o in mission.objectives}
    seen: dict[str, str] = {o.id: "an objective" for o in mission.objectives}
    for i, outcome in enumerate(mission.outcomes):
        if outcome.id in seen:
            problems.append(
                (("logic", "outcomes", i, "id"), f"id '{outcome.id}' is already used by {seen[outcome.id]}")
            )
        seen.setdefault(outcome.id, "an outcome")
    for i, measure in enumerate(mission.measures):
        if measure.id in seen:
            problems.append(
                (("measures", i, "id"), f"id '{measure.id}' is already used by {seen[measure.id]}")
            )
        seen.setdefault(measure.id, "a measure")
    targets = objectives | {o.id for o in mission.outcomes}

    def unknown(loc: tuple[str | int, ...], ids: list[str], known: set[str], what: str) -> None:
        for j, ref in enumerate(ids):
            if ref not in known:
                problems.append(((*loc, j), f"no {what} '{ref}' in this mission"))

    for i, role in enumerate(mission.governance):
        unknown(("governance", i, "objectives"), role.objectives, objectives, "objective")
    for i, measure in enumerate(mission.measures):
        unknown(("measures", i, "objectives"), measure.objectives, targets, "objective or outcome")
    for i, outcome in enumerate(mission.outcomes):
        unknown(("logic", "outcomes", i, "leads_to"), outcome.leads_to, targets, "objective or outcome")
    assumption_ids: set[str] = set()
    for i, assumption in enumerate(mission.assumptions):
        if assumption.id in assumption_ids:
            problems.append(
                (("logic", "assumptions", i, "id"), f"assumption id '{assumption.id}' is used twice")
            )
        assumption_ids.add(assumption.id)
        unknown(("logic", "assumptions", i, "about"), assumption.about, targets, "objective or outcome")
    cycle = _cycle(mission.outcomes)
    if cycle:
        index = next(i for i, o in enumerate(mission.outcomes) if o.id == cycle[0])
        problems.append(
            (
                ("logic", "outcomes", index, "leads_to"),
                "outcomes lead to each other in a circle: " + " → ".join([*cycle, cycle[0]]),
            )
        )
    return problems


def _cycle(outcomes: list[Outcome]) -> list[str]:
    """The ids of one cycle in the outcomes' ``leads_to`` graph, in order (empty: none)."""
    graph = {o.id: list(o.leads_to) for o in outcomes}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in graph.get(node, []):
            if nxt not in graph:
                continue  # an objective: the end of a pathway
            if state.get(nxt) == 1:
                return path[path.index(nxt) :]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return []

    for node in graph:
        if node not in state and (found := visit(node)):
            return found
    return []


class MissionVersion(DomainModel):
    """One saved state of a mission: every import or edit makes a new one."""

    mission_id: Slug
    version: int = Field(ge=1)
    mission: Mission
    author: str
    created_at: dt.datetime
    comment: str = ""
    origin: str = Field(
        "", description="Where the change came from: a file name, 'edit', or a consultation proposal"
    )

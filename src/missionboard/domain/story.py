"""The contribution story of a mission: its logic walked from money and measures through outcomes to the
objectives' targets, with the evidence behind each step and where the chain is weak.

Pure: ``build_story`` takes the mission, each objective's portfolio figures (projects and money in the
reporting currency, counted by the one portfolio rule) and each objective's indicator status, and
returns a ``ContributionStory`` — typed steps, a list of weak links, ``to_dict()`` for JSON and
``to_markdown()``, the prose an evaluator starts from. A mission without a ``logic:`` still gets a
story, objective by objective, with a note that no theory of change is declared.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from pydantic import JsonValue

from missionboard.domain.missions import (
    AssumptionStatus,
    MeasureKind,
    MeasureStatus,
    Mission,
    Objective,
    PolicyMeasure,
)
from missionboard.domain.targets import TargetStatus

KIND_WORDS: dict[MeasureKind, str] = {
    MeasureKind.REGULATION: "a regulation",
    MeasureKind.PUBLIC_PROCUREMENT: "a procurement rule",
    MeasureKind.STANDARD: "a standard",
    MeasureKind.TAX_INCENTIVE: "a tax incentive",
    MeasureKind.INFRASTRUCTURE: "infrastructure",
    MeasureKind.INFORMATION: "an information measure",
    MeasureKind.SUBSIDY: "a subsidy",
    MeasureKind.OTHER: "a measure",
}
"""How the prose names a measure of each kind."""

STATUS_WORDS: dict[TargetStatus, str] = {
    TargetStatus.ACHIEVED: "has reached its target",
    TargetStatus.ON_TRACK: "is on track",
    TargetStatus.AT_RISK: "is at risk",
    TargetStatus.OFF_TRACK: "is off track",
    TargetStatus.NO_DATA: "has no data",
}

NO_WEAK_LINK = "No weak link found: every pathway has money or a measure, and no assumption fails."

NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


class WeakLinkKind(StrEnum):
    """Where a chain is weak, in the order the story lists them."""

    NO_PATHWAY = "no_project_or_measure"
    """An objective served by no project and no measure (directly or through its outcomes)."""
    OUTCOME_WITHOUT_MEASURE = "outcome_without_measure"
    """An outcome no measure works towards, directly or upstream."""
    FAILING_ASSUMPTION = "failing_assumption"
    UNTESTED_ASSUMPTION = "untested_assumption"
    OFF_TRACK = "off_track"
    NO_DATA = "no_data"
    NO_OWNER = "no_owner"


# --- the inputs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectiveMoney:
    """One objective's share of the portfolio, as the portfolio rule counts it."""

    objective: str
    projects: int
    money: float


@dataclass(frozen=True)
class RegionalStatus:
    """Where one regional target of an objective stands on the monitoring board."""

    region: str
    status: TargetStatus
    probability: float | None
    target: float | None
    target_year: int | None

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "region": self.region,
            "status": self.status.value,
            "probability": round(self.probability, 3) if self.probability is not None else None,
            "target": self.target,
            "target_year": self.target_year,
        }


@dataclass(frozen=True)
class IndicatorStatus:
    """Where an objective's indicator stands on the monitoring board."""

    objective: str
    status: TargetStatus
    probability: float | None
    """P(target met in the target year)."""
    latest_value: float | None = None
    latest_year: int | None = None
    source: str | None = None
    regions: tuple[RegionalStatus, ...] = ()


# --- the result ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureStep:
    """A policy measure working towards an objective or outcome."""

    id: str
    title: str
    kind: MeasureKind
    status: MeasureStatus | None
    owner: str | None
    level: str | None
    start: dt.date | None
    end: dt.date | None
    targets: tuple[str, ...]
    """The objective and outcome ids it names."""
    budget: float | None
    budget_currency: str | None

    def describe(self) -> str:
        """``a procurement rule 'Green tenders' in force since 2024``."""
        text = f"{KIND_WORDS[self.kind]} '{self.title}'"
        if self.status is MeasureStatus.IN_FORCE:
            text += f" in force since {self.start.year}" if self.start else " in force"
        elif self.status is MeasureStatus.PLANNED:
            text += f" planned from {self.start.year}" if self.start else " planned"
        elif self.status is MeasureStatus.ENDED:
            text += f" ended {self.end.year}" if self.end else " ended"
        if self.owner:
            text += f", by {self.owner}"
        return text

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind.value,
            "status": self.status.value if self.status else None,
            "owner": self.owner,
            "level": self.level,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "targets": list(self.targets),
            "budget": self.budget,
            "budget_currency": self.budget_currency,
        }


@dataclass(frozen=True)
class OutcomeStep:
    """An outcome of the theory of change, with what works towards it and what it leads to."""

    id: str
    title: str
    leads_to: tuple[str, ...]
    measures: tuple[str, ...]
    """Ids of the measures that name it."""
    indicator: str | None
    objectives: tuple[str, ...]
    """The objectives at the end of its chain."""
    projects: int = 0
    """Portfolio projects linked to the outcome itself (they count for ``objectives`` too)."""

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "id": self.id,
            "title": self.title,
            "leads_to": list(self.leads_to),
            "measures": list(self.measures),
            "indicator": self.indicator,
            "objectives": list(self.objectives),
            "projects": self.projects,
        }


@dataclass(frozen=True)
class AssumptionStep:
    """An assumption, its status and evidence, and everything that depends on it."""

    id: str
    text: str
    status: AssumptionStatus
    evidence: str | None
    about: tuple[str, ...]
    depending: tuple[str, ...]
    """The outcomes and objectives it concerns and every one downstream of them."""
    objectives: tuple[str, ...]
    """The objectives whose pathway rests on it."""

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "id": self.id,
            "text": self.text,
            "status": self.status.value,
            "evidence": self.evidence,
            "about": list(self.about),
            "depending": list(self.depending),
            "objectives": list(self.objectives),
        }


@dataclass(frozen=True)
class ObjectiveStory:
    """One pathway: an objective with the money, projects, measures and outcomes behind it, the
    assumptions it rests on and its indicator's status."""

    id: str
    title: str
    target: float | None
    target_year: int | None
    unit: str | None
    projects: int
    money: float
    measures: tuple[str, ...]
    """Ids of the measures naming it directly."""
    upstream_measures: tuple[str, ...]
    """Ids of the measures working towards an outcome that leads to it."""
    outcomes: tuple[str, ...]
    """Ids of the outcomes leading directly to it."""
    chain: tuple[str, ...]
    """Ids of every outcome upstream of it."""
    assumptions: tuple[str, ...]
    owners: tuple[str, ...]
    status: TargetStatus | None
    probability: float | None
    latest_value: float | None
    latest_year: int | None
    latest_source: str | None
    regions: tuple[RegionalStatus, ...] = ()
    """Its regional targets, each judged on the region's observations."""

    def target_text(self) -> str:
        """``target 80 % by 2030`` (empty without a target)."""
        if self.target is None:
            return ""
        unit = f" {self.unit}" if self.unit else ""
        year = f" by {self.target_year}" if self.target_year else ""
        return f"target {_number(self.target)}{unit}{year}"

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "id": self.id,
            "title": self.title,
            "target": self.target,
            "target_year": self.target_year,
            "unit": self.unit,
            "projects": self.projects,
            "money": round(self.money, 2),
            "measures": list(self.measures),
            "upstream_measures": list(self.upstream_measures),
            "outcomes": list(self.outcomes),
            "chain": list(self.chain),
            "assumptions": list(self.assumptions),
            "owners": list(self.owners),
            "status": self.status.value if self.status else None,
            "probability": round(self.probability, 3) if self.probability is not None else None,
            "latest_value": self.latest_value,
            "latest_year": self.latest_year,
            "latest_source": self.latest_source,
            "regions": [r.to_dict() for r in self.regions],
        }


@dataclass(frozen=True)
class WeakLink:
    """A place where the chain from money to target is weak, in words."""

    kind: WeakLinkKind
    subject: str
    """The id of the objective, outcome or assumption concerned."""
    message: str
    depending: tuple[str, ...] = ()
    """For an assumption: the objectives that rest on it."""

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "kind": self.kind.value,
            "subject": self.subject,
            "message": self.message,
            "depending": list(self.depending),
        }


@dataclass(frozen=True)
class StorySection:
    """A heading (empty for the opening) and its paragraphs of prose."""

    heading: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class ContributionStory:
    """A mission's contribution story: typed steps per pathway and where the chain is weak."""

    mission: str
    title: str
    statement: str
    as_of: dt.date
    currency: str | None
    projects: int
    money: float
    portfolio: str
    """The line saying which links make the portfolio and how money was converted."""
    has_logic: bool
    objectives: tuple[ObjectiveStory, ...]
    outcomes: tuple[OutcomeStep, ...]
    measures: tuple[MeasureStep, ...]
    assumptions: tuple[AssumptionStep, ...]
    weak_links: tuple[WeakLink, ...]

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "mission": self.mission,
            "title": self.title,
            "as_of": self.as_of.isoformat(),
            "currency": self.currency,
            "projects": self.projects,
            "money": round(self.money, 2),
            "portfolio": self.portfolio,
            "has_logic": self.has_logic,
            "objectives": [o.to_dict() for o in self.objectives],
            "outcomes": [o.to_dict() for o in self.outcomes],
            "measures": [m.to_dict() for m in self.measures],
            "assumptions": [a.to_dict() for a in self.assumptions],
            "weak_links": [w.to_dict() for w in self.weak_links],
        }

    def to_markdown(self) -> str:
        """The story as prose: an opening paragraph, one section per objective, then the weak links."""
        return _markdown(self)

    def sections(self) -> list[StorySection]:
        """The prose without markup: the opening (no heading), then one section per objective; the web
        renders these paragraphs, the weak links and ``footnote()`` as HTML."""
        return _sections(self)

    def footnote(self) -> str:
        """Which links make the portfolio, how money was converted, and when the indicators were read."""
        return f"{self.portfolio} Indicators as known on {self.as_of.isoformat()}."

    def name(self, node_id: str) -> str:
        """The title of an objective, outcome or measure of the story (the id when unknown)."""
        for group in (self.objectives, self.outcomes, self.measures):
            for item in group:
                if item.id == node_id:
                    return item.title
        return node_id


# --- building it ---------------------------------------------------------------------------------


def build_story(
    mission: Mission,
    *,
    money: Sequence[ObjectiveMoney],
    indicators: Sequence[IndicatorStatus],
    as_of: dt.date,
    currency: str | None,
    projects: int,
    total_money: float,
    portfolio: str,
    outcome_projects: Mapping[str, int] | None = None,
) -> ContributionStory:
    """The story of ``mission`` from its portfolio figures per objective and its indicators' status;
    ``outcome_projects``: the portfolio projects linked to each outcome itself."""
    outcome_projects = outcome_projects or {}
    by_money = {m.objective: m for m in money}
    by_status = {s.objective: s for s in indicators}
    measures = tuple(_measure_step(m) for m in mission.measures)
    outcomes = tuple(
        OutcomeStep(
            id=o.id,
            title=o.title,
            leads_to=tuple(o.leads_to),
            measures=tuple(m.id for m in mission.measures_for(o.id)),
            indicator=o.indicator.name if o.indicator else None,
            objectives=tuple(mission.objectives_served_by([o.id])),
            projects=outcome_projects.get(o.id, 0),
        )
        for o in mission.outcomes
    )
    assumptions = tuple(
        AssumptionStep(
            id=a.id,
            text=a.text,
            status=a.status,
            evidence=a.evidence,
            about=tuple(a.about),
            depending=tuple(_unique([*a.about, *mission.downstream(list(a.about))])),
            objectives=tuple(mission.objectives_served_by(list(a.about))),
        )
        for a in mission.assumptions
    )
    objectives = tuple(
        _objective_story(mission, o, by_money.get(o.id), by_status.get(o.id), outcomes, assumptions)
        for o in mission.objectives
    )
    story = ContributionStory(
        mission=mission.id,
        title=mission.title,
        statement=mission.statement,
        as_of=as_of,
        currency=currency,
        projects=projects,
        money=total_money,
        portfolio=portfolio,
        has_logic=mission.logic is not None,
        objectives=objectives,
        outcomes=outcomes,
        measures=measures,
        assumptions=assumptions,
        weak_links=(),
    )
    return replace(story, weak_links=tuple(_weak_links(mission, story)))


def _measure_step(measure: PolicyMeasure) -> MeasureStep:
    return MeasureStep(
        id=measure.id,
        title=measure.title,
        kind=measure.kind,
        status=measure.status,
        owner=measure.owner,
        level=measure.level.value if measure.level else None,
        start=measure.start,
        end=measure.end,
        targets=tuple(measure.objectives),
        budget=measure.budget.amount if measure.budget else None,
        budget_currency=measure.budget.currency if measure.budget else None,
    )


def _objective_story(
    mission: Mission,
    objective: Objective,
    figures: ObjectiveMoney | None,
    indicator: IndicatorStatus | None,
    outcomes: Sequence[OutcomeStep],
    assumptions: Sequence[AssumptionStep],
) -> ObjectiveStory:
    chain = tuple(o.id for o in outcomes if objective.id in o.objectives)
    direct = tuple(m.id for m in mission.measures_for(objective.id))
    upstream = tuple(
        m.id for m in mission.measures if m.id not in direct and any(t in chain for t in m.objectives)
    )
    return ObjectiveStory(
        id=objective.id,
        title=objective.title,
        target=objective.target.value if objective.target else None,
        target_year=objective.target.year if objective.target else None,
        unit=objective.indicator.unit if objective.indicator else None,
        projects=figures.projects if figures else 0,
        money=figures.money if figures else 0.0,
        measures=direct,
        upstream_measures=upstream,
        outcomes=tuple(o.id for o in mission.leading_to(objective.id)),
        chain=chain,
        assumptions=tuple(a.id for a in assumptions if objective.id in a.objectives),
        owners=tuple(_unique([g.body for g in mission.owners_of(objective.id)])),
        status=indicator.status if indicator else None,
        probability=indicator.probability if indicator else None,
        latest_value=indicator.latest_value if indicator else None,
        latest_year=indicator.latest_year if indicator else None,
        latest_source=indicator.source if indicator else None,
        regions=indicator.regions if indicator else (),
    )


def _weak_links(mission: Mission, story: ContributionStory) -> list[WeakLink]:
    found: list[WeakLink] = []
    for o in story.objectives:
        if o.projects == 0 and not o.measures and not o.upstream_measures:
            found.append(
                WeakLink(
                    WeakLinkKind.NO_PATHWAY,
                    o.id,
                    f"Objective '{o.title}' is served by no project and no measure.",
                )
            )
    worked = {t for m in story.measures for t in m.targets} | {o.id for o in story.outcomes if o.projects}
    for outcome in story.outcomes:
        upstream = [u.id for u in story.outcomes if outcome.id in mission.downstream([u.id])]
        if outcome.id not in worked and not worked.intersection(upstream):
            found.append(
                WeakLink(
                    WeakLinkKind.OUTCOME_WITHOUT_MEASURE,
                    outcome.id,
                    f"Nothing works towards outcome '{outcome.title}': no measure and no project is linked "
                    "to it or to an outcome leading to it.",
                )
            )
    for a in story.assumptions:
        if a.status is AssumptionStatus.FAILING:
            found.append(
                WeakLink(
                    WeakLinkKind.FAILING_ASSUMPTION,
                    a.id,
                    f"The assumption '{a.text}' is marked failing"
                    + (f" (evidence: {a.evidence})" if a.evidence else " (no evidence given)")
                    + f": {_pathway_to(story, a.objectives)} rests on it.",
                    a.objectives,
                )
            )
    for a in story.assumptions:
        if a.status is AssumptionStatus.UNTESTED:
            found.append(
                WeakLink(
                    WeakLinkKind.UNTESTED_ASSUMPTION,
                    a.id,
                    f"The assumption '{a.text}' has never been tested: {_pathway_to(story, a.objectives)} "
                    "rests on it.",
                    a.objectives,
                )
            )
    for o in story.objectives:
        if o.status is TargetStatus.OFF_TRACK:
            found.append(
                WeakLink(WeakLinkKind.OFF_TRACK, o.id, f"Objective '{o.title}' is off track{_odds(o)}.")
            )
        elif o.status is TargetStatus.NO_DATA or o.status is None:
            found.append(
                WeakLink(WeakLinkKind.NO_DATA, o.id, f"Objective '{o.title}' has no indicator data.")
            )
    if mission.governance:
        for o in story.objectives:
            if not o.owners:
                found.append(WeakLink(WeakLinkKind.NO_OWNER, o.id, f"No body owns objective '{o.title}'."))
    return found


# --- the prose -----------------------------------------------------------------------------------


def money_text(amount: float, currency: str | None) -> str:
    """``45.2 M EUR``: money as the story writes it."""
    exact = Decimal(repr(amount))  # as written, so 3,550,000 reads 3.6 M as 1,550,000 reads 1.6 M
    for limit, suffix in ((10**9, " bn"), (10**6, " M"), (10**3, " k")):
        if abs(exact) >= limit:
            text = f"{(exact / limit).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):,}{suffix}"
            break
    else:
        text = f"{exact.quantize(Decimal('1'), rounding=ROUND_HALF_UP):,}"
    return f"{text} {currency}" if currency else f"{text} (no reporting currency)"


def projects_text(count: int) -> str:
    """``120 projects``, ``1 project``."""
    return f"{count} project" if count == 1 else f"{count} projects"


def _sections(story: ContributionStory) -> list[StorySection]:
    opening = [story.statement, _opening(story)]
    if not story.has_logic:
        opening.append(
            "No theory of change is declared for this mission (its file has no logic section): the story "
            "runs objective by objective, from money and measures to each target."
        )
    sections = [StorySection("", tuple(opening))]
    sections += [StorySection(o.title, tuple(_objective_paragraphs(story, o))) for o in story.objectives]
    return sections


def _markdown(story: ContributionStory) -> str:
    parts = [f"# The contribution story of {story.title}"]
    for section in story.sections():
        if section.heading:
            parts.append(f"## {section.heading}")
        parts.extend(section.paragraphs)
    parts.append("## Where the chain is weak")
    if story.weak_links:
        parts.append("\n".join(f"- {w.message}" for w in story.weak_links))
    else:
        parts.append(NO_WEAK_LINK)
    parts.append(f"*{story.footnote()}*")
    return "\n\n".join(parts) + "\n"


def _opening(story: ContributionStory) -> str:
    figures = (
        f"{projects_text(story.projects)} worth {money_text(story.money, story.currency)}"
        if story.projects
        else "no project yet"
    )
    text = f"The portfolio counts {figures} across {_count(len(story.objectives), 'objective')}"
    if story.measures:
        kinds = _unique([KIND_WORDS[m.kind].split(" ", 1)[-1] for m in story.measures])
        text += f", and {_count(len(story.measures), 'policy measure')} ({', '.join(kinds)})"
    text += "."
    if story.has_logic:
        text += (
            f" Its theory of change runs through {_count(len(story.outcomes), 'outcome')} and rests on "
            f"{_count(len(story.assumptions), 'assumption')}."
        )
    return text


def _objective_paragraphs(story: ContributionStory, o: ObjectiveStory) -> list[str]:
    measures = {m.id: m for m in story.measures}
    target = f" ({o.target_text()})" if o.target_text() else ""
    served = f"Objective '{o.title}'{target} is served by "
    if o.projects:
        served += f"{projects_text(o.projects)} worth {money_text(o.money, story.currency)}"
    else:
        served += "no project in the portfolio"
    if o.measures:
        described = "; ".join(measures[m].describe() for m in o.measures)
        served += f" and {_count(len(o.measures), 'measure')} ({described})"
    served += "."
    if o.owners:
        served += f" It is owned by {_join(list(o.owners))}."
    paragraphs = [served]
    if o.outcomes:
        steps = []
        for outcome_id in o.chain:
            outcome = next(x for x in story.outcomes if x.id == outcome_id)
            step = f"'{outcome.title}' leads to {_join([_quoted(story.name(t)) for t in outcome.leads_to])}"
            workers = [projects_text(outcome.projects)] if outcome.projects else []
            workers += [measures[m].describe() for m in outcome.measures]
            if workers:
                step += " and is worked towards by " + "; ".join(workers)
            steps.append(step)
        paragraphs.append(
            f"It depends on {_count(len(o.outcomes), 'outcome')} leading to it "
            f"({_join([_quoted(story.name(x)) for x in o.outcomes])}). Along the chain: "
            + "; ".join(steps)
            + "."
        )
    for assumption_id in o.assumptions:
        a = next(x for x in story.assumptions if x.id == assumption_id)
        evidence = f" (evidence: {a.evidence})" if a.evidence else ""
        paragraphs.append(
            f"The assumption '{a.text}' is marked {a.status.value}{evidence}: "
            f"{_pathway_to(story, a.objectives)} rests on it."
        )
    paragraphs.append(_indicator_sentence(o))
    if o.regions:
        paragraphs.append(_regions_sentence(o))
    return paragraphs


def _indicator_sentence(o: ObjectiveStory) -> str:
    if o.status is None or o.status is TargetStatus.NO_DATA:
        return "The indicator has no data yet: progress towards the target cannot be judged."
    text = f"The indicator {STATUS_WORDS[o.status]}{_odds(o)}"
    if o.latest_value is not None and o.latest_year is not None:
        unit = f" {o.unit}" if o.unit else ""
        text += f"; the latest value is {_number(o.latest_value)}{unit} ({o.latest_year}"
        text += f", {o.latest_source})" if o.latest_source else ")"
    return text + "."


def _regions_sentence(o: ObjectiveStory) -> str:
    """``Regionally: Vestland is on track (P = 80 %); Nordland has no data.``"""
    parts = []
    for r in o.regions:
        odds = f" (P = {r.probability:.0%})" if r.probability is not None else ""
        parts.append(
            f"{r.region} {STATUS_WORDS[r.status]}{odds if r.status is not TargetStatus.NO_DATA else ''}"
        )
    return "Regionally: " + "; ".join(parts) + "."


def _odds(o: ObjectiveStory) -> str:
    return f": P = {o.probability:.0%} of meeting the target" if o.probability is not None else ""


def _pathway_to(story: ContributionStory, objective_ids: Sequence[str]) -> str:
    if not objective_ids:
        return "no objective's pathway"
    names = _join([_quoted(story.name(x)) for x in objective_ids])
    return f"the pathway to {names}"


def _quoted(text: str) -> str:
    return f"'{text}'"


def _count(count: int, noun: str) -> str:
    word = NUMBER_WORDS[count] if count < len(NUMBER_WORDS) else str(count)
    return f"{word} {noun}" if count == 1 else f"{word} {noun}s"


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))

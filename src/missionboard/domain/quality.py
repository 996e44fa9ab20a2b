"""The mission quality check: is this a real mission, or a programme wearing a mission's clothes?

Criteria follow the OECD mission-oriented innovation policy toolkit and Mazzucato's five criteria:
bold and inspirational; targeted, measurable and time-bound; ambitious but realistic; cross-
disciplinary, cross-sectoral and cross-actor; open to multiple bottom-up solutions. Two more
come from practice: stakeholder involvement in shaping the mission, and *mission washing*.
Each finding says which criterion, how severe, what evidence, and what to do about it.

A mission that declares its structure (``logic``, ``governance``, ``measures``) is also judged on it:
pathways and assumptions (``intervention_logic``), owners at every level (``governance``), and a mix
of measures and disciplines (``cross_sectoral``). Only what a mission declares is judged, so a mission
without these keys scores as it did before they existed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from missionboard.domain.missions import (
    DEMAND_OR_REGULATORY,
    OWNING_ROLES,
    AssumptionStatus,
    Mission,
    Objective,
    is_ssh,
)
from missionboard.domain.prescriptive import Kind, prescriptions, technologies
from missionboard.domain.targets import Point, TargetStatus, assess, start_year_of, target_path


class Severity(StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"


class Criterion(StrEnum):
    BOLD = "bold_inspirational"
    MEASURABLE = "targeted_measurable_time_bound"
    REALISTIC = "ambitious_realistic"
    CROSS_SECTORAL = "cross_sectoral"
    SOLUTION_NEUTRAL = "open_to_multiple_solutions"
    STAKEHOLDERS = "stakeholder_involvement"
    WASHING = "mission_washing"
    LOGIC = "intervention_logic"
    GOVERNANCE = "governance"


PENALTY = {Severity.CRITICAL: 25, Severity.WARNING: 10, Severity.INFO: 2}

MIN_STATEMENT_WORDS = 6
MAX_STATEMENT_WORDS = 40
MIN_HORIZON_YEARS = 3
MAX_HORIZON_YEARS = 20
MODEST_CHANGE = 0.10
"""A target less than 10 % away from its baseline is not bold."""
ACCELERATION_AMBITIOUS = 3.0
ACCELERATION_UNREALISTIC = 6.0
MIN_OBSERVATIONS = 3
MIN_HELIX_TYPES = 3
MIN_HELIX_SHARE = 0.05
BEHAVIOUR_CHANGE_TAGS = frozenset(
    {"behaviour-change", "behavior-change", "behaviour change", "behavior change"}
)
"""Tags by which a mission declares that it needs people to change behaviour (as ``behaviour_change:
true`` on an objective or outcome does)."""

OUTCOME_MARKERS = re.compile(
    r"\b(every|all|zero|no|none|net[- ]zero|halve[sd]?|half|double[sd]?|triple[sd]?|free of|eliminat\w*|"
    r"end\w*|100|fully|entire)\b|\d+\s*%|\bper ?cent\b",
    re.IGNORECASE,
)
ACTIVITY_VERBS = re.compile(
    r"^\s*(to\s+)?(support|promote|strengthen|enhance|facilitate|foster|contribute|encourage|explore|"
    r"raise awareness|work towards|help)\b",
    re.IGNORECASE,
)
PERCENT_UNITS = {"%", "percent", "per cent", "percentage", "pct"}
RELABELLED_WARNING = 0.30
"""From this share of linked projects or money started before the mission, the portfolio is partly relabelled."""
RELABELLED_CRITICAL = 0.50
"""Above this share the portfolio is mostly relabelled: mission washing (critical)."""
STRUCTURE_CRITERIA = frozenset({Criterion.LOGIC, Criterion.GOVERNANCE})
"""Judged only for a mission that declares its structure (see ``declares_structure``)."""
CAPPING_CRITERIA = frozenset({Criterion.SOLUTION_NEUTRAL, Criterion.WASHING})
"""A failed (warning or worse) finding of these keeps the verdict below "strong", whatever the score."""


@dataclass(frozen=True)
class StartYear:
    """Linked projects and their money by the year they started: new (started on or after the mission's
    start) or relabelled (started before it: existing work counted towards the mission)."""

    year: int
    new_projects: int = 0
    relabelled_projects: int = 0
    new_money: float = 0.0
    relabelled_money: float = 0.0


@dataclass(frozen=True)
class PortfolioProfile:
    """The linked portfolio as the check needs it: counts per helix type, sector, instrument family …"""

    projects: int
    helix: Mapping[str, int] = field(default_factory=dict)
    sectors: Mapping[str, int] = field(default_factory=dict)
    instrument_families: Mapping[str, int] = field(default_factory=dict)
    funders: Mapping[str, int] = field(default_factory=dict)
    programmes: Mapping[str, int] = field(default_factory=dict)
    disciplines: Mapping[str, int] = field(default_factory=dict)
    """Linked projects per discipline (Fields of Science), where the portfolio records one."""
    linked_by_goal: Mapping[str, int] | None = None
    """Portfolio projects linked to each objective or outcome itself (None: links not read)."""
    rule: str = ""
    """Which links make up the portfolio, in words (e.g. "accepted links, and proposed ones scoring ≥ 0.5")."""
    split_at: dt.date | None = None
    """The mission start that ``start_years`` splits new from relabelled at (None: not split)."""
    start_years: tuple[StartYear, ...] = ()
    undated: int = 0
    """Linked projects without a start date (neither new nor relabelled)."""
    currency: str | None = None
    """The currency of the money in ``start_years``."""
    unconverted: int = 0
    """Dated linked projects whose money cannot be converted into ``currency``: not in the money."""


@dataclass(frozen=True)
class Relabelling:
    """How much of the linked portfolio existed before the mission: the mission-washing figures."""

    mission_start: dt.date
    rule: str
    projects: int
    """Linked projects with a start date."""
    relabelled_projects: int
    currency: str | None
    new_money: float
    relabelled_money: float
    undated: int
    unconverted: int
    by_year: tuple[StartYear, ...]

    @property
    def project_share(self) -> float:
        return self.relabelled_projects / self.projects if self.projects else 0.0

    @property
    def money_share(self) -> float | None:
        total = self.new_money + self.relabelled_money
        return self.relabelled_money / total if total > 0 else None

    @property
    def share(self) -> float:
        """The larger of the project and the money share: relabelling either way counts."""
        return max(self.project_share, self.money_share or 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mission_start": self.mission_start.isoformat(),
            "rule": self.rule,
            "projects": self.projects,
            "relabelled_projects": self.relabelled_projects,
            "relabelled_project_share": round(self.project_share, 4),
            "currency": self.currency,
            "new_money": self.new_money,
            "relabelled_money": self.relabelled_money,
            "relabelled_money_share": None if self.money_share is None else round(self.money_share, 4),
            "undated_projects": self.undated,
            "unconverted_projects": self.unconverted,
            "by_start_year": [asdict(y) for y in self.by_year],
        }


def relabelling(mission: Mission, portfolio: PortfolioProfile | None) -> Relabelling | None:
    """The relabelling figures, or None when they cannot be had (no start date, nothing linked, or a
    profile split at another date than the mission's start)."""
    if (
        mission.start is None
        or portfolio is None
        or portfolio.split_at != mission.start
        or not portfolio.start_years
    ):
        return None
    years = tuple(sorted(portfolio.start_years, key=lambda y: y.year))
    return Relabelling(
        mission_start=mission.start,
        rule=portfolio.rule,
        projects=sum(y.new_projects + y.relabelled_projects for y in years),
        relabelled_projects=sum(y.relabelled_projects for y in years),
        currency=portfolio.currency,
        new_money=sum(y.new_money for y in years),
        relabelled_money=sum(y.relabelled_money for y in years),
        undated=portfolio.undated,
        unconverted=portfolio.unconverted,
        by_year=years,
    )


@dataclass(frozen=True)
class Finding:
    criterion: Criterion
    severity: Severity
    message: str
    evidence: str
    suggestion: str

    def to_dict(self) -> dict[str, str]:
        return {k: str(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class QualityReport:
    mission: str
    score: int
    verdict: str
    findings: tuple[Finding, ...]
    assessed: Mapping[Criterion, bool]
    """Whether there was enough information to judge each criterion."""
    relabelling: Relabelling | None = None
    """Linked projects and money started before the mission (None: no start date or no portfolio)."""
    omitted: frozenset[Criterion] = frozenset()
    """Criteria that do not apply to the mission (the structure it does not declare), left out of
    ``to_dict``; their ``status`` is 'pass', as nothing is held against the mission."""

    def status(self, criterion: Criterion) -> str:
        """'pass', 'fail' (a warning or worse) or 'not_assessed'."""
        if any(f.criterion == criterion and f.severity != Severity.INFO for f in self.findings):
            return "fail"
        return "pass" if self.assessed.get(criterion, True) else "not_assessed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "mission": self.mission,
            "score": self.score,
            "verdict": self.verdict,
            "criteria": {c.value: self.status(c) for c in Criterion if c not in self.omitted},
            "findings": [f.to_dict() for f in self.findings],
            "relabelling": None if self.relabelling is None else self.relabelling.to_dict(),
        }


def _verdict(score: int, findings: Sequence[Finding]) -> str:
    capped = any(
        f.severity == Severity.CRITICAL
        or (f.severity == Severity.WARNING and f.criterion in CAPPING_CRITERIA)
        for f in findings
    )
    if score >= 80 and not capped:
        return "strong mission"
    if score >= 60:
        return "adequate, with gaps to close"
    if score >= 40:
        return "weak: major gaps"
    return "mission-washing risk: not yet a mission"


def check_mission(
    mission: Mission,
    *,
    observations: Mapping[str, Sequence[tuple[int, float]]] | None = None,
    portfolio: PortfolioProfile | None = None,
    today: dt.date | None = None,
) -> QualityReport:
    """Judge ``mission``; ``observations`` maps indicator id → (year, value) points."""
    today = today or dt.date.today()
    observations = observations or {}
    findings: list[Finding] = []
    assessed: dict[Criterion, bool] = dict.fromkeys(Criterion, True)
    findings += _bold(mission)
    findings += _measurable(mission, today)
    realistic, judged = _realistic(mission, observations)
    findings += realistic
    assessed[Criterion.REALISTIC] = judged
    cross, judged = _cross_sectoral(portfolio, mission)
    findings += cross
    assessed[Criterion.CROSS_SECTORAL] = judged
    findings += _solution_neutral(mission)
    findings += _stakeholders(mission)
    assessed[Criterion.STAKEHOLDERS] = bool(mission.stakeholders)
    relabelled = relabelling(mission, portfolio)
    findings += _washing(mission, portfolio, relabelled)
    findings += _measure_mix(mission)
    findings += _ssh(mission, portfolio)
    findings += _logic(mission)
    findings += _unsupported_pathways(mission, portfolio)
    findings += _governance(mission)
    omitted = frozenset() if declares_structure(mission) else STRUCTURE_CRITERIA
    if not omitted:
        assessed[Criterion.LOGIC] = mission.logic is not None
        assessed[Criterion.GOVERNANCE] = bool(mission.governance)
    order = list(Severity)
    findings.sort(key=lambda f: (order.index(f.severity), list(Criterion).index(f.criterion)))
    score = max(0, 100 - sum(PENALTY[f.severity] for f in findings))
    return QualityReport(
        mission.id, score, _verdict(score, findings), tuple(findings), assessed, relabelled, omitted
    )


def declares_structure(mission: Mission) -> bool:
    """Whether the mission declares any of its structure: a logic, its governance or its measures."""
    return bool(mission.logic or mission.governance or mission.measures)


def _words(text: str) -> int:
    return len(re.findall(r"\w+", text))


def _bold(mission: Mission) -> list[Finding]:
    out: list[Finding] = []
    statement = mission.statement
    words = _words(statement)
    if words < MIN_STATEMENT_WORDS:
        out.append(
            Finding(
                Criterion.BOLD,
                Severity.WARNING,
                "The statement is too short to say what will be different.",
                f"{words} words: “{statement}”",
                "Describe the end state a citizen would notice, e.g. 'By 2030 every public school meal is "
                "healthy and sustainable'.",
            )
        )
    elif words > MAX_STATEMENT_WORDS:
        out.append(
            Finding(
                Criterion.BOLD,
                Severity.WARNING,
                "The statement is long; a mission should fit in one breath.",
                f"{words} words (aim for at most {MAX_STATEMENT_WORDS})",
                "Keep the outcome and the deadline in the statement; move the how to the objectives.",
            )
        )
    if ACTIVITY_VERBS.search(statement):
        verb = ACTIVITY_VERBS.search(statement)
        out.append(
            Finding(
                Criterion.BOLD,
                Severity.WARNING,
                "The statement describes activities, not an outcome.",
                f"it starts with “{verb.group(0).strip() if verb else ''}”",
                "State the result the mission commits to (what will be true by the deadline), not what the "
                "agency will do.",
            )
        )
    if not OUTCOME_MARKERS.search(statement) and not re.search(r"\d", statement):
        out.append(
            Finding(
                Criterion.BOLD,
                Severity.WARNING,
                "The statement names no concrete, checkable end state.",
                f"no quantity or universal claim (every, all, zero, halve, a number …) in “{statement}”",
                "Add the scale of the change, e.g. 'every', 'zero', 'halve' or a number.",
            )
        )
    modest = [
        (o, change)
        for o in mission.objectives
        if o.baseline and o.target and (change := _relative_change(o)) is not None and change < MODEST_CHANGE
    ]
    measurable = [o for o in mission.objectives if o.baseline and o.target]
    if measurable and len(modest) == len(measurable):
        out.append(
            Finding(
                Criterion.BOLD,
                Severity.WARNING,
                "Every target is a small step from its baseline: the mission is not bold.",
                "; ".join(f"{o.id}: {change:.0%} change" for o, change in modest),
                "Set at least one target that requires the system to change, not just to improve.",
            )
        )
    return out


def _relative_change(objective: Objective) -> float | None:
    assert objective.baseline and objective.target
    base = objective.baseline.value
    if base == 0:
        return None
    return abs(objective.target.value - base) / abs(base)


def _measurable(mission: Mission, today: dt.date) -> list[Finding]:
    out: list[Finding] = []
    c = Criterion.MEASURABLE
    if mission.deadline is None:
        out.append(
            Finding(
                c,
                Severity.WARNING,
                "The mission has no deadline.",
                "deadline: missing",
                "Add a deadline (a date within 5–15 years) so that progress can be judged.",
            )
        )
    if mission.start is None:
        out.append(
            Finding(
                c,
                Severity.INFO,
                "The mission has no start date.",
                "start: missing",
                "Add the start date so that the required pace can be computed from it.",
            )
        )
    if mission.start and mission.deadline:
        years = (mission.deadline - mission.start).days / 365.25
        if years < MIN_HORIZON_YEARS:
            out.append(
                Finding(
                    c,
                    Severity.WARNING,
                    "The horizon is too short for system change; this reads as a project.",
                    f"{years:.1f} years from {mission.start} to {mission.deadline}",
                    f"Missions usually run {MIN_HORIZON_YEARS}–{MAX_HORIZON_YEARS} years; extend the deadline "
                    "or treat this as a project.",
                )
            )
        elif years > MAX_HORIZON_YEARS:
            out.append(
                Finding(
                    c,
                    Severity.WARNING,
                    "The horizon is too long to hold anyone to account.",
                    f"{years:.1f} years from {mission.start} to {mission.deadline}",
                    "Set an intermediate deadline within 15 years, with its own targets.",
                )
            )
    if mission.deadline and mission.deadline < today and mission.status.value == "active":
        out.append(
            Finding(
                c,
                Severity.WARNING,
                "The deadline has passed but the mission is still active.",
                f"deadline {mission.deadline}, today {today}",
                "Close the mission with a final evaluation, or set a new deadline in a new version.",
            )
        )
    if mission.deadline and str(mission.deadline.year) not in mission.statement:
        out.append(
            Finding(
                c,
                Severity.INFO,
                "The statement does not name the deadline year.",
                f"deadline {mission.deadline.year}; statement “{mission.statement}”",
                f"Start the statement with 'By {mission.deadline.year}, …' so the time-bound promise is visible.",
            )
        )
    if not mission.objectives:
        out.append(
            Finding(
                c,
                Severity.CRITICAL,
                "The mission has no objectives.",
                "objectives: none",
                "Add 3–6 objectives, each with an indicator, a baseline and a target.",
            )
        )
    for objective in mission.objectives:
        missing = [
            name
            for name, value in (
                ("indicator", objective.indicator),
                ("baseline", objective.baseline),
                ("target", objective.target),
            )
            if value is None
        ]
        if missing:
            out.append(
                Finding(
                    c,
                    Severity.WARNING,
                    f"Objective '{objective.id}' is not measurable.",
                    f"missing: {', '.join(missing)}",
                    "Give it an indicator (with unit and source), a baseline value and year, and a target "
                    "value and year.",
                )
            )
            continue
        assert objective.indicator and objective.baseline and objective.target
        if objective.target.value == objective.baseline.value:
            out.append(
                Finding(
                    c,
                    Severity.WARNING,
                    f"Objective '{objective.id}' targets no change.",
                    f"baseline {objective.baseline.value:g} = target {objective.target.value:g}",
                    "Set the target to the value the mission must reach.",
                )
            )
        if mission.deadline and objective.target.year > mission.deadline.year:
            out.append(
                Finding(
                    c,
                    Severity.WARNING,
                    f"Objective '{objective.id}' is due after the mission's deadline.",
                    f"target year {objective.target.year} > deadline {mission.deadline.year}",
                    "Bring the target year within the mission's deadline, or move the deadline.",
                )
            )
        if mission.start and objective.baseline.year > mission.start.year + 1:
            out.append(
                Finding(
                    c,
                    Severity.WARNING,
                    f"Objective '{objective.id}' has a baseline from after the start.",
                    f"baseline year {objective.baseline.year}, mission start {mission.start.year}",
                    "Use the last value known when the mission started as the baseline.",
                )
            )
        if objective.indicator.unit.strip().lower() in PERCENT_UNITS:
            bad = [v for v in (objective.baseline.value, objective.target.value) if not 0 <= v <= 100]
            if bad:
                out.append(
                    Finding(
                        c,
                        Severity.CRITICAL,
                        f"Objective '{objective.id}' has an impossible percentage.",
                        f"{', '.join(f'{v:g}' for v in bad)} {objective.indicator.unit}",
                        "Percentages lie between 0 and 100; check the unit or the values.",
                    )
                )
    return out


def _realistic(
    mission: Mission, observations: Mapping[str, Sequence[tuple[int, float]]]
) -> tuple[list[Finding], bool]:
    """Ambition against the same forecast and status rule as monitoring (``domain.targets.assess``).

    "Not ambitious" exactly when monitoring would call the objective on track on its current trend;
    otherwise the required acceleration over the forecast's trend says how ambitious it is.
    """
    out: list[Finding] = []
    c = Criterion.REALISTIC
    judged_any = False
    for objective in mission.objectives:
        if not (objective.indicator and objective.baseline and objective.target):
            continue
        series = sorted(observations.get(objective.indicator.id, ()))
        if len(series) < MIN_OBSERVATIONS:
            out.append(
                Finding(
                    c,
                    Severity.INFO,
                    f"Realism of '{objective.id}' cannot be judged yet.",
                    f"{len(series)} observation(s) of {objective.indicator.id}",
                    f"Import at least {MIN_OBSERVATIONS} years of observations "
                    "('missionboard indicators import').",
                )
            )
            continue
        judged_any = True
        points = [Point(float(year), float(value)) for year, value in series]
        first = target_path(objective)
        assert first is not None  # baseline and target are set
        start = start_year_of(mission.start, first)
        path = target_path(objective, points, start_year=start)
        judged = assess(path, points, start_year=start)
        latest_year, latest = series[-1]
        target = objective.target
        if path is not None and path.reached(latest):
            out.append(
                Finding(
                    c,
                    Severity.WARNING,
                    f"Objective '{objective.id}' is already achieved.",
                    f"latest {latest:g} ({latest_year}) vs target {target.value:g} ({target.year})",
                    "Raise the target: an objective met on day one does not steer anything.",
                )
            )
            continue
        if judged.forecast is None or judged.probability is None:
            continue  # the target year has passed, or too few points since the baseline to forecast
        acceleration = judged.required_acceleration
        evidence = (
            f"P(target met in {target.year}) {judged.probability:.0%} on the {judged.forecast.basis} "
            f"(forecast {judged.forecast.value:.3g} in {target.year} vs target {target.value:g}; "
            f"same forecast as 'monitor')"
        )
        if judged.status is TargetStatus.ON_TRACK:
            out.append(
                Finding(
                    c,
                    Severity.WARNING,
                    f"'{objective.id}' will be met on the current trend: not ambitious.",
                    evidence,
                    "Set a target beyond business as usual, so that the mission adds something.",
                )
            )
        elif acceleration is None:
            out.append(
                Finding(
                    c,
                    Severity.WARNING,
                    f"'{objective.id}': the indicator is moving away from the target.",
                    evidence,
                    "Reaching it needs the trend reversed: check the portfolio can do that, or phase the target.",
                )
            )
        elif acceleration > ACCELERATION_UNREALISTIC:
            out.append(
                Finding(
                    c,
                    Severity.WARNING,
                    f"'{objective.id}' needs a ×{acceleration:.1f} acceleration: likely unrealistic.",
                    evidence,
                    "Check that the portfolio is sized for a step change, or set an intermediate target.",
                )
            )
        elif acceleration > ACCELERATION_AMBITIOUS:
            out.append(
                Finding(
                    c,
                    Severity.INFO,
                    f"'{objective.id}' needs a ×{acceleration:.1f} acceleration: ambitious.",
                    evidence,
                    "Make sure the instruments behind this objective are strong enough.",
                )
            )
    return out, judged_any


def _cross_sectoral(portfolio: PortfolioProfile | None, mission: Mission) -> tuple[list[Finding], bool]:
    c = Criterion.CROSS_SECTORAL
    if portfolio is None or portfolio.projects == 0:
        return [
            Finding(
                c,
                Severity.INFO,
                "No portfolio is linked to the mission yet, so its spread cannot be judged.",
                "0 linked projects",
                "Map the portfolio to the mission ('missionboard map --taxonomy mission:ID') and review links.",
            )
        ], False
    out: list[Finding] = []
    total = sum(portfolio.helix.values())
    present = sorted(h for h, n in portfolio.helix.items() if total and n / total >= MIN_HELIX_SHARE)
    if len(present) < MIN_HELIX_TYPES:
        out.append(
            Finding(
                c,
                Severity.WARNING,
                "The portfolio involves too few kinds of actors.",
                "helix types with ≥5 % of participations: " + (", ".join(present) or "none"),
                "Bring in research, industry, government and civil society: consortia, procurement with "
                "municipalities, citizen panels.",
            )
        )
    families = {f for f, n in portfolio.instrument_families.items() if n > 0}
    # measures beyond projects are instruments too: a declared regulation or procurement rule is in the mix
    pulled = any(m.kind in DEMAND_OR_REGULATORY for m in mission.measures)
    if families and families <= {"supply"} and not pulled:
        out.append(
            Finding(
                c,
                Severity.WARNING,
                "Only supply-side instruments are used.",
                "instrument families: " + ", ".join(sorted(families)),
                "Add demand-side instruments (public or pre-commercial procurement, challenge prizes) or "
                "regulation (standards, sandboxes) to pull solutions into use.",
            )
        )
    sectors = [s for s, n in portfolio.sectors.items() if n > 0]
    if portfolio.sectors and len(sectors) < 2:
        out.append(
            Finding(
                c,
                Severity.WARNING,
                "The portfolio sits in a single sector.",
                f"sectors: {', '.join(sectors)}",
                "Missions cut across sectors: fund work in the other sectors the challenge touches.",
            )
        )
    return out, True


def _solution_neutral(mission: Mission) -> list[Finding]:
    out: list[Finding] = []
    c = Criterion.SOLUTION_NEUTRAL
    found = prescriptions(mission.statement)
    if found:
        evidence = [
            f"{label}: " + ", ".join(f"“{p.words}”" for p in found if p.kind == kind)
            for kind, label in (
                (Kind.TECHNOLOGY, "technology named"),
                (Kind.PROGRAMME, "delivery programme named"),
                (Kind.MEANS, "prescribes a means"),
            )
            if any(p.kind == kind for p in found)
        ]
        out.append(
            Finding(
                c,
                Severity.WARNING,
                "The statement prescribes a solution instead of leaving it open.",
                "; ".join(evidence),
                "State the outcome and let projects compete on how to reach it; name technologies in "
                "objectives or calls only where the choice is already settled.",
            )
        )
    for objective in mission.objectives:
        named = technologies(objective.title)
        if named and len(mission.objectives) > 1 and all(technologies(o.title) for o in mission.objectives):
            out.append(
                Finding(
                    c,
                    Severity.INFO,
                    f"Objective '{objective.id}' is tied to a technology.",
                    ", ".join(named),
                    "Keep at least some objectives technology-neutral so that other solutions can count.",
                )
            )
    return out


def _stakeholders(mission: Mission) -> list[Finding]:
    c = Criterion.STAKEHOLDERS
    if not mission.stakeholders:
        return [
            Finding(
                c,
                Severity.INFO,
                "No stakeholders are recorded as involved in shaping the mission.",
                "stakeholders: none",
                "List who co-created the mission (government, research, industry, civil society) — or run a "
                "consultation.",
            )
        ]
    groups = sorted({s.helix.value for s in mission.stakeholders})
    if len(groups) < MIN_HELIX_TYPES:
        return [
            Finding(
                c,
                Severity.WARNING,
                "The mission was shaped by too few kinds of stakeholders.",
                "helix groups: " + ", ".join(groups),
                "Involve at least three of government, research, industry and civil society.",
            )
        ]
    return []


def _washing(
    mission: Mission, portfolio: PortfolioProfile | None, relabelled: Relabelling | None
) -> list[Finding]:
    out: list[Finding] = []
    c = Criterion.WASHING
    if not any(o.is_measurable for o in mission.objectives):
        out.append(
            Finding(
                c,
                Severity.CRITICAL,
                "No objective has a measurable target: a mission in name only.",
                f"{len(mission.objectives)} objective(s), none with indicator, baseline and target",
                "Give the mission measurable targets before calling it a mission.",
            )
        )
    if mission.deadline is None:
        out.append(
            Finding(
                c,
                Severity.CRITICAL,
                "Without a deadline nobody can be held to the mission.",
                "deadline: missing",
                "Commit to a date.",
            )
        )
    programmes = set(mission.programmes)
    if portfolio is not None and portfolio.projects:
        programmes |= {p for p, n in portfolio.programmes.items() if n > 0}
    if len(programmes) == 1:
        out.append(
            Finding(
                c,
                Severity.CRITICAL,
                "A single programme is relabelled as a mission.",
                f"every contribution comes from '{next(iter(programmes))}'",
                "A mission coordinates several programmes, agencies and instruments; bring in the others "
                "that touch the challenge.",
            )
        )
    if relabelled is not None and relabelled.share >= RELABELLED_WARNING:
        out.append(_relabelled_finding(relabelled))
    return out


def _measure_mix(mission: Mission) -> list[Finding]:
    """Declared measures that include nothing on the demand side or in regulation."""
    if not mission.measures or any(m.kind in DEMAND_OR_REGULATORY for m in mission.measures):
        return []
    kinds: dict[str, int] = {}
    for measure in mission.measures:
        kinds[measure.kind.value] = kinds.get(measure.kind.value, 0) + 1
    return [
        Finding(
            Criterion.CROSS_SECTORAL,
            Severity.WARNING,
            "No measure acts on demand or regulation.",
            "measures: "
            + ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
            + " (none of regulation, public_procurement, standard)",
            "Add measures that pull solutions into use or set the rules: public procurement, standards, "
            "regulation.",
        )
    ]


def _ssh(mission: Mission, portfolio: PortfolioProfile | None) -> list[Finding]:
    """A mission that declares it needs behaviour change, with no social sciences or humanities."""
    declared = [f"objective '{o.id}'" for o in mission.objectives if o.behaviour_change]
    declared += [f"outcome '{o.id}'" for o in mission.outcomes if o.behaviour_change]
    declared += [f"tag '{t}'" for t in mission.tags if t.strip().lower() in BEHAVIOUR_CHANGE_TAGS]
    if not declared:
        return []
    stakeholders = [s.discipline for s in mission.stakeholders if s.discipline]
    projects = [d for d, n in (portfolio.disciplines if portfolio else {}).items() if n > 0]
    if any(is_ssh(d) for d in stakeholders + projects):
        return []
    known = (
        f"stakeholders' disciplines: {', '.join(stakeholders)}"
        if stakeholders
        else "no stakeholder has a discipline recorded"
    )
    known += (
        f"; linked projects' disciplines: {', '.join(sorted(projects))}"
        if projects
        else "; no discipline recorded for linked projects"
    )
    return [
        Finding(
            Criterion.CROSS_SECTORAL,
            Severity.WARNING,
            "The mission needs behaviour change but shows no social sciences or humanities.",
            f"behaviour change declared by {', '.join(declared)}; {known}",
            "Involve behavioural, social-science or humanities expertise (as stakeholders with a "
            "'discipline', or in the portfolio) where people must change what they do.",
        )
    ]


def _logic(mission: Mission) -> list[Finding]:
    """Pathways and assumptions of the declared theory of change."""
    c = Criterion.LOGIC
    if mission.logic is None:
        if not declares_structure(mission):
            return []  # a mission that declares no structure is not judged on it
        return [
            Finding(
                c,
                Severity.INFO,
                "The mission declares no theory of change.",
                "logic: missing",
                "Add a 'logic:' with the outcomes that lead to each objective and the assumptions they rest "
                "on, so that evaluators can see which pathway works.",
            )
        ]
    out: list[Finding] = []
    orphans = [
        o.id for o in mission.objectives if not (mission.leading_to(o.id) or mission.measures_for(o.id))
    ]
    if orphans:
        out.append(
            Finding(
                c,
                Severity.WARNING,
                f"{len(orphans)} objective(s) have no pathway.",
                f"no outcome leads to and no measure names: {', '.join(orphans)}",
                "Add the outcomes (or measures) through which the mission expects to reach each objective.",
            )
        )
    untested = [a.id for a in mission.assumptions if a.status == AssumptionStatus.UNTESTED]
    if untested:
        out.append(
            Finding(
                c,
                Severity.INFO,
                f"{len(untested)} assumption(s) have never been tested.",
                "untested: " + ", ".join(untested),
                "Plan how each assumption will be checked (evaluation, survey, pilot) and record its status.",
            )
        )
    for assumption in mission.assumptions:
        if assumption.status != AssumptionStatus.FAILING:
            continue
        reached = mission.downstream(assumption.about)
        outcomes = [i for i in [*assumption.about, *reached] if mission.outcome(i)]
        objectives = mission.objectives_served_by(assumption.about)
        depends = "; ".join(
            part
            for part in (
                f"outcomes: {', '.join(dict.fromkeys(outcomes))}" if outcomes else "",
                f"objectives: {', '.join(objectives)}" if objectives else "",
            )
            if part
        )
        out.append(
            Finding(
                c,
                Severity.WARNING,
                f"Assumption '{assumption.id}' is failing: {assumption.text}",
                f"what depends on it: {depends or 'nothing'}"
                + (f"; evidence: {assumption.evidence}" if assumption.evidence else ""),
                "Revisit the pathways that rest on it: change the measures or outcomes, or find another route "
                "to the objectives named.",
            )
        )
    return out


def _unsupported_pathways(mission: Mission, portfolio: PortfolioProfile | None) -> list[Finding]:
    """Objectives whose pathways exist on paper only: outcomes lead to them, but no project is linked
    and no measure named anywhere along the way (judged once the portfolio's links are read)."""
    if mission.logic is None or portfolio is None or portfolio.linked_by_goal is None:
        return []
    linked = portfolio.linked_by_goal
    supported: dict[str, bool] = {}

    def is_supported(target: str) -> bool:
        if target not in supported:
            supported[target] = False  # the logic has no circles; this only guards a malformed one
            supported[target] = bool(
                linked.get(target, 0)
                or mission.measures_for(target)
                or any(is_supported(o.id) for o in mission.leading_to(target))
            )
        return supported[target]

    hollow = [o.id for o in mission.objectives if mission.leading_to(o.id) and not is_supported(o.id)]
    if not hollow:
        return []
    outcomes = [
        o.id
        for o in mission.outcomes
        if not is_supported(o.id) and set(mission.objectives_served_by([o.id])) & set(hollow)
    ]
    return [
        Finding(
            Criterion.LOGIC,
            Severity.WARNING,
            f"{len(hollow)} objective(s) are reached only through outcomes nothing works towards.",
            f"objectives: {', '.join(hollow)}; outcomes with no linked project, no measure and no supported "
            f"outcome leading to them: {', '.join(outcomes)} ({portfolio.rule or 'the portfolio rule'})",
            "Link the projects that work towards these outcomes, name the measures that serve them, or "
            "revise the pathway.",
        )
    ]


def _governance(mission: Mission) -> list[Finding]:
    """Owners of the mission and of each objective, where the mission declares its governance."""
    c = Criterion.GOVERNANCE
    if not mission.governance:
        return []
    out: list[Finding] = []
    unowned = [o.id for o in mission.objectives if not mission.owners_of(o.id)]
    if unowned:
        out.append(
            Finding(
                c,
                Severity.WARNING,
                f"{len(unowned)} objective(s) have no owner.",
                "no owner or co-owner in the governance covers: " + ", ".join(unowned),
                "Name the ministry, agency or level of government that answers for each objective.",
            )
        )
    owners = [g for g in mission.governance if g.role in OWNING_ROLES]
    bodies = {g.body.casefold() for g in owners}
    if len(bodies) == 1:
        others = sorted({g.body for g in mission.governance if g.body.casefold() not in bodies})
        owner = owners[0]
        out.append(
            Finding(
                c,
                Severity.WARNING,
                "The mission is owned by one body alone.",
                f"owner: {owner.body}"
                + (f" ({owner.level})" if owner.level else "")
                + (f"; others only contribute or fund: {', '.join(others)}" if others else ""),
                "Share ownership across the ministries and levels of government whose policies the mission "
                "needs (co-owners answer for objectives too).",
            )
        )
    return out


def _relabelled_finding(r: Relabelling) -> Finding:
    mostly = r.share > RELABELLED_CRITICAL
    money = ""
    if r.money_share is not None:
        money = (
            f" and {_amount(r.relabelled_money)} of {_amount(r.new_money + r.relabelled_money)} {r.currency} "
            f"({r.money_share:.0%})"
        )
    years = "; ".join(
        f"{y.year}: {_amount(y.new_money)} new / {_amount(y.relabelled_money)} relabelled"
        for y in r.by_year
        if y.new_money or y.relabelled_money
    )
    notes = [f"portfolio: {r.rule}"] if r.rule else []
    if r.undated:
        notes.append(f"{r.undated} linked project(s) without a start date not counted")
    if r.unconverted:
        notes.append(
            f"money of {r.unconverted} project(s) with no exchange rate into {r.currency} not counted"
        )
    return Finding(
        Criterion.WASHING,
        Severity.CRITICAL if mostly else Severity.WARNING,
        (
            "Most of the linked portfolio started before the mission: existing work relabelled, not new."
            if mostly
            else "Much of the linked portfolio started before the mission: partly relabelled."
        ),
        f"{r.relabelled_projects} of {r.projects} linked projects ({r.project_share:.0%}){money} started before "
        f"the mission's start {r.mission_start}"
        + (f"; by start year ({r.currency}): {years}" if years else "")
        + (f" ({'; '.join(notes)})" if notes else ""),
        "Count projects towards the mission only where it changed them (new calls, redirected scope, new "
        "partners); fund new work that the mission needs rather than relabelling what was running.",
    )


def _amount(value: float) -> str:
    for size, suffix in ((1e9, " bn"), (1e6, " M"), (1e3, " k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.0f}"

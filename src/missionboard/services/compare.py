"""All missions side by side: for each mission its owners, deadline, portfolio and quality verdict, and
for each objective where it stands on one scale (baseline 0, target 1), its status, its probability of
meeting the target, the last step's trend and the year of its last observation.

Nothing is counted or forecast here: the projects and money come from the one portfolio rule
(``services.portfolio``), statuses and probabilities from the monitoring board
(``services.monitoring``), the verdict from the quality check (``services.missions``); the scale and
the trend are the pure rules of ``domain.progress_scale``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from pydantic import JsonValue

from missionboard.domain.missions import OWNING_ROLES, Mission, MissionVersion
from missionboard.domain.progress_scale import (
    Trend,
    direction_of,
    progress_share,
    status_label,
    trend,
)
from missionboard.domain.targets import TargetStatus
from missionboard.monitoring.objectives import ObjectiveStatus
from missionboard.reports.compare import comparison_markdown
from missionboard.services.missions import check_mission, list_missions
from missionboard.services.monitoring import monitor_mission
from missionboard.services.portfolio import mission_portfolio
from missionboard.store.workspace import Workspace

__all__ = ["MissionComparison", "MissionSide", "ObjectiveSide", "OwningBody", "compare_missions"]


@dataclass(frozen=True)
class OwningBody:
    """A body that answers for a mission: an owner or co-owner of its governance."""

    body: str
    role: str
    """``owner`` or ``co-owner``."""

    def to_dict(self) -> dict[str, JsonValue]:
        return {"body": self.body, "role": self.role}


@dataclass(frozen=True)
class ObjectiveSide:
    """One objective on the common scale, as the monitoring board judges it."""

    id: str
    title: str
    unit: str | None
    baseline: float | None
    target: float | None
    target_year: int | None
    latest: float | None
    """The latest observation known on the comparison's date."""
    last_change: int | None
    """The year of that observation."""
    progress: float | None
    """Share of the way from baseline to target: 0 at the baseline, 1 at the target (may leave 0–1)."""
    status: TargetStatus
    probability: float | None
    """P(target met in the target year), from the board's forecast."""
    trend: Trend | None
    """The step from the previous observation to the latest, judged by the objective's direction."""
    owners: tuple[str, ...]
    """The bodies owning or co-owning the objective (governance)."""

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    @property
    def arrow(self) -> str:
        return self.trend.arrow if self.trend is not None else ""

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "id": self.id,
            "title": self.title,
            "unit": self.unit,
            "baseline": self.baseline,
            "target": self.target,
            "target_year": self.target_year,
            "latest": self.latest,
            "last_change": self.last_change,
            "progress": _round(self.progress, 3),
            "status": self.status.value,
            "status_label": self.status_label,
            "probability": _round(self.probability, 3),
            "trend": self.trend.value if self.trend is not None else None,
            "arrow": self.arrow,
            "owners": list(self.owners),
        }


@dataclass(frozen=True)
class MissionSide:
    """One mission of the comparison: who answers for it, its portfolio and its objectives."""

    id: str
    title: str
    status: str
    owner: str
    owners: tuple[OwningBody, ...]
    """Its governance's owners and co-owners; the mission's ``owner`` where it declares none."""
    deadline: dt.date | None
    currency: str | None
    """The reporting currency of its portfolio (the mission's, else the workspace's)."""
    projects: int
    money: float
    portfolio: str
    """The line saying which rule and conversion the figures follow."""
    quality_score: int | None
    quality_verdict: str | None
    objectives: tuple[ObjectiveSide, ...]
    """Weakest first: lowest probability, then those without one, in the mission's order."""

    @property
    def weakest(self) -> float | None:
        """The lowest probability of its objectives (None when none has one)."""
        found = [o.probability for o in self.objectives if o.probability is not None]
        return min(found) if found else None

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "owner": self.owner,
            "owners": [o.to_dict() for o in self.owners],
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "currency": self.currency,
            "projects": self.projects,
            "money": round(self.money, 2),
            "portfolio": self.portfolio,
            "quality_score": self.quality_score,
            "quality_verdict": self.quality_verdict,
            "weakest_probability": _round(self.weakest, 3),
            "objectives": [o.to_dict() for o in self.objectives],
        }


@dataclass(frozen=True)
class MissionComparison:
    """Every mission the caller may see, weakest first."""

    as_of: dt.date
    missions: tuple[MissionSide, ...]

    def to_dict(self) -> dict[str, JsonValue]:
        return {"as_of": self.as_of.isoformat(), "missions": [m.to_dict() for m in self.missions]}

    def to_markdown(self) -> str:
        """The comparison as Markdown, one table per mission (``reports.compare``)."""
        return comparison_markdown(self.to_dict())


def compare_missions(
    workspace: Workspace,
    *,
    visible: Collection[str] | None = None,
    as_of: dt.date | None = None,
    quality: bool = True,
) -> MissionComparison:
    """Every mission of the workspace (only those in ``visible`` where given; None: all) side by side,
    its objectives as the monitoring board judges them on ``as_of`` (default today), sorted by each
    mission's weakest objective first. ``quality=False`` leaves out the quality check's verdict."""
    day = as_of or dt.date.today()
    versions = [v for v in list_missions(workspace) if visible is None or v.mission_id in visible]
    sides = [_side(workspace, version, day, quality) for version in versions]
    return MissionComparison(day, tuple(sorted(sides, key=_weakest_first)))


def _side(workspace: Workspace, version: MissionVersion, day: dt.date, quality: bool) -> MissionSide:
    mission = version.mission
    portfolio = mission_portfolio(workspace, mission.id)
    board = monitor_mission(workspace, mission.id, as_of=day)
    report = check_mission(workspace, mission) if quality else None
    objectives = [_objective(mission, status) for status in board.objectives]
    return MissionSide(
        id=mission.id,
        title=mission.title,
        status=mission.status.value,
        owner=mission.owner,
        owners=_owners(mission),
        deadline=mission.deadline,
        currency=portfolio.currency,
        projects=portfolio.projects,
        money=portfolio.money,
        portfolio=portfolio.line(),
        quality_score=report.score if report else None,
        quality_verdict=report.verdict if report else None,
        objectives=tuple(sorted(objectives, key=_probability_first)),
    )


def _objective(mission: Mission, judged: ObjectiveStatus) -> ObjectiveSide:
    objective = judged.objective
    baseline = objective.baseline.value if objective.baseline else None
    target = objective.target.value if objective.target else None
    latest = judged.latest
    earlier = (
        [v for v in judged.series.values if v.year < latest.year]
        if judged.series is not None and latest is not None
        else []
    )
    previous = max(earlier, key=lambda v: v.year).value if earlier else None
    return ObjectiveSide(
        id=objective.id,
        title=objective.title,
        unit=objective.indicator.unit if objective.indicator else None,
        baseline=baseline,
        target=target,
        target_year=objective.target.year if objective.target else None,
        latest=latest.value if latest else None,
        last_change=latest.year if latest else None,
        progress=progress_share(baseline, target, latest.value if latest else None),
        status=judged.status,
        probability=judged.probability,
        trend=trend(
            previous, latest.value if latest else None, direction_of(objective.direction, baseline, target)
        ),
        owners=tuple(dict.fromkeys(g.body for g in mission.owners_of(objective.id))),
    )


def _owners(mission: Mission) -> tuple[OwningBody, ...]:
    found = dict.fromkeys((g.body, g.role.value) for g in mission.governance if g.role in OWNING_ROLES)
    if not found:
        return (OwningBody(mission.owner, "owner"),)
    return tuple(OwningBody(body, role) for body, role in found)


def _probability_first(objective: ObjectiveSide) -> tuple[bool, float]:
    """Lowest probability first; objectives without one after them, in the mission's order."""
    return (objective.probability is None, objective.probability or 0.0)


def _weakest_first(side: MissionSide) -> tuple[bool, float, str]:
    weakest = side.weakest
    return (weakest is None, weakest if weakest is not None else 0.0, side.title.lower())


def _round(value: float | None, digits: int) -> float | None:
    return round(value, digits) if value is not None else None

"""One objective against its target: path, latest value, status, forecast and probability, as of a date;
and each of its regional targets, judged the same way on the region's own observations."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from missionboard.domain.forecasting import Forecast
from missionboard.domain.missions import Direction, Measure, Mission, Objective, RegionalTarget
from missionboard.domain.targets import (
    Assessment,
    StatusRules,
    TargetStatus,
    assess,
    start_year_of,
    target_path,
)
from missionboard.monitoring.indicators import Series, SeriesValue, series_from, unit_key
from missionboard.store.indicators import IndicatorStore, Observation
from missionboard.store.workspace import Session


def rounded(value: float | None, digits: int = 6) -> float | None:
    """Round to ``digits`` significant digits for display and JSON (None and non-finite → None)."""
    if value is None or not math.isfinite(value):
        return None
    if value == 0:
        return 0.0
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


@dataclass(frozen=True)
class ObjectiveStatus:
    objective: Objective
    assessment: Assessment
    series: Series | None
    latest: SeriesValue | None
    forecast: Forecast | None
    probability: float | None
    """P(target met in the target year), within 1 %–99 %; the status follows from it (domain.targets)."""
    note: str | None = None
    start_year: int | None = None
    """The forecast's break: the mission's start year, else the baseline year."""
    regions: list[RegionalStatus] = field(default_factory=list)
    """Each regional target judged on the region's observations (only where asked for: the board)."""

    @property
    def status(self) -> TargetStatus:
        return self.assessment.status

    def to_dict(self) -> dict[str, Any]:
        o, a = self.objective, self.assessment
        return {
            "objective": o.id,
            "title": o.title,
            "indicator": o.indicator.id if o.indicator else None,
            "unit": o.indicator.unit if o.indicator else None,
            "geography": self.series.geography if self.series else None,
            "baseline": {"value": o.baseline.value, "year": o.baseline.year} if o.baseline else None,
            "target": {"value": o.target.value, "year": o.target.year} if o.target else None,
            "direction": o.direction.value if o.direction else None,
            "path": a.path.kind.value if a.path else None,
            "path_choice": a.path.choice.evidence if a.path and a.path.choice else None,
            "start_year": self.start_year,
            "latest": (
                {
                    "year": self.latest.year,
                    "value": self.latest.value,
                    "source": self.latest.source,
                    "revision": self.latest.revision,
                }
                if self.latest
                else None
            ),
            "expected": rounded(a.expected),
            "gap": rounded(a.gap, 3),
            "status": a.status.value,
            "reason": a.reason if self.note is None else f"{a.reason}; {self.note}",
            "forecast": (
                {k: rounded(v) if isinstance(v, float) else v for k, v in self.forecast.to_dict().items()}
                if self.forecast
                else None
            ),
            "probability": rounded(self.probability, 3),
            "required_acceleration": rounded(a.required_acceleration, 3),
            "observed_rate": rounded(a.observed_rate, 4),
            "required_rate": rounded(a.required_rate, 4),
            "observations": len(self.series.values) if self.series else 0,
        }


REGIONAL_KEYS = (
    "geography",
    "baseline",
    "target",
    "path",
    "path_choice",
    "start_year",
    "latest",
    "expected",
    "gap",
    "status",
    "reason",
    "forecast",
    "probability",
    "required_acceleration",
    "observed_rate",
    "required_rate",
    "observations",
)
"""The keys of a region's entry: the objective's, less those the region shares with it (title,
indicator, unit, direction)."""


@dataclass(frozen=True)
class RegionalStatus:
    """One regional target of an objective, judged as the objective is: ``assessed`` is the objective
    with the region's baseline and target, assessed on the observations of the region's geography."""

    region: str
    assessed: ObjectiveStatus

    @property
    def status(self) -> TargetStatus:
        return self.assessed.status

    def to_dict(self) -> dict[str, Any]:
        entry = self.assessed.to_dict()
        return {"region": self.region, **{key: entry[key] for key in REGIONAL_KEYS}}


def assess_objective(
    session: Session,
    mission: Mission,
    objective: Objective,
    *,
    as_of: dt.date,
    rules: StatusRules | None = None,
    regional: bool = False,
) -> ObjectiveStatus:
    """Status, forecast and probability of one objective using only what was known on ``as_of``; with
    ``regional``, also of each of its regional targets (``ObjectiveStatus.regions``)."""
    path = target_path(objective)
    regions = objective.regional_targets if regional else []
    unmeasured = ObjectiveStatus(objective, assess(None, []), None, None, None, None)
    if objective.indicator is None:
        no_indicator = "the objective has no indicator"
        return _with_regions(
            unmeasured, [_not_judged(objective, r, r.baseline, no_indicator) for r in regions]
        )
    if path is None and not regions:
        return unmeasured
    indicator = objective.indicator
    row = IndicatorStore(session).get(indicator.id)
    if row is not None and unit_key(row.unit) != unit_key(indicator.unit):
        reason = f"the observations of '{indicator.id}' are in {row.unit}, the objective in {indicator.unit}"
        other_unit = Assessment(TargetStatus.NO_DATA, reason, path=path)
        national = (
            unmeasured if path is None else ObjectiveStatus(objective, other_unit, None, None, None, None)
        )
        return _with_regions(national, [_not_judged(objective, r, r.baseline, reason) for r in regions])
    rows = IndicatorStore(session).observations(indicator.id)
    preferred = (row.source if row is not None else None) or indicator.source
    national = unmeasured
    if path is not None:
        series = series_from(
            rows, indicator.id, geography=mission.geography, as_of=as_of, preferred_source=preferred
        )
        national = _judged(mission, objective, series, rules)
    return _with_regions(
        national,
        [
            _assess_region(mission, objective, r, rows, as_of=as_of, rules=rules, preferred_source=preferred)
            for r in regions
        ],
    )


def _judged(
    mission: Mission, objective: Objective, series: Series, rules: StatusRules | None, note: str | None = None
) -> ObjectiveStatus:
    """The status rules, forecast and probability applied to ``series`` (the objective has an indicator,
    a baseline and a target)."""
    points = series.points()
    first = target_path(objective)
    assert first is not None and objective.indicator is not None  # checked by the callers
    start_year = start_year_of(mission.start, first)
    path = target_path(objective, points, start_year=start_year)
    assessment = assess(path, points, rules=rules, start_year=start_year)
    latest = series.values[-1] if series.values else None
    if assessment.latest is not None:
        latest = next(v for v in series.values if float(v.year) == assessment.latest.year)
    if latest is None or assessment.status is TargetStatus.NO_DATA or path is None:
        return ObjectiveStatus(objective, assessment, series, latest, None, None, note, start_year)
    outlook = assessment.forecast
    if outlook is not None:
        lower = 0.0 if all(p.value >= 0 for p in points) else None
        upper = (
            100.0
            if unit_key(objective.indicator.unit) == "percent" and all(p.value <= 100 for p in points)
            else None
        )
        outlook = outlook.clipped(lower, upper)
    return ObjectiveStatus(
        objective, assessment, series, latest, outlook, assessment.probability, note, start_year
    )


def _with_regions(status: ObjectiveStatus, regions: list[RegionalStatus]) -> ObjectiveStatus:
    return dataclasses.replace(status, regions=regions) if regions else status


def _regional_objective(objective: Objective, target: RegionalTarget, baseline: Measure | None) -> Objective:
    """The objective as it stands for one region: the region's baseline and target, the objective's
    indicator, direction and path."""
    return objective.model_copy(
        update={"baseline": baseline, "target": target.target, "regional_targets": []}
    )


def _assess_region(
    mission: Mission,
    objective: Objective,
    target: RegionalTarget,
    rows: Sequence[Observation],
    *,
    as_of: dt.date,
    rules: StatusRules | None,
    preferred_source: str | None,
) -> RegionalStatus:
    """One regional target judged as its objective is, on the observations of the region's geography
    (its name as the mission writes it, case ignored; never another geography's)."""
    assert objective.indicator is not None
    indicator = objective.indicator.id
    series = series_from(
        rows, indicator, geography=target.region, as_of=as_of, preferred_source=preferred_source, exact=True
    )
    if not series.values:
        if any(r.geography == series.geography for r in rows):
            reason = f"no observations of '{indicator}' for the region '{target.region}' known on {as_of}"
        else:
            reason = (
                f"no observations of '{indicator}' for the region '{target.region}' "
                f"(import them with geography '{target.region}')"
            )
        return _not_judged(objective, target, target.baseline, reason, series)
    baseline, note = target.baseline, None
    if baseline is None:
        baseline, why_not = _observed_baseline(objective, target, series)
        if baseline is None:
            return _not_judged(objective, target, None, why_not, series)
        note = f"baseline: the region's value in {baseline.year}, the objective's baseline year"
    regional = _regional_objective(objective, target, baseline)
    return RegionalStatus(target.region, _judged(mission, regional, series, rules, note))


def _not_judged(
    objective: Objective,
    target: RegionalTarget,
    baseline: Measure | None,
    reason: str,
    series: Series | None = None,
) -> RegionalStatus:
    """A region with no data to judge: ``no_data`` and why, against the region's own path."""
    regional = _regional_objective(objective, target, baseline)
    assessment = Assessment(TargetStatus.NO_DATA, reason, path=target_path(regional))
    return RegionalStatus(target.region, ObjectiveStatus(regional, assessment, series, None, None, None))


def _observed_baseline(
    objective: Objective, target: RegionalTarget, series: Series
) -> tuple[Measure | None, str]:
    """A regional target without a baseline starts from the region's observed value in the objective's
    baseline year; or None, with the reason it cannot."""
    if objective.baseline is None:
        return None, "neither the regional target nor the objective has a baseline"
    year = objective.baseline.year
    found = next((v for v in series.values if v.year == year), None)
    if found is None:
        return None, (
            f"the regional target has no baseline and the region '{target.region}' has no observation "
            f"in {year}, the objective's baseline year"
        )
    if target.target.year <= year:
        return None, f"the regional target year {target.target.year} is not after the baseline year {year}"
    to_go = target.target.value - found.value
    if objective.direction is Direction.DECREASE:
        to_go = -to_go
    if objective.direction is None or to_go <= 0:
        return None, (
            f"the region's value in {year} ({found.value:g}) is already at or past its target "
            f"({target.target.value:g}): give the regional target a baseline"
        )
    return Measure(value=found.value, year=year), ""

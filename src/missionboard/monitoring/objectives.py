"""One objective against its target: path, latest value, status, forecast and probability, as of a date."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from missionboard.domain.forecasting import Forecast
from missionboard.domain.missions import Mission, Objective
from missionboard.domain.targets import (
    Assessment,
    StatusRules,
    TargetStatus,
    assess,
    start_year_of,
    target_path,
)
from missionboard.monitoring.indicators import Series, SeriesValue, load_series, unit_key
from missionboard.store.indicators import IndicatorStore
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


def assess_objective(
    session: Session,
    mission: Mission,
    objective: Objective,
    *,
    as_of: dt.date,
    rules: StatusRules | None = None,
) -> ObjectiveStatus:
    """Status, forecast and probability of one objective using only what was known on ``as_of``."""
    path = target_path(objective)
    if objective.indicator is None or path is None:
        return ObjectiveStatus(objective, assess(None, []), None, None, None, None)
    indicator = objective.indicator
    row = IndicatorStore(session).get(indicator.id)
    if row is not None and unit_key(row.unit) != unit_key(indicator.unit):
        return ObjectiveStatus(
            objective,
            Assessment(
                TargetStatus.NO_DATA,
                f"the observations of '{indicator.id}' are in {row.unit}, the objective in {indicator.unit}",
                path=path,
            ),
            None,
            None,
            None,
            None,
        )
    series = load_series(
        session,
        indicator.id,
        geography=mission.geography,
        as_of=as_of,
        preferred_source=(row.source if row is not None else None) or indicator.source,
    )
    points = series.points()
    start_year = start_year_of(mission.start, path)
    path = target_path(objective, points, start_year=start_year)
    assessment = assess(path, points, rules=rules, start_year=start_year)
    latest = series.values[-1] if series.values else None
    if assessment.latest is not None:
        latest = next(v for v in series.values if float(v.year) == assessment.latest.year)
    if latest is None or assessment.status is TargetStatus.NO_DATA or path is None:
        return ObjectiveStatus(objective, assessment, series, latest, None, None, start_year=start_year)
    outlook = assessment.forecast
    if outlook is not None:
        lower = 0.0 if all(p.value >= 0 for p in points) else None
        upper = (
            100.0 if unit_key(indicator.unit) == "percent" and all(p.value <= 100 for p in points) else None
        )
        outlook = outlook.clipped(lower, upper)
    return ObjectiveStatus(
        objective, assessment, series, latest, outlook, assessment.probability, start_year=start_year
    )

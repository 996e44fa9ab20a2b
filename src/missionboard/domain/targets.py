"""Target paths and status rules: is an objective where it should be by now? Pure functions, no I/O.

The **required path** runs from the baseline (value, year) to the target (value, year):

* ``linear`` — the same absolute change every year;
* ``compound`` — the same *relative* change every year (a constant annual rate, e.g. "−4 % a year"); it
  needs a positive baseline and target.

The mission may declare an objective's ``path:``; otherwise the path is the scale that fits the observed
series better (:func:`missionboard.domain.forecasting.choose_scale`: leave-one-out one-step error of a
linear and a compound trend; the unit never decides), and the forecast uses the same scale. The choice
is carried as evidence ("compound chosen: one-step error 0.8 % compound vs 2.3 % linear …").

The **gap** is how far the latest observation is from the path in the latest observation's year, as a
share of the whole distance from baseline to target; positive means ahead of the path, negative behind.

**Status** (checked in this order; thresholds in :class:`StatusRules`):

1. ``no_data`` — the objective has no indicator, baseline or target, or no observation after the
   baseline year.
2. ``achieved`` — the latest observation has reached the target (≥ for increase, ≤ for decrease).
3. ``off_track`` — the target year has passed without reaching it.
4. From the forecast's probability P of meeting the target in the target year (the forecast of
   :mod:`missionboard.domain.forecasting`, break at the mission start, P shown within 1 %–99 %):
   ``on_track`` when P ≥ ``on_track_probability`` (0.6), ``at_risk`` when P ≥ ``at_risk_probability``
   (0.3), ``off_track`` below. Status and probability therefore never contradict each other.
5. Only when there are too few observations for a forecast (fewer than three): by the gap —
   ``off_track`` more than ``off_track_gap`` (20 %) of the distance behind the path, ``at_risk`` more
   than ``on_track_gap`` (5 %) behind, ``on_track`` otherwise.

The **required acceleration** is the rate needed from the latest observation to the target by the
target year, divided by the forecast's trend, in the path's metric (units per year for linear, percent
per year for compound). 1.0 means "keep going as you are"; 2.0 "twice as fast"; 0 when achieved;
``None`` when the trend is flat or moving away (no finite acceleration reaches the target).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from missionboard.domain.forecasting import (
    Forecast,
    PathKind,
    Point,
    ScaleChoice,
    calibrated,
    choose_scale,
    forecast,
)
from missionboard.domain.missions import Direction, Objective

__all__ = [
    "Assessment",
    "PathKind",
    "Point",
    "StatusRules",
    "TargetPath",
    "TargetStatus",
    "assess",
    "required_acceleration",
    "start_year_of",
    "status_for_probability",
    "target_path",
]


class TargetStatus(StrEnum):
    ACHIEVED = "achieved"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    NO_DATA = "no_data"


@dataclass(frozen=True)
class TargetPath:
    """The required path from (baseline_year, baseline) to (target_year, target)."""

    baseline: float
    baseline_year: int
    target: float
    target_year: int
    kind: PathKind
    choice: ScaleChoice | None = field(default=None, compare=False)
    """Why this kind: declared in the mission, or which fit the observed series better."""

    def __post_init__(self) -> None:
        if self.target_year <= self.baseline_year:
            raise ValueError("the target year must come after the baseline year")
        if self.kind is PathKind.COMPOUND and (self.baseline <= 0 or self.target <= 0):
            raise ValueError("a compound path needs a positive baseline and target")

    @property
    def direction(self) -> Direction | None:
        if self.target > self.baseline:
            return Direction.INCREASE
        if self.target < self.baseline:
            return Direction.DECREASE
        return None

    @property
    def annual_rate(self) -> float:
        """Units per year (linear) or relative change per year (compound, 0.04 = +4 %)."""
        years = self.target_year - self.baseline_year
        if self.kind is PathKind.COMPOUND:
            return float((self.target / self.baseline) ** (1 / years) - 1)
        return (self.target - self.baseline) / years

    def value_at(self, year: float) -> float:
        """The value the path requires in ``year`` (clamped to the target after the target year)."""
        t = min(max(year, self.baseline_year), self.target_year) - self.baseline_year
        share = t / (self.target_year - self.baseline_year)
        if self.kind is PathKind.COMPOUND:
            return float(self.baseline * (self.target / self.baseline) ** share)
        return self.baseline + (self.target - self.baseline) * share

    def gap(self, year: float, value: float) -> float:
        """Distance from the path as a share of baseline→target; > 0 ahead, < 0 behind."""
        distance = self.target - self.baseline
        if distance == 0:
            return 0.0
        return (value - self.value_at(year)) / distance

    def reached(self, value: float) -> bool:
        if self.direction is Direction.DECREASE:
            return value <= self.target
        return value >= self.target


@dataclass(frozen=True)
class StatusRules:
    """Thresholds of the status rules: on the probability of meeting the target, and (only without a
    forecast) on the gap as shares of the baseline→target distance."""

    on_track_gap: float = 0.05
    off_track_gap: float = 0.20
    max_acceleration: float = 1.5
    """Kept for rules files written before the probability rule; no longer used."""
    trend_years: int = 5
    """Without a forecast, the observed pace is the trend of the last ``trend_years`` years."""
    on_track_probability: float = 0.6
    at_risk_probability: float = 0.3

    def __post_init__(self) -> None:
        if not 0 < self.at_risk_probability <= self.on_track_probability < 1:
            raise ValueError("need 0 < at_risk_probability ≤ on_track_probability < 1")
        if not 0 <= self.on_track_gap <= self.off_track_gap:
            raise ValueError("need 0 ≤ on_track_gap ≤ off_track_gap")
        if self.max_acceleration <= 0:
            raise ValueError("max_acceleration must be positive")
        if self.trend_years < 2:
            raise ValueError("trend_years must be at least 2")


@dataclass(frozen=True)
class Assessment:
    """Where an objective stands against its path, with the numbers behind the status."""

    status: TargetStatus
    reason: str
    path: TargetPath | None = None
    latest: Point | None = None
    expected: float | None = None
    gap: float | None = None
    observed_rate: float | None = None
    required_rate: float | None = None
    required_acceleration: float | None = None
    forecast: Forecast | None = None
    probability: float | None = None
    """P(target met in the target year) under the forecast, within 1 %–99 % (None without a forecast)."""


def status_for_probability(probability: float, rules: StatusRules | None = None) -> TargetStatus:
    """The one rule from probability to status: on track from 0.6, at risk from 0.3, off track below."""
    rules = rules or StatusRules()
    if probability >= rules.on_track_probability:
        return TargetStatus.ON_TRACK
    if probability >= rules.at_risk_probability:
        return TargetStatus.AT_RISK
    return TargetStatus.OFF_TRACK


def observed_rate(points: Sequence[Point], kind: PathKind) -> float | None:
    """Least-squares trend per year: units/year (linear) or relative change/year (compound).

    ``None`` with fewer than two distinct years (or a non-positive value on a compound path).
    """
    if len({p.year for p in points}) < 2:
        return None
    if kind is PathKind.COMPOUND:
        if any(p.value <= 0 for p in points):
            return None
        ys = [math.log(p.value) for p in points]
    else:
        ys = [p.value for p in points]
    xs = [p.year for p in points]
    mean_x = sum(xs) / len(xs)
    mean_y = sum(ys) / len(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    return math.expm1(slope) if kind is PathKind.COMPOUND else slope


def required_rate(path: TargetPath, latest: Point) -> float | None:
    """The rate needed from the latest observation to reach the target by the target year."""
    years = path.target_year - latest.year
    if years <= 0:
        return None
    if path.kind is PathKind.COMPOUND:
        if latest.value <= 0:
            return None
        return float((path.target / latest.value) ** (1 / years) - 1)
    return (path.target - latest.value) / years


def required_acceleration(required: float | None, observed: float | None, path: TargetPath) -> float | None:
    """Needed rate ÷ observed rate, both measured towards the target; None if no finite ratio exists."""
    if required is None or observed is None:
        return None
    sign = -1.0 if path.direction is Direction.DECREASE else 1.0
    need, seen = required * sign, observed * sign
    if need <= 0:
        return 0.0
    if seen <= 0:
        return None
    return need / seen


def target_path(
    objective: Objective, points: Sequence[Point] = (), *, start_year: float | None = None
) -> TargetPath | None:
    """The objective's required path, or None when baseline or target is missing.

    Its kind is the objective's declared ``path``, else the scale that fits ``points`` better
    (:func:`~missionboard.domain.forecasting.choose_scale`); compound needs a positive baseline and target.
    """
    if objective.baseline is None or objective.target is None:
        return None
    declared = PathKind(objective.path) if objective.path else None
    choice = choose_scale(points, declared=declared, start_year=start_year)
    if choice.kind is PathKind.COMPOUND and min(objective.baseline.value, objective.target.value) <= 0:
        choice = ScaleChoice(PathKind.LINEAR, reason="a compound path needs a positive baseline and target")
    return TargetPath(
        baseline=objective.baseline.value,
        baseline_year=objective.baseline.year,
        target=objective.target.value,
        target_year=objective.target.year,
        kind=choice.kind,
        choice=choice,
    )


def start_year_of(mission_start: dt.date | None, path: TargetPath) -> int:
    """Where the forecast's break lies: the mission's start year, else the objective's baseline year."""
    return mission_start.year if mission_start is not None else path.baseline_year


def assess(
    path: TargetPath | None,
    points: Sequence[Point],
    *,
    as_of_year: float | None = None,
    rules: StatusRules | None = None,
    start_year: float | None = None,
) -> Assessment:
    """Apply the status rules (see the module docstring) to the observations known at ``as_of_year``.

    ``start_year`` is the mission's start (the forecast's break); None means the baseline year.
    """
    rules = rules or StatusRules()
    if path is None:
        return Assessment(TargetStatus.NO_DATA, "the objective has no indicator, baseline or target")
    known = sorted(
        (p for p in points if as_of_year is None or p.year <= as_of_year),
        key=lambda p: p.year,
    )
    after_baseline = [p for p in known if p.year > path.baseline_year]
    if not after_baseline:
        return Assessment(
            TargetStatus.NO_DATA, f"no observation after the baseline year {path.baseline_year}", path=path
        )
    latest = after_baseline[-1]
    known = [p for p in known if p.year <= latest.year]
    expected = path.value_at(latest.year)
    gap = path.gap(latest.year, latest.value)
    start = path.baseline_year if start_year is None else start_year
    log_scale = path.kind is PathKind.COMPOUND and all(p.value > 0 for p in known)
    outlook = forecast(known, path.target_year, log_scale=log_scale, start_year=start)
    if outlook is not None:
        observed: float | None = math.expm1(outlook.drift) if log_scale else outlook.drift
        if path.kind is PathKind.COMPOUND and not log_scale:
            observed = None
    else:
        observed = _recent_rate(path, known, latest, rules)
    needed = required_rate(path, latest)
    acceleration = required_acceleration(needed, observed, path)
    probability = calibrated(outlook.probability(path.target, path.direction)) if outlook else None

    def result(status: TargetStatus, reason: str) -> Assessment:
        return Assessment(
            status, reason, path, latest, expected, gap, observed, needed, acceleration, outlook, probability
        )

    if abs(gap) < 0.005:
        behind = "on the path"
    elif gap < 0:
        behind = f"{-gap:.0%} of the distance behind the path"
    else:
        behind = f"{gap:.0%} of the distance ahead of the path"

    if path.reached(latest.value):
        return result(TargetStatus.ACHIEVED, f"target reached in {latest.year:g}")
    if latest.year >= path.target_year:
        return result(
            TargetStatus.OFF_TRACK,
            f"target year {path.target_year} reached without meeting the target",
        )
    if outlook is not None and probability is not None:
        status = status_for_probability(probability, rules)
        return result(
            status,
            f"P(target met in {path.target_year}) {probability:.0%} on the {outlook.basis}; {behind}",
        )
    too_few = f"too few observations for a forecast, judged by the gap: {behind}"
    if gap < -rules.off_track_gap:
        return result(TargetStatus.OFF_TRACK, too_few)
    if gap < -rules.on_track_gap:
        return result(TargetStatus.AT_RISK, too_few)
    return result(TargetStatus.ON_TRACK, too_few)


def _recent_rate(path: TargetPath, known: Sequence[Point], latest: Point, rules: StatusRules) -> float | None:
    """Without a forecast: the least-squares trend of the last ``trend_years`` years and the baseline."""
    trend_points = [p for p in known if p.year >= path.baseline_year]
    if not any(p.year == path.baseline_year for p in trend_points):
        trend_points.insert(0, Point(float(path.baseline_year), path.baseline))
    recent = [p for p in trend_points if p.year > latest.year - rules.trend_years]
    return observed_rate(recent if len(recent) >= 2 else trend_points[-2:], path.kind)

"""Target paths and status rules: is an objective where it should be by now? Pure functions, no I/O.

The **required path** runs from the baseline (value, year) to the target (value, year):

* ``linear`` — the same absolute change every year. Used for bounded shares and rates (percent, ratios,
  indices, scores …) where a fixed number of points per year is the natural reading, and whenever a
  constant rate is undefined (a zero or negative baseline or target).
* ``compound`` — the same *relative* change every year (a constant annual rate, e.g. "−4 % a year").
  Used for absolute quantities that grow or shrink proportionally: emissions and other masses (tonnes,
  kt, Mt …), energy, money, counts of people or things. It needs a positive baseline and target.

The **gap** is how far the latest observation is from the path in the latest observation's year, as a
share of the whole distance from baseline to target; positive means ahead of the path, negative behind.

**Status** (checked in this order; thresholds in :class:`StatusRules`):

1. ``no_data`` — the objective has no indicator, baseline or target, or no observation after the
   baseline year.
2. ``achieved`` — the latest observation has reached the target (≥ for increase, ≤ for decrease).
3. ``off_track`` — the target year has passed without reaching it, or the gap is below
   ``-off_track_gap`` (default: more than 20 % of the distance behind the path).
4. ``at_risk`` — the gap is below ``-on_track_gap`` (default: more than 5 % of the distance behind),
   or the observed trend would not keep up: the required acceleration is above ``max_acceleration``
   (default 1.5) or undefined because the trend is flat or moving away from the target.
5. ``on_track`` — otherwise: at most 5 % of the distance behind the path, and the observed trend is
   fast enough.

The **required acceleration** is the rate needed from the latest observation to the target by the
target year, divided by the rate observed recently: the least-squares trend over the observations (and
the baseline) of the last ``trend_years`` years (default 5; at least the last two points), in the path's
metric — units per year for linear, percent per year for compound.
1.0 means "keep going as you are"; 2.0 "twice as fast"; 0 when achieved; ``None`` when the observed
trend is flat or moving away (no finite acceleration reaches the target).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from missionboard.domain.missions import Direction, Objective


class PathKind(StrEnum):
    LINEAR = "linear"
    COMPOUND = "compound"


class TargetStatus(StrEnum):
    ACHIEVED = "achieved"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    NO_DATA = "no_data"


# Units whose natural path is a constant annual rate (lower-cased, compared after stripping spaces).
COMPOUND_UNITS: frozenset[str] = frozenset(
    {
        "t",
        "tonnes",
        "tons",
        "tonne",
        "kt",
        "mt",
        "gt",
        "tonnes_m",
        "tco2",
        "tco2e",
        "ktco2e",
        "mtco2e",
        "gtco2e",
        "kg",
        "kwh",
        "mwh",
        "gwh",
        "twh",
        "tj",
        "pj",
        "eur",
        "usd",
        "sek",
        "gbp",
        "con_usd",
        "cur_lcu",
        "number",
        "count",
        "people",
        "persons",
        "households",
        "deaths",
        "cases",
        "vehicles",
    }
)
COMPOUND_UNIT_WORDS: tuple[str, ...] = ("tonne", "co2", "emission", "million", "thousand", "number of")


def path_kind_for(unit: str | None, baseline: float, target: float) -> PathKind:
    """Compound for absolute quantities with positive baseline and target; linear otherwise."""
    if baseline <= 0 or target <= 0 or unit is None:
        return PathKind.LINEAR
    key = unit.strip().lower()
    if "%" in key or "/" in key or "percent" in key or "share" in key or "rate" in key or "per " in key:
        return PathKind.LINEAR
    if key.replace(" ", "") in COMPOUND_UNITS or any(word in key for word in COMPOUND_UNIT_WORDS):
        return PathKind.COMPOUND
    return PathKind.LINEAR


@dataclass(frozen=True)
class TargetPath:
    """The required path from (baseline_year, baseline) to (target_year, target)."""

    baseline: float
    baseline_year: int
    target: float
    target_year: int
    kind: PathKind

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
    """Thresholds of the status rules, as shares of the baseline→target distance."""

    on_track_gap: float = 0.05
    off_track_gap: float = 0.20
    max_acceleration: float = 1.5
    trend_years: int = 5

    def __post_init__(self) -> None:
        if not 0 <= self.on_track_gap <= self.off_track_gap:
            raise ValueError("need 0 ≤ on_track_gap ≤ off_track_gap")
        if self.max_acceleration <= 0:
            raise ValueError("max_acceleration must be positive")
        if self.trend_years < 2:
            raise ValueError("trend_years must be at least 2")


@dataclass(frozen=True)
class Point:
    """One observed value of the series in a (possibly fractional) year."""

    year: float
    value: float


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


def target_path(objective: Objective) -> TargetPath | None:
    """The objective's required path, or None when indicator, baseline or target is missing."""
    if objective.baseline is None or objective.target is None:
        return None
    unit = objective.indicator.unit if objective.indicator else None
    kind = path_kind_for(unit, objective.baseline.value, objective.target.value)
    return TargetPath(
        baseline=objective.baseline.value,
        baseline_year=objective.baseline.year,
        target=objective.target.value,
        target_year=objective.target.year,
        kind=kind,
    )


def assess(
    path: TargetPath | None,
    points: Sequence[Point],
    *,
    as_of_year: float | None = None,
    rules: StatusRules | None = None,
) -> Assessment:
    """Apply the status rules (see the module docstring) to the observations known at ``as_of_year``."""
    rules = rules or StatusRules()
    if path is None:
        return Assessment(TargetStatus.NO_DATA, "the objective has no indicator, baseline or target")
    known = sorted(
        (p for p in points if as_of_year is None or p.year <= as_of_year),
        key=lambda p: p.year,
    )
    since_baseline = [p for p in known if p.year >= path.baseline_year]
    after_baseline = [p for p in since_baseline if p.year > path.baseline_year]
    if not after_baseline:
        return Assessment(
            TargetStatus.NO_DATA, f"no observation after the baseline year {path.baseline_year}", path=path
        )
    latest = after_baseline[-1]
    expected = path.value_at(latest.year)
    gap = path.gap(latest.year, latest.value)
    trend_points = list(since_baseline)
    if not any(p.year == path.baseline_year for p in trend_points):
        trend_points.insert(0, Point(float(path.baseline_year), path.baseline))
    recent = [p for p in trend_points if p.year > latest.year - rules.trend_years]
    observed = observed_rate(recent if len(recent) >= 2 else trend_points[-2:], path.kind)
    needed = required_rate(path, latest)
    acceleration = required_acceleration(needed, observed, path)

    def result(status: TargetStatus, reason: str) -> Assessment:
        return Assessment(status, reason, path, latest, expected, gap, observed, needed, acceleration)

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
    if gap < -rules.off_track_gap:
        return result(TargetStatus.OFF_TRACK, behind)
    if gap < -rules.on_track_gap:
        return result(TargetStatus.AT_RISK, behind)
    if acceleration is None:
        return result(
            TargetStatus.AT_RISK,
            f"{behind}, but the observed trend is flat or moving away from the target",
        )
    if acceleration > rules.max_acceleration:
        return result(
            TargetStatus.AT_RISK,
            f"{behind}, but progress must be {acceleration:.1f}× faster than observed",
        )
    return result(TargetStatus.ON_TRACK, behind)

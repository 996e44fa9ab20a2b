"""Target paths, gaps, status boundaries and required acceleration (pure rules in domain.targets)."""

from __future__ import annotations

import math

import pytest

from missionboard.domain.missions import Objective
from missionboard.domain.targets import (
    PathKind,
    Point,
    StatusRules,
    TargetPath,
    TargetStatus,
    assess,
    required_acceleration,
    target_path,
)

LINEAR_UP = TargetPath(baseline=0.0, baseline_year=2020, target=100.0, target_year=2030, kind=PathKind.LINEAR)
LINEAR_DOWN = TargetPath(
    baseline=100.0, baseline_year=2020, target=50.0, target_year=2030, kind=PathKind.LINEAR
)


def on_path_with_gap(path: TargetPath, year: int, gap: float) -> list[Point]:
    """A steady series that ends `gap` (share of the distance) away from the path in `year`."""
    end = path.value_at(year) + gap * (path.target - path.baseline)
    start = path.baseline
    return [
        Point(float(y), start + (end - start) * (y - path.baseline_year) / (year - path.baseline_year))
        for y in range(path.baseline_year, year + 1)
    ]


def test_linear_path_moves_the_same_amount_every_year() -> None:
    assert LINEAR_UP.value_at(2025) == 50
    assert LINEAR_UP.annual_rate == 10
    assert LINEAR_UP.value_at(2040) == 100  # clamped after the target year


def test_compound_path_moves_by_the_same_rate_every_year() -> None:
    path = TargetPath(100.0, 2020, 25.0, 2030, PathKind.COMPOUND)
    assert path.value_at(2025) == pytest.approx(50.0)
    assert path.annual_rate == pytest.approx(0.25**0.1 - 1)


@pytest.mark.parametrize(
    ("gap", "status"),
    [
        (0.10, TargetStatus.ON_TRACK),
        (0.0, TargetStatus.ON_TRACK),
        (-0.05, TargetStatus.ON_TRACK),
        (-0.0501, TargetStatus.AT_RISK),
        (-0.20, TargetStatus.AT_RISK),
        (-0.2001, TargetStatus.OFF_TRACK),
    ],
)
@pytest.mark.parametrize("path", [LINEAR_UP, LINEAR_DOWN], ids=["increase", "decrease"])
def test_without_enough_points_for_a_forecast_the_status_follows_the_gap(
    path: TargetPath, gap: float, status: TargetStatus
) -> None:
    points = on_path_with_gap(path, 2025, gap)
    result = assess(path, [points[0], points[-1]])  # two points: too few for a forecast
    assert result.forecast is None
    assert result.gap == pytest.approx(gap)
    assert result.status is status


def test_reaching_the_target_is_achieved_in_both_directions() -> None:
    assert assess(LINEAR_UP, [Point(2024, 100.0)]).status is TargetStatus.ACHIEVED
    assert assess(LINEAR_DOWN, [Point(2024, 49.0)]).status is TargetStatus.ACHIEVED
    assert assess(LINEAR_DOWN, [Point(2024, 51.0)]).status is not TargetStatus.ACHIEVED


def test_no_observation_after_the_baseline_year_is_no_data() -> None:
    assert assess(LINEAR_UP, []).status is TargetStatus.NO_DATA
    assert assess(LINEAR_UP, [Point(2019, 5.0), Point(2020, 0.0)]).status is TargetStatus.NO_DATA
    assert assess(None, [Point(2024, 1.0)]).status is TargetStatus.NO_DATA


def test_observations_after_the_as_of_year_are_ignored() -> None:
    points = [Point(2021, 10.0), Point(2022, 20.0), Point(2023, 0.0)]
    assert assess(LINEAR_UP, points, as_of_year=2022).latest == Point(2022, 20.0)


def test_passing_the_target_year_without_the_target_is_off_track() -> None:
    result = assess(LINEAR_UP, on_path_with_gap(LINEAR_UP, 2030, -0.01))
    assert result.status is TargetStatus.OFF_TRACK
    assert "target year" in result.reason


def test_on_the_path_but_flat_for_years_is_off_track_by_its_forecast() -> None:
    # a jump early, then flat for five years: the position is fine, the forecast is not
    points = [Point(float(y), 50.0) for y in range(2021, 2026)]
    result = assess(LINEAR_UP, points)
    assert result.gap is not None and result.gap >= 0
    assert result.status is TargetStatus.OFF_TRACK
    assert result.probability == 0.01  # the lowest probability the backtest supports
    assert result.observed_rate == 0
    assert result.required_acceleration is None  # no finite acceleration of a flat trend reaches it


def test_required_acceleration_is_needed_rate_over_observed_rate() -> None:
    points = [Point(float(y), 5.0 * (y - 2020)) for y in range(2021, 2026)]  # 5 a year, need 10 then 15
    result = assess(LINEAR_UP, points)
    assert result.observed_rate == pytest.approx(5.0)
    assert result.required_rate == pytest.approx(15.0)  # 75 to go in 5 years
    assert result.required_acceleration == pytest.approx(3.0)
    assert result.status is TargetStatus.OFF_TRACK


def test_acceleration_is_undefined_when_the_trend_moves_away_and_zero_when_achieved() -> None:
    assert required_acceleration(10.0, -2.0, LINEAR_UP) is None
    assert required_acceleration(-10.0, 2.0, LINEAR_DOWN) is None
    assert required_acceleration(-5.0, 3.0, LINEAR_UP) == 0.0


def test_a_decreasing_compound_objective_ahead_of_its_path_is_on_track() -> None:
    objective = Objective.model_validate(
        {
            "id": "co2",
            "title": "Cut CO2",
            "indicator": {"id": "co2", "name": "CO2", "unit": "Mt"},
            "baseline": {"value": 100, "year": 2015},
            "target": {"value": 50, "year": 2030},
        }
    )
    rate = 0.5 ** (1 / 12)  # halves by 2027, three years early
    points = [Point(float(y), 100 * rate ** (y - 2015)) for y in range(2015, 2024)]
    path = target_path(objective, points)
    assert path is not None and path.kind is PathKind.COMPOUND
    result = assess(path, points)
    assert result.status is TargetStatus.ON_TRACK
    assert result.probability is not None and result.probability >= 0.6
    assert result.required_acceleration is not None and result.required_acceleration < 1
    assert math.isclose(result.observed_rate or 0, rate - 1, rel_tol=1e-6)


def test_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValueError):
        StatusRules(on_track_gap=0.3, off_track_gap=0.2)
    with pytest.raises(ValueError):
        StatusRules(on_track_probability=0.3, at_risk_probability=0.6)

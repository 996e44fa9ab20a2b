"""Forecasts: known trends are recovered, intervals are honest, probabilities follow the target."""

from __future__ import annotations

import numpy as np
import pytest

from missionboard.domain.missions import Direction
from missionboard.domain.targets import Point
from missionboard.monitoring.forecast import fit, forecast


def noisy_walk(drift: float, sigma: float, years: int, seed: int, start: float = 100.0) -> list[Point]:
    rng = np.random.default_rng(seed)
    values = start + np.cumsum(drift + sigma * rng.standard_normal(years))
    return [Point(float(2000 + i), float(v)) for i, v in enumerate(values)]


def test_an_exact_linear_trend_is_extrapolated_exactly() -> None:
    points = [Point(float(y), 3.0 * (y - 2010) + 5) for y in range(2010, 2021)]
    result = forecast(points, 2030)
    assert result is not None
    assert result.value == pytest.approx(65.0)
    assert result.low == pytest.approx(65.0) and result.high == pytest.approx(65.0)


def test_a_constant_rate_of_decline_is_extrapolated_on_the_log_scale() -> None:
    points = [Point(float(y), 100 * 0.95 ** (y - 2010)) for y in range(2010, 2021)]
    result = forecast(points, 2030, log_scale=True)
    assert result is not None
    assert result.value == pytest.approx(100 * 0.95**20)


def test_the_drift_of_a_noisy_series_is_recovered() -> None:
    model = fit(noisy_walk(drift=2.0, sigma=0.5, years=200, seed=1))
    assert model is not None
    assert model.drift == pytest.approx(2.0, abs=0.1)
    assert model.sigma == pytest.approx(0.5, rel=0.15)


def test_the_interval_is_wider_further_ahead_and_contains_the_forecast() -> None:
    points = noisy_walk(drift=1.0, sigma=2.0, years=15, seed=3)
    near, far = forecast(points, 2016), forecast(points, 2025)
    assert near is not None and far is not None
    assert near.low < near.value < near.high
    assert (far.high - far.low) > (near.high - near.low)


def test_80_percent_intervals_cover_about_80_percent_of_simulated_outcomes() -> None:
    covered = 0
    trials = 400
    for trial in range(trials):
        series = noisy_walk(drift=0.5, sigma=1.0, years=20, seed=trial)
        result = forecast(series[:15], 2019)
        assert result is not None
        covered += result.low <= series[19].value <= result.high
    assert 0.72 <= covered / trials <= 0.88, covered / trials


def test_probability_of_meeting_the_target_follows_the_direction() -> None:
    result = forecast(noisy_walk(drift=1.0, sigma=1.0, years=15, seed=5), 2030)
    assert result is not None
    easy, hard = result.value - 10, result.value + 10
    assert result.probability(easy, Direction.INCREASE) > 0.8
    assert result.probability(hard, Direction.INCREASE) < 0.2
    assert result.probability(result.value, Direction.INCREASE) == pytest.approx(0.5)
    assert result.probability(hard, Direction.DECREASE) == pytest.approx(
        1 - result.probability(hard, Direction.INCREASE)
    )


def test_too_short_a_series_or_a_past_year_gives_no_forecast() -> None:
    assert forecast([Point(2020.0, 1.0), Point(2021.0, 2.0)], 2030) is None
    assert forecast([Point(float(y), y) for y in range(2015, 2021)], 2020) is None


def test_gaps_between_years_count_as_several_steps() -> None:
    points = [Point(2010.0, 0.0), Point(2012.0, 4.0), Point(2013.0, 6.0), Point(2016.0, 12.0)]
    result = forecast(points, 2020)
    assert result is not None
    assert result.value == pytest.approx(20.0)


def test_clipping_keeps_a_share_within_0_and_100_but_not_the_probability() -> None:
    points = [
        Point(float(y), v)
        for y, v in zip(range(2010, 2020), [90, 93, 91, 95, 96, 94, 97, 98, 97, 99], strict=True)
    ]
    raw = forecast(points, 2030)
    assert raw is not None and raw.high > 100
    shown = raw.clipped(0.0, 100.0)
    assert shown.high == 100 and shown.low == raw.low
    assert shown.probability(100, Direction.INCREASE) == raw.probability(100, Direction.INCREASE)

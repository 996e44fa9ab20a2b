"""Status follows from the probability by one rule, so status and probability never contradict."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from missionboard.domain.forecasting import PROBABILITY_CEILING, PROBABILITY_FLOOR, calibrated
from missionboard.domain.targets import (
    PathKind,
    Point,
    StatusRules,
    TargetPath,
    TargetStatus,
    assess,
    status_for_probability,
)

FORECAST_STATUSES = {TargetStatus.ON_TRACK, TargetStatus.AT_RISK, TargetStatus.OFF_TRACK}


@pytest.mark.parametrize(
    ("probability", "status"),
    [
        (0.99, TargetStatus.ON_TRACK),
        (0.6, TargetStatus.ON_TRACK),
        (0.5999, TargetStatus.AT_RISK),
        (0.3, TargetStatus.AT_RISK),
        (0.2999, TargetStatus.OFF_TRACK),
        (0.01, TargetStatus.OFF_TRACK),
    ],
)
def test_on_track_from_0_6_at_risk_from_0_3_off_track_below(probability: float, status: TargetStatus) -> None:
    assert status_for_probability(probability) is status


def test_the_thresholds_come_from_the_status_rules() -> None:
    strict = StatusRules(on_track_probability=0.9, at_risk_probability=0.5)
    assert status_for_probability(0.8, strict) is TargetStatus.AT_RISK
    assert status_for_probability(0.4, strict) is TargetStatus.OFF_TRACK


@pytest.mark.parametrize("raw", [0.0, 1e-12, 3.7e-10, 0.5, 1 - 1e-12, 1.0])
def test_no_probability_shown_is_more_extreme_than_1_to_99_percent(raw: float) -> None:
    shown = calibrated(raw)
    assert shown is not None
    assert PROBABILITY_FLOOR <= shown <= PROBABILITY_CEILING


def test_the_calibration_is_monotonic() -> None:
    raws = np.linspace(0.001, 0.999, 200)
    shown = [calibrated(float(r)) for r in raws]
    assert all(a is not None and b is not None and a <= b for a, b in itertools.pairwise(shown))


@settings(max_examples=200, deadline=None)
@given(
    drift=st.floats(-20, 20),
    noise=st.floats(0, 15),
    years=st.integers(3, 25),
    seed=st.integers(0, 2**16),
    target=st.floats(10, 1000),
    start=st.integers(1995, 2024),
    compound=st.booleans(),
)
def test_status_and_probability_agree_for_any_series(
    drift: float, noise: float, years: int, seed: int, target: float, start: int, compound: bool
) -> None:
    rng = np.random.default_rng(seed)
    values = 500 + np.cumsum(drift + noise * rng.standard_normal(years))
    points = [Point(float(2024 - years + 1 + i), float(v)) for i, v in enumerate(values)]
    baseline_year = int(points[0].year)
    kind = PathKind.COMPOUND if compound and target > 0 and points[0].value > 0 else PathKind.LINEAR
    path = TargetPath(points[0].value, baseline_year, target, 2030, kind)
    result = assess(path, points, start_year=start)
    if result.probability is not None:
        assert PROBABILITY_FLOOR <= result.probability <= PROBABILITY_CEILING
    if result.status in FORECAST_STATUSES and result.forecast is not None:
        assert result.probability is not None
        assert result.status is status_for_probability(result.probability)

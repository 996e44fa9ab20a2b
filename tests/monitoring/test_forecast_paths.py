"""Paths and forecasts chosen from the data and the mission: the scale by fit (never by unit), a break
at the mission start, a declared ``path:`` overriding the choice, and the quality check agreeing."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from missionboard.domain.forecasting import Forecast, PathKind, Point, choose_scale, fit, forecast
from missionboard.domain.missions import Direction, Mission, Objective
from missionboard.domain.quality import Criterion, check_mission
from missionboard.domain.targets import TargetStatus, assess, target_path
from missionboard.missionfile import parse_mission


def objective(
    unit: str = "Mt CO2e", baseline: float = 500.0, target: float = 290.0, **extra: object
) -> Objective:
    return Objective.model_validate(
        {
            "id": "ghg",
            "title": "Cut greenhouse-gas emissions",
            "indicator": {"id": "ghg", "name": "Greenhouse-gas emissions", "unit": unit},
            "baseline": {"value": baseline, "year": 2018},
            "target": {"value": target, "year": 2030},
            **extra,
        }
    )


def steady_decline(seed: int = 4, per_year: float = -18.0, noise: float = 1.5) -> list[Point]:
    """~18 Mt a year down from 500 Mt in 2015: 284 Mt in 2027, so the 2030 target of 290 is met on trend."""
    rng = np.random.default_rng(seed)
    return [
        Point(float(y), 500.0 + per_year * (y - 2015) + noise * rng.standard_normal())
        for y in range(2015, 2025)
    ]


def compound_growth(rate: float = 0.12, seed: int = 5) -> list[Point]:
    rng = np.random.default_rng(seed)
    return [
        Point(float(y), 10.0 * (1 + rate) ** (y - 2012) * (1 + 0.01 * rng.standard_normal()))
        for y in range(2012, 2025)
    ]


def test_a_steady_linear_decline_in_mt_co2e_chooses_the_linear_path() -> None:
    choice = choose_scale(steady_decline(), start_year=2018)
    assert choice.kind is PathKind.LINEAR
    assert choice.linear_error is not None and choice.compound_error is not None
    assert choice.linear_error < choice.compound_error
    assert choice.evidence.startswith("linear chosen: one-step error")


def test_a_compound_growth_series_chooses_the_compound_path() -> None:
    choice = choose_scale(compound_growth(), start_year=2015)
    assert choice.kind is PathKind.COMPOUND
    assert "compound chosen" in choice.evidence


@pytest.mark.parametrize("unit", ["Mt CO2e", "%", "EUR", "number of people", "score"])
def test_the_unit_never_decides_the_path(unit: str) -> None:
    path = target_path(objective(unit=unit), steady_decline(), start_year=2018)
    assert path is not None and path.kind is PathKind.LINEAR


def test_compound_is_never_chosen_for_a_series_through_zero() -> None:
    points = [
        Point(float(y), v)
        for y, v in zip(range(2015, 2025), [4, 2, 1, 0, -1, -2, -4, -8, -16, -32], strict=True)
    ]
    assert choose_scale(points).kind is PathKind.LINEAR


def test_a_steady_decline_reaching_its_target_is_on_track_with_a_high_probability() -> None:
    points = steady_decline()
    path = target_path(objective(), points, start_year=2018)
    result = assess(path, points, start_year=2018)
    assert result.status is TargetStatus.ON_TRACK
    assert result.probability is not None and result.probability >= 0.9
    assert result.forecast is not None and result.forecast.value < 290


def test_the_quality_check_calls_that_same_objective_not_ambitious() -> None:
    points = steady_decline()
    mission = Mission.model_validate(
        {
            "id": "net-zero",
            "title": "Net zero",
            "challenge": "Climate",
            "statement": "Cut greenhouse-gas emissions by 42 % by 2030",
            "owner": "Agency",
            "start": "2018-01-01",
            "deadline": "2030-12-31",
            "objectives": [objective().model_dump(mode="json", exclude_none=True)],
        }
    )
    report = check_mission(
        mission, observations={"ghg": [(int(p.year), p.value) for p in points]}, today=dt.date(2025, 6, 1)
    )
    messages = [f.message for f in report.findings if f.criterion is Criterion.REALISTIC]
    assert any("not ambitious" in m for m in messages), messages


def test_a_target_beyond_the_trend_is_not_called_unambitious_and_is_not_on_track() -> None:
    points = steady_decline()
    hard = objective(target=150.0)
    path = target_path(hard, points, start_year=2018)
    assert assess(path, points, start_year=2018).status is not TargetStatus.ON_TRACK
    mission = Mission.model_validate(
        {
            "id": "net-zero",
            "title": "Net zero",
            "challenge": "Climate",
            "statement": "Cut greenhouse-gas emissions by 70 % by 2030",
            "owner": "Agency",
            "objectives": [hard.model_dump(mode="json", exclude_none=True)],
        }
    )
    report = check_mission(mission, observations={"ghg": [(int(p.year), p.value) for p in points]})
    assert not any("not ambitious" in f.message for f in report.findings)


def test_a_series_that_sped_up_at_the_mission_start_forecasts_from_the_trend_since() -> None:
    before = [
        Point(float(y), 1000.0 - 2.0 * (y - 2000) + (0.5 if y % 2 else -0.5)) for y in range(2000, 2020)
    ]
    since = [Point(float(y), 962.0 - 15.0 * (y - 2019) + (0.5 if y % 2 else -0.5)) for y in range(2020, 2027)]
    model = fit(before + since, start_year=2020)
    assert model is not None
    assert model.prior_years == 0  # six years of change since the start, clearly faster: they alone count
    assert model.break_t is not None and abs(model.break_t) >= 3
    assert model.drift == pytest.approx(-15.0, abs=0.5)
    outlook = forecast(before + since, 2030, start_year=2020)
    assert outlook is not None and "since the start in 2020" in outlook.basis
    assert outlook.value == pytest.approx(since[-1].value - 4 * 15.0, abs=3.0)


def test_with_few_years_since_the_start_the_trend_before_acts_as_a_prior() -> None:
    before = [Point(float(y), 1000.0 - 2.0 * (y - 2000)) for y in range(2000, 2022)]  # 958 in 2021
    since = [Point(2022.0, 950.0), Point(2023.0, 940.0)]  # one year of change since the start: −10
    model = fit(before + since, start_year=2022)
    assert model is not None
    assert model.years_since_start == 1 and model.prior_years == 4  # worth the 4 missing years
    drift_before = (21 * -2.0 - 8.0) / 22  # the change into the start year still counts as before
    assert model.drift == pytest.approx((-10.0 + 4 * drift_before) / 5)


def test_without_a_clear_change_at_the_start_all_years_estimate_the_trend() -> None:
    rng = np.random.default_rng(3)
    points = [
        Point(float(y), 500.0 - 5.0 * (y - 2000) + 3.0 * rng.standard_normal()) for y in range(2000, 2025)
    ]
    model = fit(points, start_year=2017)
    assert model is not None
    assert model.break_t is not None and abs(model.break_t) < 3
    assert model.prior_years == 17  # the 17 years before the start count in full
    outlook = forecast(points, 2030, start_year=2017)
    assert outlook is not None and "no change of trend at the start" in outlook.basis


def test_a_noisy_flat_series_gets_a_moderate_probability_not_on_track() -> None:
    rng = np.random.default_rng(11)
    points = [Point(float(y), 100.0 + 4.0 * rng.standard_normal()) for y in range(2012, 2025)]
    flat = objective(unit="index", baseline=100.0, target=95.0)
    path = target_path(flat, points, start_year=2018)
    result = assess(path, points, start_year=2018)
    assert result.status in (TargetStatus.AT_RISK, TargetStatus.OFF_TRACK)
    assert result.probability is not None and 0.05 < result.probability < 0.6


def test_a_path_declared_in_the_mission_yaml_overrides_the_choice_from_the_data() -> None:
    text = """
mission:
  id: declared
  title: Declared paths
  challenge: Climate
  statement: Cut emissions by 42 % by 2030
  owner: Agency
  objectives:
    - id: ghg
      title: Cut greenhouse-gas emissions
      indicator: {id: ghg, name: Emissions, unit: Mt CO2e}
      baseline: {value: 500, year: 2018}
      target: {value: 290, year: 2030}
      path: compound
"""
    declared = parse_mission(text).objectives[0]
    assert declared.path == "compound"
    path = target_path(declared, steady_decline(), start_year=2018)
    assert path is not None and path.kind is PathKind.COMPOUND
    assert path.choice is not None and path.choice.evidence == "compound: declared in the mission"
    undeclared = target_path(objective(), steady_decline(), start_year=2018)
    assert undeclared is not None and undeclared.kind is PathKind.LINEAR


def test_a_declared_compound_path_needs_a_positive_baseline_and_target() -> None:
    with pytest.raises(ValueError, match="compound path needs a positive"):
        objective(baseline=5.0, target=0.0, path="compound")


@pytest.mark.parametrize("direction", [Direction.INCREASE, Direction.DECREASE])
def test_a_forecast_without_spread_exactly_on_the_target_meets_it(direction: Direction) -> None:
    """A series exactly on its path forecasts the target itself with no spread: the target is met (≥ for
    an increase, ≤ for a decrease), not missed by a rounding error."""
    exact = Forecast(year=2035, value=12.0, low=12.0, high=12.0, level=0.8, log_scale=False, scale=0.0, df=3,
                     centre=12.000000000000002)  # fmt: skip
    assert exact.probability(12.0, direction) == 1.0
    short = Forecast(year=2035, value=11.5, low=11.5, high=11.5, level=0.8, log_scale=False, scale=0.0, df=3,
                     centre=11.5)  # fmt: skip
    assert short.probability(12.0, Direction.INCREASE) == 0.0
    assert short.probability(12.0, Direction.DECREASE) == 1.0

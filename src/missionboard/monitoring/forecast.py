"""Forecast an indicator to its target year, with an 80 % prediction interval and P(target reached).

The model lives in :mod:`missionboard.domain.forecasting` (pure, so that the quality check's ambition
test uses the very same forecast); this module keeps the names monitoring code and tests import.

Why a random walk with drift: on the UN SDG series in ``shared/data/indicators`` (CO₂ emissions and
renewable share, 2000–2017, hiding the last 3 or 5 years) it is the only candidate whose 80 % intervals
cover close to 80 % of the hidden outcomes; OLS on time and Holt/ETS fitted by maximum likelihood
give intervals that are far too narrow on short annual series (30–45 % coverage), because they
treat the trend as known and the deviations from it as independent. See the monitoring section of
``bench/RESULTS.md``.
"""

from __future__ import annotations

from missionboard.domain.forecasting import (
    LEVEL,
    MIN_POINTS,
    Drift,
    Forecast,
    ScaleChoice,
    bounded,
    calibrated,
    choose_scale,
    fit,
    forecast,
)

__all__ = [
    "LEVEL",
    "MIN_POINTS",
    "Drift",
    "Forecast",
    "ScaleChoice",
    "bounded",
    "calibrated",
    "choose_scale",
    "fit",
    "forecast",
]

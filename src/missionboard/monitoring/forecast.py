"""Forecast an indicator to its target year, with an 80 % prediction interval and P(target reached).

Model: a **random walk with drift**, the drift estimated by least squares on the year-to-year changes
(statsmodels ``OLS``; irregular gaps are weighted so that a change over k years counts as k steps).
The h-year-ahead forecast is ``last + h·drift`` with variance ``h·σ² + h²·se(drift)²`` (step noise plus
the uncertainty of the estimated drift), and the interval uses Student's t with n−1 degrees of freedom.
Series measured in absolute quantities (compound target paths) are modelled on the log scale, so the
drift is a constant annual rate and the interval is asymmetric.

Why this model: on the UN SDG series in ``shared/data/indicators`` (CO₂ emissions and renewable
share, 2000–2017, hiding the last 3 or 5 years) it is the only candidate whose 80 % intervals
cover close to 80 % of the hidden outcomes; OLS on time and Holt/ETS fitted by maximum likelihood
give intervals that are far too narrow on short annual series (30–45 % coverage), because they
treat the trend as known and the deviations from it as independent. See the monitoring section of ``bench/RESULTS.md``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from missionboard.domain.missions import Direction
from missionboard.domain.targets import Point

LEVEL = 0.8
MIN_POINTS = 3


@dataclass(frozen=True)
class Forecast:
    year: int
    value: float
    low: float
    high: float
    level: float
    log_scale: bool
    scale: float
    """Standard error of the forecast on the model scale (log scale where ``log_scale``)."""
    df: int
    centre: float
    """Mean of the forecast on the model scale (unclipped)."""

    def probability(self, target: float, direction: Direction | None) -> float | None:
        """P(value in ``year`` meets ``target``) under the forecast distribution."""
        if direction is None:
            return None
        centre = self.centre
        if self.log_scale:
            if target <= 0:
                return 1.0 if direction is Direction.DECREASE else 0.0
            goal = math.log(target)
        else:
            goal = target
        if self.scale <= 0:
            below = 1.0 if centre <= goal else 0.0
        else:
            from scipy import stats  # loaded on first use, not at start-up

            below = float(stats.t.cdf((goal - centre) / self.scale, self.df))
        return below if direction is Direction.DECREASE else 1.0 - below

    def clipped(self, lower: float | None, upper: float | None) -> Forecast:
        """The same forecast with value and interval kept within [lower, upper] (e.g. 0–100 for a share).

        Only what is shown is clipped; ``probability`` still uses the unclipped distribution.
        """

        def clip(x: float) -> float:
            if lower is not None:
                x = max(x, lower)
            if upper is not None:
                x = min(x, upper)
            return x

        return replace(self, value=clip(self.value), low=clip(self.low), high=clip(self.high))

    def to_dict(self) -> dict[str, float | int]:
        return {"year": self.year, "value": self.value, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class Drift:
    last_year: float
    last_value: float
    drift: float
    drift_se: float
    sigma: float
    df: int
    log_scale: bool


def fit(points: Sequence[Point], *, log_scale: bool = False) -> Drift | None:
    """Fit the random walk with drift; None with fewer than three points or non-positive logs."""
    ordered = sorted(points, key=lambda p: p.year)
    if len(ordered) < MIN_POINTS:
        return None
    years = np.array([p.year for p in ordered], dtype=float)
    values = np.array([p.value for p in ordered], dtype=float)
    if log_scale:
        if (values <= 0).any():
            return None
        values = np.log(values)
    steps = np.diff(years)
    if (steps <= 0).any():
        raise ValueError("one value per year: the points must have distinct years")
    changes = np.diff(values)
    root = np.sqrt(steps)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import statsmodels.api as sm  # heavy: loaded on the first forecast, not at start-up

        model = sm.OLS(changes / root, root[:, None]).fit()
    drift = float(model.params[0])
    n = len(changes)
    sigma = float(math.sqrt(model.scale)) if n > 1 else 0.0
    drift_se = float(model.bse[0]) if n > 1 else 0.0
    return Drift(
        last_year=float(years[-1]),
        last_value=float(values[-1]),
        drift=drift,
        drift_se=drift_se if math.isfinite(drift_se) else 0.0,
        sigma=sigma if math.isfinite(sigma) else 0.0,
        df=max(n - 1, 1),
        log_scale=log_scale,
    )


def forecast(
    points: Sequence[Point], year: int, *, log_scale: bool = False, level: float = LEVEL
) -> Forecast | None:
    """Forecast the series to ``year`` (None when it has too few points or ``year`` is not ahead)."""
    model = fit(points, log_scale=log_scale)
    if model is None or year <= model.last_year:
        return None
    h = year - model.last_year
    centre = model.last_value + h * model.drift
    scale = math.sqrt(h * model.sigma**2 + (h * model.drift_se) ** 2)
    from scipy import stats

    q = float(stats.t.ppf(0.5 + level / 2, model.df))
    low, high, value = centre - q * scale, centre + q * scale, centre
    if log_scale:
        value, low, high = math.exp(centre), math.exp(low), math.exp(high)
    return Forecast(
        year=year,
        value=value,
        low=low,
        high=high,
        level=level,
        log_scale=log_scale,
        scale=scale,
        df=model.df,
        centre=centre,
    )

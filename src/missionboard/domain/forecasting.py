"""Forecast an indicator to its target year: scale chosen from the data, a break at the mission start.

Pure functions, no I/O: monitoring (``monitor``), the quality check's ambition test and the what-if all
call :func:`forecast` here, so they cannot disagree.

**Model.** A random walk with drift: the h-year-ahead forecast is ``last + h·drift`` with variance
``h·σ² + h²·se(drift)²`` (year-to-year noise plus the uncertainty of the estimated drift), Student's t
with the residual degrees of freedom. A change over a gap of k years counts as k steps.

**Scale** (:func:`choose_scale`). ``linear`` models constant absolute changes, ``compound`` constant
relative changes (the log scale). Unless the mission declares ``path:``, the scale is the one whose
leave-one-out one-step-ahead error is smaller on the observations since the mission start, or on the
last ``SCALE_WINDOW`` (10) observations when fewer lie since the start: each year's change is predicted
from the drift of all the other years, the error measured in the indicator's unit. Ten years rather
than the few since a recent start, because whether an indicator moves by amounts or by rates shows
only over enough years (a steady 18 Mt/yr decline with 1.5 Mt of noise is called linear 85 times in
100 from 7 years, 99 in 100 from 10; measured).
``compound`` is chosen when its error is smaller (a tie goes to linear, the simpler reading), and needs
strictly positive values and at least four observations. The unit never decides.

**Break at the mission start.** Changes from the mission's start year on (both ends in or after it)
give the drift when there are at least ``MIN_STEPS_SINCE_START`` (5) years of them and their drift
differs clearly from the drift before the start (|t| ≥ ``BREAK_T`` = 3, t = difference ÷ its standard
error): the series changed at the start, and the years before no longer describe it. Where it did not
(|t| < 3), all years estimate the one trend, which is then known more precisely. The bar is 3, not 2:
real annual series are autocorrelated, and with 2 one series in twenty "breaks" by chance (on the
backtest below, 2 gave a Brier score of 0.0671 against 0.0662 with 3). With fewer than 5
years since the start, the drift before the start is a prior worth the missing years:
``drift = (Σ changes since start + w·drift_before) / (years since start + w)`` with
``w = min(years before, 5 − years since)``. The noise σ is estimated from all changes, each around the
drift of its own period.

**Calibration.** The model's probability of meeting a target is recalibrated with Platt scaling,
``P = 1 / (1 + exp(−(PLATT_SLOPE · logit(p) + PLATT_INTERCEPT)))``, fitted by least squares (the Brier
score, the measure it is judged by; maximum likelihood fitted unstable slopes, 0.6–0.9 between halves)
on whether real targets were met: the UN SDG series in ``shared/data/indicators``, objectives of ±15 % /
±30 % (CO₂) and ±5 / ±10 points (renewable share), judged 7 years after a baseline with the target 5
years ahead, origins 2009–2012 (``bench/forecast_backtest.py --calibrate``). The figures in
``bench/RESULTS.md`` are cross-fitted: each half of the series is scored with the constants fitted on
the other half, never on the data they were fitted on. The negative intercept says that the raw
model is over-optimistic: real trends fade more often than they persist.
The probability shown is then kept within [``PROBABILITY_FLOOR``, ``PROBABILITY_CEILING``] =
[1 %, 99 %]: in the backtest, about 1 % of the objectives given under 1 % were met anyway, so no claim
more extreme than 1 in 100 is supported by the evidence we have. The bound comes after the
calibration, not instead of it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from missionboard.domain.missions import Direction

LEVEL = 0.8
MIN_POINTS = 3
MIN_STEPS_SINCE_START = 5
"""Years of change since the mission start from which the trend comes from them alone (given a break)."""
BREAK_T = 3.0
"""A change of drift at the start with |t| below this is no break: then all years estimate the trend."""
SCALE_WINDOW = 10
"""The scale is judged on the observations since the start, or the last 10 when there are fewer."""
COMPOUND_MARGIN = 0.0
"""Compound is chosen when its one-step error is smaller than linear's by more than this share (ties: linear)."""
PLATT_SLOPE = 0.964
PLATT_INTERCEPT = -0.272
"""Platt scaling of the raw probability (fitted; see the module docstring)."""
PROBABILITY_FLOOR = 0.01
PROBABILITY_CEILING = 0.99


class PathKind(StrEnum):
    LINEAR = "linear"
    COMPOUND = "compound"


@dataclass(frozen=True)
class Point:
    """One observed value of the series in a (possibly fractional) year."""

    year: float
    value: float


@dataclass(frozen=True)
class ScaleChoice:
    """Which scale models the series, and why."""

    kind: PathKind
    declared: bool = False
    linear_error: float | None = None
    compound_error: float | None = None
    """Root-mean-square one-step error as a share of the mean level (0.023 = 2.3 %)."""
    first_year: float | None = None
    last_year: float | None = None
    reason: str = ""

    @property
    def evidence(self) -> str:
        if self.declared:
            return f"{self.kind.value}: declared in the mission"
        if self.linear_error is None or self.compound_error is None:
            return f"{self.kind.value}: {self.reason}"
        return (
            f"{self.kind.value} chosen: one-step error {self.compound_error:.2%} compound (log-linear) vs "
            f"{self.linear_error:.2%} linear, leave-one-out over {self.first_year:g}–{self.last_year:g}"
        )


def choose_scale(
    points: Sequence[Point], *, declared: PathKind | None = None, start_year: float | None = None
) -> ScaleChoice:
    """The scale of the path and the forecast: ``declared`` if given, else the better fit (module docstring)."""
    if declared is not None:
        return ScaleChoice(declared, declared=True)
    ordered = sorted(points, key=lambda p: p.year)
    since = [p for p in ordered if start_year is not None and p.year >= start_year]
    window = since if len(since) >= SCALE_WINDOW else ordered[-SCALE_WINDOW:]
    if len(window) < 4:
        return ScaleChoice(PathKind.LINEAR, reason=f"too few observations to compare scales ({len(window)})")
    if any(p.value <= 0 for p in ordered):
        return ScaleChoice(PathKind.LINEAR, reason="the series has zero or negative values")
    linear = _one_step_error(window, log_scale=False)
    compound = _one_step_error(window, log_scale=True)
    kind = PathKind.COMPOUND if compound < linear * (1 - COMPOUND_MARGIN) else PathKind.LINEAR
    return ScaleChoice(kind, False, linear, compound, window[0].year, window[-1].year)


@dataclass(frozen=True)
class Drift:
    last_year: float
    last_value: float
    drift: float
    drift_se: float
    sigma: float
    df: int
    log_scale: bool
    years_since_start: float
    prior_years: float
    """Weight (in years) the years before the mission start had; 0 when the trend comes from those since."""
    break_t: float | None = None
    """With enough years since the start: t statistic of the change of drift at the start."""


def fit(points: Sequence[Point], *, log_scale: bool = False, start_year: float | None = None) -> Drift | None:
    """Fit the random walk with drift; None with fewer than three points or non-positive logs."""
    ordered = sorted(points, key=lambda p: p.year)
    if len(ordered) < MIN_POINTS:
        return None
    if log_scale and any(p.value <= 0 for p in ordered):
        return None
    years = [p.year for p in ordered]
    values = [math.log(p.value) if log_scale else p.value for p in ordered]
    steps = [b - a for a, b in itertools.pairwise(years)]
    if any(s <= 0 for s in steps):
        raise ValueError("one value per year: the points must have distinct years")
    changes = [b - a for a, b in itertools.pairwise(values)]
    since = [start_year is None or years[i] >= start_year for i in range(len(changes))]
    post = [(c, s) for c, s, k in zip(changes, steps, since, strict=True) if k]
    pre = [(c, s) for c, s, k in zip(changes, steps, since, strict=True) if not k]
    post_years = sum(s for _, s in post)
    pre_years = sum(s for _, s in pre)
    pre_drift = sum(c for c, _ in pre) / pre_years if pre else 0.0
    prior = min(pre_years, max(0.0, MIN_STEPS_SINCE_START - post_years)) if pre else 0.0
    drift = (sum(c for c, _ in post) + prior * pre_drift) / (post_years + prior)
    post_drift = sum(c for c, _ in post) / post_years if post else drift
    residuals = [(c - post_drift * s) ** 2 / s for c, s in post] + [
        (c - pre_drift * s) ** 2 / s for c, s in pre
    ]
    df = len(residuals) - (1 if post else 0) - (1 if pre else 0)
    sigma = math.sqrt(sum(residuals) / df) if df > 0 else 0.0
    break_t = None
    if post and pre and prior == 0:
        spread = sigma * math.sqrt(1 / post_years + 1 / pre_years)
        difference = post_drift - pre_drift
        break_t = (
            difference / spread
            if spread > 0
            else (0.0 if difference == 0 else math.copysign(math.inf, difference))
        )
        if abs(break_t) < BREAK_T:  # no break in the data: all years estimate the one trend
            prior = pre_years
            drift = sum(changes) / (post_years + pre_years)
            residuals = [(c - drift * s) ** 2 / s for c, s in zip(changes, steps, strict=True)]
            df = len(residuals) - 1
            sigma = math.sqrt(sum(residuals) / df) if df > 0 else 0.0
    return Drift(
        last_year=years[-1],
        last_value=values[-1],
        drift=drift,
        drift_se=sigma / math.sqrt(post_years + prior),
        sigma=sigma,
        df=max(df, 1),
        log_scale=log_scale,
        years_since_start=post_years,
        prior_years=prior,
        break_t=break_t,
    )


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
    drift: float = 0.0
    """Trend per year on the model scale (units, or log units where ``log_scale``)."""
    basis: str = ""
    """Which observations the trend came from, in words."""

    def probability(self, target: float, direction: Direction | None, *, shift: float = 0.0) -> float | None:
        """P(value in ``year`` + ``shift`` meets ``target``) under the forecast distribution (raw: before
        :func:`calibrated`, which every probability shown goes through)."""
        if direction is None:
            return None
        goal = target - shift
        if self.log_scale:
            if goal <= 0:
                return 1.0 if direction is Direction.DECREASE else 0.0
            goal = math.log(goal)
        if self.scale <= 0:  # no spread: the target is met or not; exactly on it is met (≥ / ≤)
            on_target = math.isclose(self.centre, goal, rel_tol=1e-9, abs_tol=1e-9)
            if on_target:
                return 1.0
            below = 1.0 if self.centre < goal else 0.0
        else:
            below = t_cdf((goal - self.centre) / self.scale, self.df)
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

    def to_dict(self) -> dict[str, float | int | str]:
        return {
            "year": self.year,
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "basis": self.basis,
        }


def calibrated(raw: float | None, slope: float | None = None, intercept: float | None = None) -> float | None:
    """The probability as shown: Platt-scaled, then kept within what the backtest supports (1 %–99 %)."""
    if raw is None:
        return None
    slope = PLATT_SLOPE if slope is None else slope
    intercept = PLATT_INTERCEPT if intercept is None else intercept
    p = min(max(raw, 1e-9), 1 - 1e-9)
    score = slope * math.log(p / (1 - p)) + intercept
    return bounded(1 / (1 + math.exp(-score)))


def bounded(probability: float | None) -> float | None:
    """A probability kept within what the backtest supports (1 %–99 %)."""
    if probability is None:
        return None
    return min(max(probability, PROBABILITY_FLOOR), PROBABILITY_CEILING)


def forecast(
    points: Sequence[Point],
    year: int,
    *,
    log_scale: bool = False,
    start_year: float | None = None,
    level: float = LEVEL,
) -> Forecast | None:
    """Forecast the series to ``year`` (None when it has too few points or ``year`` is not ahead)."""
    model = fit(points, log_scale=log_scale, start_year=start_year)
    if model is None or year <= model.last_year:
        return None
    h = year - model.last_year
    drift = model.drift
    centre = model.last_value + h * drift
    scale = math.sqrt(h * model.sigma**2 + (h * model.drift_se) ** 2)
    q = t_ppf(0.5 + level / 2, model.df)
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
        drift=drift,
        basis=_basis(model, start_year),
    )


def t_cdf(x: float, df: float) -> float:
    """Student's t distribution function: ``scipy.stats.t.cdf(x, df)``, computed as that computes it
    (``scipy.special.stdtr``, with its answers at the edges: nan for a nan ``x`` or a ``df`` not above 0,
    0 and 1 at the infinities), without ``scipy.stats``, whose import took 0.5 s more than
    ``scipy.special``'s of every command that forecasts. ``tests/domain/test_student_t.py`` holds the
    two to the same bits."""
    if not df > 0 or math.isnan(x):
        return math.nan
    if x == math.inf:
        return 1.0
    if x == -math.inf:
        return 0.0
    from scipy import special  # loaded on the first forecast, not at start-up

    return float(special.stdtr(df, x))


def t_ppf(q: float, df: float) -> float:
    """Student's t quantile function: ``scipy.stats.t.ppf(q, df)``, computed as that computes it
    (``scipy.special.stdtrit``; ±inf at q = 0 and 1, nan outside [0, 1] or for a ``df`` not above 0),
    without importing ``scipy.stats`` (see :func:`t_cdf`)."""
    if not df > 0 or not 0 <= q <= 1:
        return math.nan
    if q == 0:
        return -math.inf
    if q == 1:
        return math.inf
    from scipy import special  # loaded on the first forecast, not at start-up

    return float(special.stdtrit(df, q)) * 1.0 + 0.0  # scipy.stats' ``* scale + loc``: -0.0 becomes 0.0


def _basis(model: Drift, start_year: float | None) -> str:
    scale = "compound (log scale)" if model.log_scale else "linear"
    if start_year is None or (model.prior_years == 0 and model.break_t is None):
        return f"{scale} trend of all observations"
    since = f"the {model.years_since_start:g} years since the start in {start_year:g}"
    if model.break_t is None:
        return (
            f"{scale} trend of {since}, with the trend before it as a prior worth {model.prior_years:g} years"
        )
    if model.prior_years == 0:
        return f"{scale} trend of {since} (it changed at the start: t = {model.break_t:.1f})"
    return (
        f"{scale} trend of {since} and the {model.prior_years:g} before "
        f"(no change of trend at the start: t = {model.break_t:.1f})"
    )


def _one_step_error(window: Sequence[Point], *, log_scale: bool) -> float:
    """Leave-one-out one-step-ahead RMS error, in the series' unit, as a share of its mean level."""
    values = [math.log(p.value) if log_scale else p.value for p in window]
    steps = [b.year - a.year for a, b in itertools.pairwise(window)]
    changes = [b - a for a, b in itertools.pairwise(values)]
    total_change, total_steps = sum(changes), sum(steps)
    squared = 0.0
    for i, (change, step) in enumerate(zip(changes, steps, strict=True)):
        drift = (total_change - change) / (total_steps - step)
        predicted = values[i] + drift * step
        error = window[i + 1].value - (math.exp(predicted) if log_scale else predicted)
        squared += error**2
    level = sum(abs(p.value) for p in window) / len(window)
    return math.sqrt(squared / len(changes)) / level if level else math.inf

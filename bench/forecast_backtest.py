"""Backtest the indicator forecasts: hide the last years of real series, forecast them, score them.

Series: the UN SDG Global Database extracts in ../shared/data/indicators (EN_ATM_CO2, CO₂ emissions
from fuel combustion, Mt; EG_FEC_RNEW, renewable share of final energy, %), every country/region with at
least ``--min-years`` years. For each series and each horizon h, the last h values are hidden, the model
is fitted on the rest, and we check whether the hidden value h years ahead falls inside the 80 % interval.

    .venv/bin/python bench/forecast_backtest.py [--data DIR] [--horizons 3 5] [--compare] [--calibrate] [--targets]

``--compare`` also scores OLS-on-time and Holt's linear trend (statsmodels ETS), the alternatives the
random walk with drift was picked over.

``--targets`` scores the monitor itself on held-out outcomes: every series gets objectives with a
baseline in 2005 and a target for 2017 (CO₂: −30 %, −15 %, +15 %, +30 % of the baseline; renewable share:
−10, −5, +5, +10 points), is judged as of the end of 2012 (data up to 2012 only; the "mission" starts at
the 2005 baseline), and P(target) and the status are compared with what the hidden 2017 value shows:
Brier score and reliability (per bin of P: count, mean P, share met; the count-weighted mean absolute
gap between the two is the calibration error), for the model before issue 13 ("current") and the new
one side by side. The new model's Platt constants are **cross-fitted**: the series alternate into two
halves, each half is scored with the constants fitted on the other half.

``--calibrate`` fits the Platt constants on all series (origins 2009–2012, baseline 7 years before,
target 5 years after) and prints them: these are the ones ``domain/forecasting.py`` uses.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from missionboard.domain.forecasting import (
    PLATT_INTERCEPT,
    PLATT_SLOPE,
    calibrated,
    choose_scale,
    forecast,
)
from missionboard.domain.targets import (
    PathKind,
    Point,
    TargetPath,
    TargetStatus,
    assess,
    observed_rate,
    required_acceleration,
    required_rate,
    status_for_probability,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "indicators"
FILES = {
    "en_atm_co2": ("ddf--datapoints--en_atm_co2--by--geo_area--nature--units--year.csv", True),
    "eg_fec_rnew": ("ddf--datapoints--eg_fec_rnew--by--geo_area--nature--units--year.csv", False),
}


def load(data: Path, min_years: int) -> list[tuple[str, str, np.ndarray, np.ndarray, bool]]:
    series = []
    for code, (name, log_scale) in FILES.items():
        frame = pd.read_csv(data / name)
        for area, group in frame.groupby("geo_area"):
            group = group.sort_values("year")
            values = group[code].to_numpy(dtype=float)
            if len(group) >= min_years and np.ptp(values) > 0:
                series.append((code, str(area), group["year"].to_numpy(dtype=float), values, log_scale))
    return series


def ours(
    years: np.ndarray, values: np.ndarray, year: float, log_scale: bool
) -> tuple[float, float, float] | None:
    """The model in use: scale chosen from the data (no mission start here: no break)."""
    points = [Point(float(y), float(v)) for y, v in zip(years, values, strict=True)]
    chosen = choose_scale(points).kind is PathKind.COMPOUND
    result = forecast(points, int(year), log_scale=chosen)
    return None if result is None else (result.value, result.low, result.high)


def current(
    years: np.ndarray, values: np.ndarray, year: float, log_scale: bool
) -> tuple[float, float, float] | None:
    """The model before issue 13: log scale by unit (CO₂), linear for the share."""
    points = [Point(float(y), float(v)) for y, v in zip(years, values, strict=True)]
    result = forecast(points, int(year), log_scale=log_scale and bool((values > 0).all()))
    return None if result is None else (result.value, result.low, result.high)


def ols_on_time(
    years: np.ndarray, values: np.ndarray, year: float, log_scale: bool
) -> tuple[float, float, float]:
    y = np.log(values) if log_scale else values
    fit = sm.OLS(y, sm.add_constant(years)).fit()
    frame = fit.get_prediction(np.array([[1.0, year]])).summary_frame(alpha=0.2)
    out = (
        float(frame["mean"].iloc[0]),
        float(frame["obs_ci_lower"].iloc[0]),
        float(frame["obs_ci_upper"].iloc[0]),
    )
    return tuple(np.exp(out)) if log_scale else out  # type: ignore[return-value]


def holt(years: np.ndarray, values: np.ndarray, year: float, log_scale: bool) -> tuple[float, float, float]:
    y = pd.Series(np.log(values) if log_scale else values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ETSModel(y, error="add", trend="add").fit(disp=False)
    h = int(year - years[-1])
    frame = fit.get_prediction(start=len(y), end=len(y) + h - 1).summary_frame(alpha=0.2)
    row = frame.iloc[-1]
    out = (float(row.iloc[0]), float(row.iloc[-2]), float(row.iloc[-1]))
    return tuple(np.exp(out)) if log_scale else out  # type: ignore[return-value]


def score(method, series, horizons):  # type: ignore[no-untyped-def]
    rows = []
    for code, _area, years, values, log_scale in series:
        for h in horizons:
            train_y, train_v = years[:-h], values[:-h]
            actual = values[-1]
            try:
                result = method(train_y, train_v, years[-1], log_scale)
            except Exception:  # a model that fails to fit on a series counts as missing, reported below
                result = None
            if result is None:
                rows.append({"indicator": code, "h": h, "ok": False})
                continue
            value, low, high = result
            rows.append(
                {
                    "indicator": code,
                    "h": h,
                    "ok": True,
                    "covered": low <= actual <= high,
                    "ape": abs(value - actual) / abs(actual) if actual else np.nan,
                    "width": (high - low) / abs(actual) if actual else np.nan,
                }
            )
    return pd.DataFrame(rows)


TARGETS = {
    "en_atm_co2": ("relative", (-0.30, -0.15, 0.15, 0.30)),
    "eg_fec_rnew": ("points", (-10, -5, 5, 10)),
}
UNITS = {"en_atm_co2": "Mt", "eg_fec_rnew": "%"}
BINS = [0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0]


# --- the model before issue 13, kept here to compare against ------------------------------------------


def current_kind(unit: str, baseline: float, target: float) -> PathKind:
    """The old rule: compound from the unit (tonnes, Mt …), linear for shares — whatever the data say."""
    if baseline <= 0 or target <= 0:
        return PathKind.LINEAR
    return PathKind.COMPOUND if unit == "Mt" else PathKind.LINEAR


def current_status(path: TargetPath, points: list[Point]) -> str:
    """The old status rules: gap to the path, then the required acceleration over the 5-year trend."""
    since = [p for p in points if p.year >= path.baseline_year]
    latest = since[-1]
    gap = path.gap(latest.year, latest.value)
    if path.reached(latest.value):
        return "achieved"
    if gap < -0.20:
        return "off_track"
    if gap < -0.05:
        return "at_risk"
    recent = [p for p in since if p.year > latest.year - 5]
    observed = observed_rate(recent, path.kind)
    acceleration = required_acceleration(required_rate(path, latest), observed, path)
    return "at_risk" if acceleration is None or acceleration > 1.5 else "on_track"


def judge_current(path_args, points, start_year):  # type: ignore[no-untyped-def]
    """The monitor before issue 13: scale by unit, drift from the whole series, raw P, gap-based status."""
    base, baseline_year, target, target_year, unit = path_args
    path = TargetPath(base, baseline_year, target, target_year, current_kind(unit, base, target))
    outlook = forecast(points, target_year, log_scale=path.kind is PathKind.COMPOUND)
    if outlook is None:
        return None
    return current_status(path, points), outlook.probability(target, path.direction), path


def judge_new(path_args, points, start_year, platt=(None, None)):  # type: ignore[no-untyped-def]
    """The monitor as it runs now: scale from the data, break at the start, Platt-calibrated P within
    1–99 %, status from P. ``platt`` = (slope, intercept) replaces the constants in use (cross-fitting);
    (nan, nan) gives the raw probability."""
    base, baseline_year, target, target_year, _unit = path_args
    choice = choose_scale(points, start_year=start_year)
    kind = choice.kind if min(base, target) > 0 else PathKind.LINEAR
    path = TargetPath(base, baseline_year, target, target_year, kind)
    judged = assess(path, points, start_year=start_year)
    if judged.forecast is None:
        return None
    raw = judged.forecast.probability(target, path.direction)
    if platt[0] is not None and np.isnan(platt[0]):
        return "-", raw, path
    p = calibrated(raw, *platt)
    status = judged.status
    forecast_based = status in (TargetStatus.ON_TRACK, TargetStatus.AT_RISK, TargetStatus.OFF_TRACK)
    if forecast_based and p is not None and not judged.reason.startswith("target year"):
        status = status_for_probability(p)
    return status.value, p, path


def targets_backtest(series, judge, baseline_year=2005, as_of=2012, target_year=2017):  # type: ignore[no-untyped-def]
    rows = []
    for code, area, years, values, _log in series:
        known = dict(zip(years.astype(int).tolist(), values.tolist(), strict=True))
        if baseline_year not in known or target_year not in known:
            continue
        base = known[baseline_year]
        kind_of_target, changes = TARGETS[code]
        points = [Point(float(y), v) for y, v in known.items() if y <= as_of]
        for change in changes:
            target = base * (1 + change) if kind_of_target == "relative" else base + change
            if target <= 0 and kind_of_target == "points":
                continue
            judged = judge((base, baseline_year, target, target_year, UNITS[code]), points, baseline_year)
            if judged is None or judged[1] is None:
                continue
            status, p, path = judged
            rows.append(
                {
                    "indicator": code,
                    "area": area,
                    "status": status,
                    "p": p,
                    "met": path.reached(known[target_year]),
                }
            )
    return pd.DataFrame(rows)


def reliability(frame: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """Per bin of P: count, mean P, share met; and the count-weighted mean absolute calibration error."""
    bins = pd.cut(frame["p"], BINS, include_lowest=True)
    table = frame.groupby(bins, observed=True).agg(n=("p", "size"), mean_p=("p", "mean"), met=("met", "mean"))
    error = float((table["n"] * (table["mean_p"] - table["met"]).abs()).sum() / table["n"].sum())
    return table, error


def report_targets(frames: dict[str, pd.DataFrame]) -> None:
    first = next(iter(frames.values()))
    print(f"\n## Held-out targets: baseline 2005, judged as of 2012, outcome 2017 ({len(first)} objectives)")
    print(f"targets met by 2017: {first['met'].mean():.1%}")
    print(
        f"{'model':<44}{'n':>6}{'Brier':>8}{'base rate':>11}{'skill':>8}{'calib. error':>14}{'P range':>14}"
    )
    for name, frame in frames.items():
        brier = ((frame["p"] - frame["met"]) ** 2).mean()
        reference = ((frame["met"].mean() - frame["met"]) ** 2).mean()
        _table, error = reliability(frame)
        print(
            f"{name:<44}{len(frame):>6}{brier:>8.4f}{reference:>11.4f}{1 - brier / reference:>8.1%}{error:>14.4f}"
            f"{frame['p'].min():>7.2g}–{frame['p'].max():.4g}"
        )
    for name, frame in frames.items():
        table, _error = reliability(frame)
        print(f"\n### reliability, {name}")
        print(f"{'P(target) bin':<16}{'n':>6}{'mean P':>9}{'met':>8}")
        for interval, row in table.iterrows():
            print(f"{interval!s:<16}{int(row['n']):>6}{row['mean_p']:>9.1%}{row['met']:>8.1%}")
        for label, part in (("P ≤ 1 %", frame[frame["p"] <= 0.01]), ("P ≥ 99 %", frame[frame["p"] >= 0.99])):
            if len(part):
                print(f"{label}: {len(part)} objectives, {part['met'].mean():.1%} met")
        if (frame["status"] != "-").any():
            print(f"{'status in 2012':<16}{'n':>6}{'met by 2017':>13}")
            for status in [s.value for s in TargetStatus]:
                group = frame[frame["status"] == status]
                if len(group):
                    print(f"{status:<16}{len(group):>6}{group['met'].mean():>13.1%}")


def halves(series):  # type: ignore[no-untyped-def]
    """Alternate series (in indicator, area order) into two halves for cross-fitting."""
    return series[0::2], series[1::2]


def fit_platt(series, origins=(2009, 2010, 2011, 2012), years_since=7, h=5):  # type: ignore[no-untyped-def]
    """Platt constants (slope, intercept) by least squares (the Brier score) of the targets met on ``series``.

    For each origin the "mission" starts ``years_since`` years before it (the baseline) and the target
    lies ``h`` years after it; the raw probability of the new model is recalibrated, then bounded to
    1–99 % as shown. (Maximum likelihood gave slopes of 0.6 and 0.9 on the two halves: unstable.)
    """
    from scipy import optimize

    frames = [
        targets_backtest(
            series,
            lambda a, p, s: judge_new(a, p, s, platt=(np.nan, np.nan)),
            baseline_year=origin - years_since,
            as_of=origin,
            target_year=origin + h,
        )
        for origin in origins
    ]
    frame = pd.concat(frames)
    raw = frame["p"].clip(1e-9, 1 - 1e-9).to_numpy()
    score = np.log(raw / (1 - raw))
    met = frame["met"].to_numpy(dtype=float)

    def loss(theta: np.ndarray) -> float:
        shown = np.clip(1 / (1 + np.exp(-(theta[0] * score + theta[1]))), 0.01, 0.99)
        return float(np.mean((shown - met) ** 2))

    result = optimize.minimize(loss, np.array([1.0, 0.0]), method="Nelder-Mead")
    return float(result.x[0]), float(result.x[1]), len(frame)


def cross_fitted(series):  # type: ignore[no-untyped-def]
    """Each half scored with Platt constants fitted on the other half; both halves pooled."""
    first, second = halves(series)
    frames = []
    for fitted_on, scored in ((first, second), (second, first)):
        slope, intercept, n = fit_platt(fitted_on)
        print(
            f"fold: Platt slope {slope:.3f}, intercept {intercept:.3f} from {n} objectives of the other half"
        )
        frames.append(
            targets_backtest(scored, lambda a, p, s, c=(slope, intercept): judge_new(a, p, s, platt=c))
        )
    return pd.concat(frames)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--horizons", type=int, nargs="+", default=[3, 5])
    parser.add_argument("--min-years", type=int, default=14)
    parser.add_argument("--compare", action="store_true", help="also score OLS-on-time and Holt (slower)")
    parser.add_argument(
        "--targets", action="store_true", help="also score status and P(target) on held-out outcomes"
    )
    parser.add_argument(
        "--calibrate", action="store_true", help="fit the Platt constants on all series and print them"
    )
    args = parser.parse_args()

    series = load(args.data, args.min_years)
    print(f"{len(series)} series from {args.data}; horizons {args.horizons}; 80 % prediction intervals")
    methods = {"current (before issue 13)": current, "new: scale chosen from the data": ours}
    if args.compare:
        methods |= {"OLS on time": ols_on_time, "Holt linear trend (ETS)": holt}
    for name, method in methods.items():
        started = time.perf_counter()
        frame = score(method, series, args.horizons)
        seconds = time.perf_counter() - started
        fitted = frame[frame["ok"]]
        print(f"\n## {name}  ({seconds:.1f} s, {len(fitted)} of {len(frame)} forecasts fitted)")
        print(f"{'indicator':<14}{'h':>3}{'n':>6}{'coverage':>10}{'median APE':>12}{'median width':>14}")
        for (indicator, h), group in fitted.groupby(["indicator", "h"]):
            print(
                f"{indicator:<14}{h:>3}{len(group):>6}{group['covered'].mean():>10.1%}"
                f"{group['ape'].median():>12.1%}{group['width'].median():>14.1%}"
            )
        print(
            f"{'all':<14}{'':>3}{len(fitted):>6}{fitted['covered'].mean():>10.1%}"
            f"{fitted['ape'].median():>12.1%}{fitted['width'].median():>14.1%}"
        )

    if args.calibrate:
        slope, intercept, n = fit_platt(series)
        print(f"\n## Calibration on all series: {n} objectives (origins 2009–2012, target 5 years ahead)")
        print(f"Platt by least squares: PLATT_SLOPE = {slope:.3f}, PLATT_INTERCEPT = {intercept:.3f}")
        print(f"in use: PLATT_SLOPE = {PLATT_SLOPE:.3f}, PLATT_INTERCEPT = {PLATT_INTERCEPT:.3f}")
    if args.targets:
        print("\n## Cross-fitting the new model's calibration")
        frames = {
            "current (before issue 13)": targets_backtest(series, judge_current),
            "new, uncalibrated (raw P)": targets_backtest(
                series, lambda a, p, s: judge_new(a, p, s, platt=(np.nan, np.nan))
            ),
            "new, cross-fitted calibration": cross_fitted(series),
            "new as shipped (constants fit on all)": targets_backtest(series, judge_new),
        }
        report_targets(frames)


if __name__ == "__main__":
    main()

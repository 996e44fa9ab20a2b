"""Backtest the indicator forecasts: hide the last years of real series, forecast them, score the intervals.

Series: the UN SDG Global Database extracts in ../shared/data/indicators (EN_ATM_CO2, CO₂ emissions
from fuel combustion, Mt — modelled on the log scale as the monitor does for absolute quantities; and
EG_FEC_RNEW, renewable share of final energy, % — linear scale), every country/region with at least
``--min-years`` years. For each series and each horizon h, the last h values are hidden, the model is
fitted on the rest, and we check whether the hidden value h years ahead falls inside the 80 % interval.

    .venv/bin/python bench/forecast_backtest.py [--data DIR] [--horizons 3 5] [--compare]

``--compare`` also scores OLS-on-time and Holt's linear trend (statsmodels ETS), the alternatives the
chosen random walk with drift was picked over.

``--targets`` scores the monitor itself on held-out outcomes: every series gets objectives with a
baseline in 2005 and a target for 2017 (CO₂: −30 %, −15 %, +15 %, +30 % of the baseline; renewable share:
−10, −5, +5, +10 points), is judged as of the end of 2012 (data up to 2012 only), and the status and the
probability of reaching the target are compared with what the hidden 2017 value shows.
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

from missionboard.domain.targets import PathKind, Point, TargetPath, TargetStatus, assess, path_kind_for
from missionboard.monitoring.forecast import forecast

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


def targets_backtest(series, baseline_year=2005, as_of=2012, target_year=2017):  # type: ignore[no-untyped-def]
    rows = []
    for code, _area, years, values, _log in series:
        known = dict(zip(years.astype(int).tolist(), values.tolist(), strict=True))
        if baseline_year not in known or target_year not in known:
            continue
        base = known[baseline_year]
        kind_of_target, changes = TARGETS[code]
        for change in changes:
            target = base * (1 + change) if kind_of_target == "relative" else base + change
            if target <= 0 and kind_of_target == "points":
                continue
            kind = path_kind_for(UNITS[code], base, target)
            path = TargetPath(base, baseline_year, target, target_year, kind)
            points = [Point(float(y), v) for y, v in known.items() if y <= as_of]
            judged = assess(path, points)
            log_scale = kind is PathKind.COMPOUND and all(p.value > 0 for p in points)
            outlook = forecast(points, target_year, log_scale=log_scale)
            if outlook is None:
                continue
            rows.append(
                {
                    "indicator": code,
                    "status": judged.status.value,
                    "p": outlook.probability(target, path.direction),
                    "met": path.reached(known[target_year]),
                }
            )
    return pd.DataFrame(rows)


def report_targets(frame: pd.DataFrame) -> None:
    print(f"\n## Held-out targets: baseline 2005, judged as of 2012, outcome 2017 ({len(frame)} objectives)")
    base_rate = frame["met"].mean()
    brier = ((frame["p"] - frame["met"]) ** 2).mean()
    reference = ((base_rate - frame["met"]) ** 2).mean()
    print(
        f"targets met by 2017: {base_rate:.1%}; Brier score of P(target) {brier:.3f} "
        f"(base-rate forecast {reference:.3f}; skill {1 - brier / reference:.1%})"
    )
    print(f"{'P(target) bin':<16}{'n':>6}{'mean P':>9}{'met':>8}")
    bins = pd.cut(frame["p"], [0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0], include_lowest=True)
    for interval, group in frame.groupby(bins, observed=True):
        print(f"{interval!s:<16}{len(group):>6}{group['p'].mean():>9.1%}{group['met'].mean():>8.1%}")
    print(f"{'status in 2012':<16}{'n':>6}{'met by 2017':>13}")
    order = [s.value for s in TargetStatus]
    for status in order:
        group = frame[frame["status"] == status]
        if len(group):
            print(f"{status:<16}{len(group):>6}{group['met'].mean():>13.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--horizons", type=int, nargs="+", default=[3, 5])
    parser.add_argument("--min-years", type=int, default=14)
    parser.add_argument("--compare", action="store_true", help="also score OLS-on-time and Holt (slower)")
    parser.add_argument(
        "--targets", action="store_true", help="also score status and P(target) on held-out outcomes"
    )
    args = parser.parse_args()

    series = load(args.data, args.min_years)
    print(f"{len(series)} series from {args.data}; horizons {args.horizons}; 80 % prediction intervals")
    methods = {"random walk with drift (chosen)": ours}
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

    if args.targets:
        report_targets(targets_backtest(series))


if __name__ == "__main__":
    main()

"""The forecasts' Student's t functions give scipy.stats' answers to the bit, without importing it.

``domain/forecasting.py`` computes ``t.cdf`` and ``t.ppf`` with the ``scipy.special`` functions that
``scipy.stats.t`` itself calls (``stdtr``, ``stdtrit``), so that a forecast no longer waits half a
second for ``scipy.stats`` to import. These tests compare the two on a table of values, the edges
included, and on random ones; ``repr`` tells 0.0 from -0.0 and matches nan with nan.
"""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from missionboard.domain.forecasting import t_cdf, t_ppf

DEGREES = [0.5, 1, 2, 3, 4.5, 7, 12, 30, 100, 1e6, math.inf, 0, -1, math.nan]
XS = [
    -math.inf,
    -1e300,
    -40.0,
    -3.2,
    -1.0,
    -1e-300,
    -0.0,
    0.0,
    1e-12,
    0.7,
    1.96,
    25.0,
    1e300,
    math.inf,
    math.nan,
]
QS = [0.0, 1e-300, 1e-9, 0.025, 0.1, 0.5, 0.9, 0.95, 0.975, 1 - 1e-12, 1.0, -0.5, 1.5, math.nan]


@pytest.mark.parametrize("df", DEGREES)
@pytest.mark.parametrize("x", XS)
def test_the_distribution_function_is_scipy_stats_t_cdf(df: float, x: float) -> None:
    assert repr(t_cdf(x, df)) == repr(float(stats.t.cdf(x, df)))


@pytest.mark.parametrize("df", DEGREES)
@pytest.mark.parametrize("q", QS)
def test_the_quantile_function_is_scipy_stats_t_ppf(df: float, q: float) -> None:
    assert repr(t_ppf(q, df)) == repr(float(stats.t.ppf(q, df)))


@given(
    x=st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6),
    df=st.one_of(st.integers(min_value=1, max_value=200), st.floats(min_value=0.01, max_value=1e4)),
)
def test_the_distribution_function_agrees_on_any_value(x: float, df: float) -> None:
    assert repr(t_cdf(x, df)) == repr(float(stats.t.cdf(x, df)))


@given(
    q=st.floats(min_value=0.0, max_value=1.0),
    df=st.one_of(st.integers(min_value=1, max_value=200), st.floats(min_value=0.01, max_value=1e4)),
)
def test_the_quantile_function_agrees_on_any_value(q: float, df: float) -> None:
    assert repr(t_ppf(q, df)) == repr(float(stats.t.ppf(q, df)))


def test_a_forecast_does_not_import_scipy_stats() -> None:
    run = (
        "import sys\n"
        "from missionboard.domain.forecasting import Point, forecast\n"
        "from missionboard.domain.missions import Direction\n"
        "made = forecast([Point(2015 + i, 10.0 + i + (i % 3) / 2) for i in range(8)], 2030)\n"
        "assert made is not None and 0 < made.probability(20.0, Direction.INCREASE) < 1\n"
        "print('scipy.stats' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", run], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "False"

"""One scale for every objective: 0 at the baseline, 1 at the target, whichever way the target lies; and
the last step's trend judged by the direction the objective wants."""

from __future__ import annotations

import pytest

from missionboard.domain.missions import Direction
from missionboard.domain.progress_scale import Trend, direction_of, progress_share, status_label, trend
from missionboard.domain.targets import TargetStatus


@pytest.mark.parametrize(
    ("baseline", "target", "latest", "share"),
    [
        (10, 60, 10, 0.0),  # at the baseline
        (10, 60, 60, 1.0),  # target reached
        (10, 60, 35, 0.5),  # half way up
        (400, 200, 300, 0.5),  # half way down: a falling target reads the same
        (400, 200, 100, 1.5),  # beyond the target
        (400, 200, 450, -0.25),  # moved away from the target
        (10, 60, 5, -0.1),
    ],
)
def test_the_share_of_the_way_from_baseline_to_target_is_the_same_scale_up_or_down(
    baseline: float, target: float, latest: float, share: float
) -> None:
    assert progress_share(baseline, target, latest) == pytest.approx(share)


@pytest.mark.parametrize(
    ("baseline", "target", "latest"),
    [(None, 60, 30), (10, None, 30), (10, 60, None), (50, 50, 40), (10, float("nan"), 30)],
)
def test_there_is_no_share_without_baseline_target_and_observation_or_when_they_coincide(
    baseline: float | None, target: float | None, latest: float | None
) -> None:
    assert progress_share(baseline, target, latest) is None


@pytest.mark.parametrize(
    ("previous", "latest", "direction", "expected"),
    [
        (36, 39, Direction.INCREASE, Trend.IMPROVING),
        (39, 36, Direction.INCREASE, Trend.WORSENING),
        (44, 40, Direction.DECREASE, Trend.IMPROVING),
        (40, 44, Direction.DECREASE, Trend.WORSENING),
        (7.5, 7.5, Direction.INCREASE, Trend.FLAT),
        (7.5, 7.5, Direction.DECREASE, Trend.FLAT),
    ],
)
def test_the_trend_is_the_last_step_judged_by_the_direction_the_objective_wants(
    previous: float, latest: float, direction: Direction, expected: Trend
) -> None:
    assert trend(previous, latest, direction) is expected


@pytest.mark.parametrize(
    ("previous", "latest", "direction"),
    [(None, 3.0, Direction.INCREASE), (3.0, None, Direction.INCREASE), (3.0, 4.0, None)],
)
def test_there_is_no_trend_without_two_observations_and_a_direction(
    previous: float | None, latest: float | None, direction: Direction | None
) -> None:
    assert trend(previous, latest, direction) is None


@pytest.mark.parametrize(
    ("trend_", "arrow"), [(Trend.IMPROVING, "↑"), (Trend.WORSENING, "↓"), (Trend.FLAT, "→")]
)
def test_each_trend_has_its_arrow(trend_: Trend, arrow: str) -> None:
    assert trend_.arrow == arrow


@pytest.mark.parametrize(
    ("declared", "baseline", "target", "expected"),
    [
        (Direction.DECREASE, 10, 60, Direction.DECREASE),  # declared wins
        (None, 10, 60, Direction.INCREASE),
        (None, 400, 200, Direction.DECREASE),
        (None, 50, 50, None),
        (None, None, 50, None),
    ],
)
def test_the_direction_is_the_declared_one_else_where_the_target_lies_from_the_baseline(
    declared: Direction | None, baseline: float | None, target: float | None, expected: Direction | None
) -> None:
    assert direction_of(declared, baseline, target) is expected


@pytest.mark.parametrize(
    ("status", "label"),
    [
        (TargetStatus.OFF_TRACK, "Off track"),
        (TargetStatus.ON_TRACK, "On track"),
        (TargetStatus.AT_RISK, "At risk"),
        (TargetStatus.ACHIEVED, "Achieved"),
        (TargetStatus.NO_DATA, "No data"),
    ],
)
def test_a_status_is_shown_in_words(status: TargetStatus, label: str) -> None:
    assert status_label(status) == label

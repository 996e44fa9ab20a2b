"""The demo's stage-gate decisions follow from each project's own reports: no stop on a project whose
milestones are all done, no gate (so no decision) on a project that is not running."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from missionboard.services.demo.gates import gate_dates, judge


def summary(
    *, overdue: int = 0, spend: tuple[float, float] = (100, 100), kpi: tuple[float, float] = (100, 100)
) -> dict[str, Any]:
    return {
        "milestones": {"total": 5, "completed": 5 - overdue, "overdue": overdue},
        "spend": [{"line": "total", "actual": spend[0], "planned": spend[1]}],
        "kpis": [{"name": "kpi", "actual": kpi[0], "planned": kpi[1]}],
    }


@pytest.mark.parametrize(
    ("progress", "met", "kind"),
    [
        (summary(kpi=(120, 100)), {1, 2, 3}, "scale"),
        (summary(kpi=(90, 100)), {1, 2, 3}, "continue"),
        (summary(overdue=2, spend=(30, 100), kpi=(40, 100)), set(), "stop"),
        (summary(overdue=1, spend=(30, 100)), {3}, "stop"),
        (summary(overdue=2), {2, 3}, "pivot"),
        (summary(spend=(10, 100), kpi=(10, 100)), {1}, "continue"),  # every milestone done: never a stop
    ],
)
def test_the_decision_at_a_gate_follows_from_the_reports(
    progress: dict[str, Any], met: set[int], kind: str
) -> None:
    assert judge(progress)[:2] == (met, kind)


def test_a_project_with_every_milestone_done_is_never_stopped() -> None:
    for spend in (0.0, 10.0, 69.0):
        for kpi in (0.0, 50.0, 79.0):
            assert judge(summary(spend=(spend, 100), kpi=(kpi, 100)))[1] != "stop"


@pytest.mark.parametrize(
    ("start", "end", "gates"),
    [
        (
            dt.date(2023, 3, 1),
            dt.date(2028, 2, 28),
            [("G1", dt.date(2026, 3, 1)), ("G2", dt.date(2027, 3, 1))],
        ),
        (
            dt.date(2024, 3, 1),
            dt.date(2026, 12, 31),
            [("G1", dt.date(2026, 3, 1)), ("G2", dt.date(2026, 12, 31))],
        ),
        (dt.date(2026, 5, 1), dt.date(2029, 1, 1), [("G1", dt.date(2027, 5, 1))]),
        (dt.date(2019, 1, 1), dt.date(2022, 12, 31), []),  # ended years before: no gate, no decision
        (dt.date(2027, 1, 1), dt.date(2030, 1, 1), []),  # not started
    ],
)
def test_gates_fall_on_anniversaries_of_the_start_while_the_project_runs(
    start: dt.date, end: dt.date, gates: list[tuple[str, dt.date]]
) -> None:
    assert gate_dates(start, end, dt.date(2026, 11, 1)) == gates

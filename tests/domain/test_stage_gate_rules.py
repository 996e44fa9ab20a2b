"""The pure stage-gate rules: where a gate stands, criteria by number, money a stop releases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from missionboard.domain.decisions import DUE_SOON_DAYS, criteria_results, gate_state, released_amount

TODAY = dt.date(2026, 6, 1)


@pytest.mark.parametrize(
    ("due", "decided", "stopped", "state"),
    [
        (dt.date(2026, 1, 1), True, False, "decided"),
        (dt.date(2026, 1, 1), False, True, "cancelled"),
        (dt.date(2026, 5, 31), False, False, "overdue"),
        (TODAY, False, False, "due"),
        (TODAY + dt.timedelta(days=DUE_SOON_DAYS), False, False, "due"),
        (TODAY + dt.timedelta(days=DUE_SOON_DAYS + 1), False, False, "scheduled"),
    ],
)
def test_a_gate_is_decided_cancelled_overdue_due_or_scheduled(
    due: dt.date, decided: bool, stopped: bool, state: str
) -> None:
    assert gate_state(due, decided=decided, stopped=stopped, as_of=TODAY).value == state


def test_criteria_are_met_by_number_and_an_unknown_number_is_refused() -> None:
    results = criteria_results(("a", "b"), {2})
    assert [(r.criterion, r.met) for r in results] == [("a", False), ("b", True)]
    with pytest.raises(ValueError, match="criterion 3 does not exist"):
        criteria_results(("a", "b"), {3})


@pytest.mark.parametrize(
    ("budget", "paid", "released"),
    [
        (Decimal(1000), Decimal(300), Decimal(700)),
        (Decimal(1000), Decimal(1200), Decimal(0)),
        (None, Decimal(5), None),
    ],
)
def test_a_stop_releases_the_budget_not_yet_paid_never_below_zero(
    budget: Decimal | None, paid: Decimal, released: Decimal | None
) -> None:
    assert released_amount(budget, paid) == released

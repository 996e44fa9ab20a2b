"""The decision log and the indicator list as ``decisions`` and ``indicators list`` read them, quickly
where they can.

On a current SQLite workspace ``store/quick.py`` reads them with the standard library's ``sqlite3``;
anywhere else ``ordinary`` (``services.decisions.list_decisions``, ``services.monitoring.list_indicators``)
opens the workspace as usual, and so does one mission's decision log: its portfolio is the portfolio
rule's query, which only the ORM's store knows. Both ways give the same ``DecisionEntry`` and
``IndicatorInfo`` lists (``tests/store/test_quick_reads.py``).
"""

from __future__ import annotations

from collections.abc import Callable

from missionboard.domain.decisions import DecisionEntry
from missionboard.domain.indicators import IndicatorInfo
from missionboard.services.glance import quick_or_ordinary
from missionboard.settings import Settings
from missionboard.store.quick import QuickReader

__all__ = ["DecisionEntry", "IndicatorInfo", "decision_log", "indicator_list"]


def decision_log(
    settings: Settings, mission_id: str | None, ordinary: Callable[[], list[DecisionEntry]]
) -> list[DecisionEntry]:
    """The decisions, newest first, with their gates and appeals (only those on ``mission_id``'s projects
    where given)."""
    if mission_id is not None:
        return ordinary()
    return quick_or_ordinary(settings, QuickReader.decisions, ordinary)


def indicator_list(settings: Settings, ordinary: Callable[[], list[IndicatorInfo]]) -> list[IndicatorInfo]:
    """Every indicator, by id, with how many observations it has, their years and geographies."""
    return quick_or_ordinary(settings, QuickReader.indicators, ordinary)

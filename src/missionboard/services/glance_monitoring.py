"""The decision log, the gate calendar, a project's gates and the indicator list as ``decisions``, ``gate
calendar``, ``gate list`` and ``indicators list`` read them, quickly where they can.

On a current SQLite workspace ``store/quick.py`` reads them with the standard library's ``sqlite3``;
anywhere else ``ordinary`` (``services.decisions.list_decisions``, ``services.decisions.gate_calendar``,
``services.decisions.project_gates``, ``services.monitoring.list_indicators``) opens the workspace as
usual. One mission's decisions and gates are those of its portfolio, which both ways find with the one
portfolio rule (``domain.portfolio_rule``, ``Mission.link_attribution``). Both ways give the same
``DecisionEntry`` lists, ``GateCalendar`` and ``IndicatorInfo`` lists (``tests/store/test_quick_reads.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from missionboard.domain.decisions import DecisionEntry
from missionboard.domain.gate_calendar import GateCalendar, calendar_day
from missionboard.domain.indicators import IndicatorInfo
from missionboard.services.glance import quick_or_ordinary
from missionboard.settings import Settings
from missionboard.store.quick import QuickReader

__all__ = [
    "DecisionEntry",
    "GateCalendar",
    "IndicatorInfo",
    "decision_log",
    "gate_calendar",
    "indicator_list",
    "project_gates",
]


def decision_log(
    settings: Settings, mission_id: str | None, ordinary: Callable[[], list[DecisionEntry]]
) -> list[DecisionEntry]:
    """The decisions, newest first, with their gates and appeals (only those on ``mission_id``'s projects
    where given); ``NotFound`` for an unknown mission."""
    return quick_or_ordinary(settings, lambda reader: reader.decisions(mission_id), ordinary)


def gate_calendar(
    settings: Settings, mission_id: str, as_of: dt.date | None, ordinary: Callable[[], GateCalendar]
) -> GateCalendar:
    """The gates of the mission's portfolio, where each stands on ``as_of`` (default today), the most
    pressing first; ``NotFound`` for an unknown mission."""
    day = calendar_day(as_of)
    return quick_or_ordinary(settings, lambda reader: reader.gate_calendar(mission_id, day), ordinary)


def project_gates(
    settings: Settings, project_ref: str, as_of: dt.date | None, ordinary: Callable[[], GateCalendar]
) -> GateCalendar:
    """One project's gates (``SOURCE:SOURCE_ID`` or its numeric id), where each stands on ``as_of``
    (default today), the most pressing first; ``NotFound`` for an unknown project."""
    day = calendar_day(as_of)
    return quick_or_ordinary(settings, lambda reader: reader.project_gates(project_ref, day), ordinary)


def indicator_list(settings: Settings, ordinary: Callable[[], list[IndicatorInfo]]) -> list[IndicatorInfo]:
    """Every indicator, by id, with how many observations it has, their years and geographies."""
    return quick_or_ordinary(settings, QuickReader.indicators, ordinary)

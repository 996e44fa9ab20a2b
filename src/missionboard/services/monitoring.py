"""Monitoring use cases: indicator series, project progress, and the mission board with its what-if.

The board and project progress are imported when one of their use cases runs (or one of their result
types is read): they bring forecasts, health rules, decisions and gates, which the indicator commands
(``indicators show``) have no use for. Their result types are named through the monitoring package,
which imports a name's module when it is first read, so ``typing.get_type_hints`` still resolves every
annotation (``tests/test_typed_results.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from missionboard import monitoring as monitoring_package
from missionboard.domain.health import HealthRules
from missionboard.domain.targets import StatusRules
from missionboard.monitoring import indicators
from missionboard.monitoring.indicators import ImportSummary, IndicatorDetail, IndicatorInfo
from missionboard.store.workspace import Workspace

if TYPE_CHECKING:
    from missionboard.monitoring.board import MonitorResult as MonitorResult
    from missionboard.monitoring.progress import ProgressSummary as ProgressSummary

__all__ = [
    "ImportSummary",
    "IndicatorDetail",
    "IndicatorInfo",
    "MonitorResult",
    "ProgressSummary",
    "import_indicators",
    "import_progress",
    "list_indicators",
    "monitor_mission",
    "show_indicator",
    "status_rules",
]


def import_indicators(workspace: Workspace, path: Path, *, user: str) -> ImportSummary:
    """Import indicator observations; a changed value becomes a new revision, the old one is kept."""
    return indicators.import_indicators(workspace, path, user=user)


def list_indicators(workspace: Workspace) -> list[IndicatorInfo]:
    """Every indicator with its unit and how many observations it has."""
    return indicators.list_indicators(workspace)


def show_indicator(
    workspace: Workspace, indicator: str, *, geography: str | None = None, as_of: dt.date | None = None
) -> IndicatorDetail:
    """One indicator's series (only values known on ``as_of``) with its revisions."""
    return indicators.show_indicator(workspace, indicator, geography=geography, as_of=as_of)


def import_progress(workspace: Workspace, path: Path, *, user: str) -> monitoring_package.ProgressSummary:
    """Import milestones, KPI and spend reports for projects, all or nothing."""
    from missionboard.monitoring import progress  # imported late: see the module's docstring

    return progress.import_progress(workspace, path, user=user)


def monitor_mission(
    workspace: Workspace,
    mission_id: str,
    *,
    as_of: dt.date | None = None,
    move: tuple[float, str, str] | None = None,
    rules: HealthRules | Path | None = None,
    effects: Mapping[str, float] | None = None,
) -> monitoring_package.MonitorResult:
    """The mission board: objectives against targets with forecasts, funding, flagged projects,
    decisions and suggestions; with ``move`` (amount, from, to) the what-if of moving money."""
    from missionboard.monitoring import board  # imported late: see the module's docstring

    return board.monitor_mission(workspace, mission_id, as_of=as_of, move=move, rules=rules, effects=effects)


def status_rules() -> StatusRules:
    """The probability thresholds the board's statuses follow (the packaged rules)."""
    from missionboard.monitoring import progress  # imported late: see the module's docstring

    return progress.load_status_rules()


def __getattr__(name: str) -> Any:
    """``MonitorResult`` and ``ProgressSummary``, imported when first read (see the module's docstring)."""
    if name in ("MonitorResult", "ProgressSummary"):
        return getattr(monitoring_package, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Monitoring, evaluation and adaptation: indicators against targets, forecasts, project health,
stage-gate decisions and rebalancing. The CLI, the web app and the demo call these service functions.

Each name is imported from its module when first read (``__getattr__``): importing one module of the
package (``monitoring.gates`` for ``gate list``, ``monitoring.indicators`` for ``indicators show``) no
longer loads the board, its forecasts and what they import as well.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from missionboard.monitoring.board import MonitorResult, monitor_mission
    from missionboard.monitoring.decisions import DecisionEntry, list_decisions, record_decision
    from missionboard.monitoring.gates import (
        GateCalendar,
        gate_calendar,
        lodge_appeal,
        project_gates,
        rule_appeal,
        schedule_gate,
    )
    from missionboard.monitoring.indicators import (
        ImportSummary,
        IndicatorDetail,
        IndicatorInfo,
        import_indicators,
        list_indicators,
        show_indicator,
    )
    from missionboard.monitoring.progress import ProgressSummary, import_progress, load_rules

MODULE_OF = {
    "DecisionEntry": "decisions",
    "GateCalendar": "gates",
    "ImportSummary": "indicators",
    "IndicatorDetail": "indicators",
    "IndicatorInfo": "indicators",
    "MonitorResult": "board",
    "ProgressSummary": "progress",
    "gate_calendar": "gates",
    "import_indicators": "indicators",
    "import_progress": "progress",
    "list_decisions": "decisions",
    "list_indicators": "indicators",
    "load_rules": "progress",
    "lodge_appeal": "gates",
    "monitor_mission": "board",
    "project_gates": "gates",
    "record_decision": "decisions",
    "rule_appeal": "gates",
    "schedule_gate": "gates",
    "show_indicator": "indicators",
}
"""Each public name (``__all__``) → the module of this package that defines it."""

__all__ = [
    "DecisionEntry",
    "GateCalendar",
    "ImportSummary",
    "IndicatorDetail",
    "IndicatorInfo",
    "MonitorResult",
    "ProgressSummary",
    "gate_calendar",
    "import_indicators",
    "import_progress",
    "list_decisions",
    "list_indicators",
    "load_rules",
    "lodge_appeal",
    "monitor_mission",
    "project_gates",
    "record_decision",
    "rule_appeal",
    "schedule_gate",
    "show_indicator",
]


def __getattr__(name: str) -> Any:
    module = MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # read once: later reads find it here
    return value

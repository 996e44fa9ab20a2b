"""Monitoring, evaluation and adaptation: indicators against targets, forecasts, project health,
stage-gate decisions and rebalancing. The CLI, the web app and the demo call these service functions.
"""

from __future__ import annotations

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

"""The monitoring use cases under one name, for callers that import ``missionboard.monitoring.service``
(the demo builder, the web app). The functions live in their concept modules and are re-exported here."""

from __future__ import annotations

from missionboard.monitoring.board import MonitorResult, monitor_mission
from missionboard.monitoring.decisions import DecisionEntry, list_decisions, record_decision
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
    "ImportSummary",
    "IndicatorDetail",
    "IndicatorInfo",
    "MonitorResult",
    "ProgressSummary",
    "import_indicators",
    "import_progress",
    "list_decisions",
    "list_indicators",
    "load_rules",
    "monitor_mission",
    "record_decision",
    "show_indicator",
]

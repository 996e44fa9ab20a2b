"""The use cases of the other areas (ingest, mapping, analytics, monitoring) that the web app calls.

They are imported lazily: analytics and mapping pull in scikit-learn and the embedding model, which the
login page and the explorer do not need.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

SERVICES: dict[str, str] = {
    "analyze_portfolio": "missionboard.analytics.service",
    "monitor_mission": "missionboard.monitoring.board",
    "record_decision": "missionboard.monitoring.decisions",
    "schedule_gate": "missionboard.monitoring.gates",
    "gate_calendar": "missionboard.monitoring.gates",
    "project_gates": "missionboard.monitoring.gates",
    "lodge_appeal": "missionboard.monitoring.gates",
    "rule_appeal": "missionboard.monitoring.gates",
    "decision_project": "missionboard.monitoring.gates",
    "appeal_project": "missionboard.monitoring.gates",
    "review_link": "missionboard.services.mapping",
    "ingest_files": "missionboard.services.ingest",
}
"""Where each area's use case lives; imported on first use so that the app starts fast."""


def service(name: str) -> Callable[..., Any]:
    """The named service function, imported on first use."""
    found = getattr(importlib.import_module(SERVICES[name]), name)
    return found  # type: ignore[no-any-return]

"""The services of other areas (ingest, mapping, analytics, monitoring), found where they are installed.

The web app calls them when they exist and says plainly that a section is not available when they do
not; it never invents figures of its own.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from missionboard.errors import MissionboardError


class NotAvailable(MissionboardError):
    """A section or write whose service is not installed."""


CANDIDATES: dict[str, tuple[str, ...]] = {
    "analyze_portfolio": (
        "missionboard.services.analytics",
        "missionboard.analytics",
        "missionboard.analytics.portfolio",
    ),
    "monitor_mission": (
        "missionboard.services.monitoring",
        "missionboard.monitoring",
        "missionboard.monitoring.monitor",
    ),
    "record_decision": (
        "missionboard.services.monitoring",
        "missionboard.services.decisions",
        "missionboard.monitoring",
    ),
    "review_link": ("missionboard.services.mapping", "missionboard.mapping.review", "missionboard.mapping"),
    "ingest_files": ("missionboard.services.ingest", "missionboard.ingest", "missionboard.ingest.engine"),
}


def service(name: str) -> Callable[..., Any] | None:
    """The named service function, or None where no installed module provides it."""
    for module_name in CANDIDATES.get(name, ()):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        found = getattr(module, name, None)
        if callable(found):
            return found  # type: ignore[no-any-return]
    return None


def unavailable(name: str) -> str:
    return f"{name} is not available in this installation (its service module is not installed yet)"

"""Answers for the commands that must start in ≤ 0.3 s (``mission list``, ``info``), and the switch between
the two ways that the other ``glance_*`` modules use too: ``glance_missions`` (``mission show``, ``export``,
``history``, ``diff``), ``glance_monitoring`` (``decisions``, ``gate calendar``, ``indicators list``),
``glance_admin`` (``ingest runs``, ``rates list``, ``users list``), ``glance_mapping`` (``taxonomy list``),
``glance_consultations`` (``consult list``) and ``glance_learning`` (``learn list``). Those modules stand
apart because what they return are domain models, whose import ``mission list`` and ``info`` need not pay
for (0.04 s of CPU, measured).

Where the workspace is a current SQLite file they are read the quick way (``store/quick.py``: the
standard library's ``sqlite3``, no SQLAlchemy, no ORM, no domain models); anywhere else (PostgreSQL, a
schema to migrate, a missing or damaged file) the workspace is opened the ordinary way, which also gives
the ordinary errors. Both ways give the same answer (``tests/store/test_quick_reads.py``).

A quick read takes milliseconds and writes nothing, so it does not announce itself in the workspace's
presence registry: ``missionboard info`` elsewhere lists the processes that hold the workspace open for
longer (servers, imports, other commands).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import JsonValue

from missionboard.settings import Settings
from missionboard.store.quick import MissionSummary, QuickReader

if TYPE_CHECKING:
    from missionboard.store.presence import Presence

__all__ = [
    "MissionSummary",
    "Presence",
    "WorkspaceSummary",
    "mission_summaries",
    "quick_or_ordinary",
    "workspace_summary",
]

T = TypeVar("T")


@dataclass(frozen=True)
class WorkspaceSummary:
    """What ``missionboard info`` shows: the workspace, its schema, its records per kind and the other
    processes that have it open (each as ``Presence.to_dict()``)."""

    url: str
    schema: str
    counts: dict[str, int]
    in_use: list[dict[str, JsonValue]]

    def to_dict(self) -> dict[str, JsonValue]:
        """The document ``info --json`` prints."""
        return {
            "url": self.url,
            "schema": self.schema,
            "counts": dict(self.counts),
            "in_use": list(self.in_use),
        }


def mission_summaries(
    settings: Settings, ordinary: Callable[[], list[MissionSummary]]
) -> list[MissionSummary]:
    """Every mission's current version in brief, by id; ``ordinary`` answers where a quick read can't
    (``services.missions.mission_summaries`` on the opened workspace)."""
    return quick_or_ordinary(settings, QuickReader.mission_summaries, ordinary)


def workspace_summary(settings: Settings, ordinary: Callable[[], WorkspaceSummary]) -> WorkspaceSummary:
    """What the workspace holds and who else has it open; ``ordinary`` answers where a quick read can't
    (``services.workspace.workspace_summary`` on the opened workspace)."""
    reader = _quick_reader(settings)
    if reader is None:
        return ordinary()
    from missionboard.store.presence import others

    url = settings.url()
    with reader:
        counts = reader.record_counts()
        schema = reader.schema()
    in_use: list[dict[str, JsonValue]] = [p.to_dict() for p in others(url)]
    return WorkspaceSummary(url=url, schema=schema, counts=counts, in_use=in_use)


def quick_or_ordinary(settings: Settings, quick: Callable[[QuickReader], T], ordinary: Callable[[], T]) -> T:
    """``quick`` on a reader of the workspace where it is a current SQLite file, else ``ordinary()``: the
    one place that picks the way (every ``glance_*`` module goes through it)."""
    reader = _quick_reader(settings)
    if reader is None:
        return ordinary()
    with reader:
        return quick(reader)


def __getattr__(name: str) -> Any:
    """``Presence``, imported when first read: of the quick reads only ``info`` needs the presence registry
    (which brings ``socket`` and ``threading``)."""
    if name == "Presence":
        from missionboard.store.presence import Presence

        return Presence
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _quick_reader(settings: Settings) -> QuickReader | None:
    if settings.database_url:
        return None
    return QuickReader.open(Path(settings.workspace))

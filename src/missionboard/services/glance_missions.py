"""One mission as ``mission show``, ``export``, ``history`` and ``diff`` read it, quickly where they can.

On a current SQLite workspace ``store/quick.py`` reads it with the standard library's ``sqlite3``; anywhere
else ``ordinary`` (the matching use case of ``services.missions``) opens the workspace as usual. Both ways
give the same ``MissionVersion``, YAML and ``MissionDiff`` and the same ``NotFound``
(``tests/store/test_quick_reads.py``). What a read does with what it reads (which version an export
takes, which two a diff compares) is said once, in ``exported_yaml`` and ``versions_diff``, which
``services.missions`` uses on the ORM's ``MissionStore``.
"""

from __future__ import annotations

from collections.abc import Callable

from missionboard.domain.history import MissionDiff, diff_documents
from missionboard.domain.missions import MissionVersion
from missionboard.services.glance import quick_or_ordinary
from missionboard.settings import Settings

__all__ = [
    "exported_yaml",
    "mission_diff",
    "mission_history",
    "mission_version",
    "mission_yaml",
    "versions_diff",
]

GetMission = Callable[[str, int | None], MissionVersion]
"""Reads a mission's version (the current one for None): ``MissionStore.get`` or ``QuickReader.mission``."""
GetYaml = Callable[[str, int], str]
"""Reads a mission version's YAML text: ``MissionStore.yaml_text`` or ``QuickReader.mission_yaml``."""


def mission_version(
    settings: Settings, mission_id: str, version: int | None, ordinary: Callable[[], MissionVersion]
) -> MissionVersion:
    """A mission's current version, or ``version``; ``ordinary``: ``services.missions.get_mission``."""
    return quick_or_ordinary(settings, lambda reader: reader.mission(mission_id, version), ordinary)


def mission_yaml(
    settings: Settings, mission_id: str, version: int | None, ordinary: Callable[[], str]
) -> str:
    """A mission version's YAML as saved; ``ordinary``: ``services.missions.export_mission``."""
    return quick_or_ordinary(
        settings,
        lambda reader: exported_yaml(reader.mission, reader.mission_yaml, mission_id, version),
        ordinary,
    )


def mission_history(
    settings: Settings, mission_id: str, ordinary: Callable[[], list[MissionVersion]]
) -> list[MissionVersion]:
    """Every version of a mission, oldest first; ``ordinary``: ``services.missions.mission_history``."""
    return quick_or_ordinary(settings, lambda reader: reader.mission_history(mission_id), ordinary)


def mission_diff(
    settings: Settings,
    mission_id: str,
    old: int | None,
    new: int | None,
    ordinary: Callable[[], MissionDiff],
) -> MissionDiff:
    """What changed between two versions of a mission; ``ordinary``: ``services.missions.diff_versions``."""
    return quick_or_ordinary(
        settings,
        lambda reader: versions_diff(reader.mission, reader.mission_yaml, mission_id, old, new),
        ordinary,
    )


def exported_yaml(get: GetMission, yaml_text: GetYaml, mission_id: str, version: int | None) -> str:
    """The YAML of a mission's current version, or of ``version``: what either way exports."""
    return yaml_text(mission_id, get(mission_id, version).version)


def versions_diff(
    get: GetMission, yaml_text: GetYaml, mission_id: str, old: int | None, new: int | None
) -> MissionDiff:
    """Differences between two versions (default: the previous and the current one), read by either way."""
    # the mission file format (and PyYAML) loads here: of the quick reads only ``history`` and ``diff`` need it
    from missionboard.missionfile import mission_document

    current = get(mission_id, None)
    new = current.version if new is None else new
    old = max(1, new - 1) if old is None else old
    a, b = get(mission_id, old), get(mission_id, new)
    return diff_documents(
        mission_id,
        old,
        mission_document(a.mission),
        yaml_text(mission_id, old),
        new,
        mission_document(b.mission),
        yaml_text(mission_id, new),
    )

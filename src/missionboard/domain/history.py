"""Readable differences between two versions of a mission."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from pydantic import JsonValue


@dataclass(frozen=True)
class FieldChange:
    """One field that changed: ``path`` like ``objectives[organic-share].target.value``."""

    path: str
    before: JsonValue
    after: JsonValue
    """Any JSON value of the mission document; None where the field was added or removed."""

    def __str__(self) -> str:
        if self.before is None:
            return f"+ {self.path}: {self.after!r}"
        if self.after is None:
            return f"- {self.path}: {self.before!r}"
        return f"~ {self.path}: {self.before!r} → {self.after!r}"


@dataclass(frozen=True)
class MissionDiff:
    mission_id: str
    old_version: int
    new_version: int
    changes: tuple[FieldChange, ...]
    unified: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "mission": self.mission_id,
            "from": self.old_version,
            "to": self.new_version,
            "changes": [{"path": c.path, "before": c.before, "after": c.after} for c in self.changes],
            "diff": self.unified,
        }


def _keyed(items: list[Any]) -> dict[str, Any] | None:
    """Lists of objects with ids are compared by id, so reordering is not a change."""
    if items and all(isinstance(i, dict) and "id" in i for i in items):
        return {str(i["id"]): i for i in items}
    return None


def field_changes(before: Any, after: Any, path: str = "") -> list[FieldChange]:
    """Every leaf that differs between two JSON-like documents."""
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[FieldChange] = []
        for key in list(before) + [k for k in after if k not in before]:
            child = f"{path}.{key}" if path else str(key)
            out += field_changes(before.get(key), after.get(key), child)
        return out
    if isinstance(before, list) and isinstance(after, list):
        old, new = _keyed(before), _keyed(after)
        if old is not None and new is not None:
            out = []
            for key in list(old) + [k for k in new if k not in old]:
                out += field_changes(old.get(key), new.get(key), f"{path}[{key}]")
            return out
    if before == after:
        return []
    return [FieldChange(path, before, after)]


def diff_documents(
    mission_id: str,
    old_version: int,
    old: dict[str, Any],
    old_text: str,
    new_version: int,
    new: dict[str, Any],
    new_text: str,
) -> MissionDiff:
    unified = "".join(
        difflib.unified_diff(
            old_text.splitlines(keepends=True),
            new_text.splitlines(keepends=True),
            fromfile=f"{mission_id} v{old_version}",
            tofile=f"{mission_id} v{new_version}",
        )
    )
    return MissionDiff(mission_id, old_version, new_version, tuple(field_changes(old, new)), unified)

"""What a workspace holds, at a glance."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from missionboard.store import presence
from missionboard.store import tables as t
from missionboard.store.workspace import Workspace

COUNTED = {
    "missions": t.MissionRow,
    "projects": t.ProjectRow,
    "actors": t.ActorRow,
    "participations": t.ParticipationRow,
    "indicators": t.IndicatorRow,
    "observations": t.ObservationRow,
    "links": t.LinkRow,
    "decisions": t.DecisionRow,
    "import runs": t.ImportRunRow,
    "audit events": t.AuditEventRow,
}


def workspace_summary(workspace: Workspace, url: str | None = None) -> dict[str, Any]:
    """Counts of what the workspace holds, and ``in_use``: the other processes that have it open.

    ``url`` is the workspace's URL with its password (``workspace.url`` hides it), needed on PostgreSQL
    to look who else is connected.
    """
    with workspace.reading() as session:
        counts = {
            name: session.scalar(select(func.count()).select_from(row)) or 0 for name, row in COUNTED.items()
        }
    in_use = [p.to_dict() for p in presence.others(url or workspace.url)]
    return {"url": workspace.url, "schema": workspace.revision(), "counts": counts, "in_use": in_use}

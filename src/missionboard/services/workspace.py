"""What a workspace holds, at a glance, and which processes have it open."""

from __future__ import annotations

from missionboard.services.glance import WorkspaceSummary
from missionboard.store.contents import record_counts
from missionboard.store.presence import Presence, announce, others
from missionboard.store.workspace import Workspace

__all__ = ["Presence", "WorkspaceSummary", "announce", "others", "workspace_summary"]


def workspace_summary(workspace: Workspace, url: str | None = None) -> WorkspaceSummary:
    """Counts of what the workspace holds, and ``in_use``: the other processes that have it open.

    ``url`` is the workspace's URL with its password (``workspace.url`` hides it), needed on PostgreSQL
    to look who else is connected.
    """
    with workspace.reading() as session:
        counts = record_counts(session)
    in_use = [p.to_dict() for p in others(url or workspace.url)]
    return WorkspaceSummary(url=workspace.url, schema=workspace.revision(), counts=counts, in_use=in_use)

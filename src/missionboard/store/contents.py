"""How many records of each kind a workspace holds (``missionboard info``)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from missionboard.store import tables as t

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


def record_counts(session: Session) -> dict[str, int]:
    """Records per kind, in the order of ``COUNTED``."""
    return {name: session.scalar(select(func.count()).select_from(row)) or 0 for name, row in COUNTED.items()}

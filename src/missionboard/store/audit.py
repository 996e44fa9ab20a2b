"""The append-only audit log: every write a person makes is recorded with before → after."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionboard.domain.records import AuditEvent
from missionboard.store.tables import AuditEventRow


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Add an audit event to the current transaction (it lands only if the write lands)."""
    session.add(
        AuditEventRow(
            at=dt.datetime.now(dt.UTC),
            actor=actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=before,
            after=after,
        )
    )


def events(session: Session, *, entity: str | None = None, entity_id: str | None = None) -> list[AuditEvent]:
    query = select(AuditEventRow).order_by(AuditEventRow.id)
    if entity is not None:
        query = query.where(AuditEventRow.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEventRow.entity_id == entity_id)
    return [
        AuditEvent(
            at=row.at,
            actor=row.actor,
            action=row.action,
            entity=row.entity,
            entity_id=row.entity_id,
            before=row.before,
            after=row.after,
        )
        for row in session.scalars(query)
    ]


def happened(session: Session, action: str) -> bool:
    """Whether any event of ``action`` was recorded (e.g. ``demo.build``: the workspace is a demo)."""
    return session.scalar(select(AuditEventRow.id).where(AuditEventRow.action == action).limit(1)) is not None

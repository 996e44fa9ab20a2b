"""Records of what happened to the workspace: imports and audited writes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from missionboard.domain.common import DomainModel, NonEmptyText


class ImportedFile(DomainModel):
    name: NonEmptyText
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)


class ImportRun(DomainModel):
    """One import: which files, what it did to the workspace, and who ran it."""

    format: NonEmptyText
    source: str | None = None
    files: list[ImportedFile] = Field(default_factory=list)
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[dict[str, Any]] = Field(default_factory=list)
    started_at: dt.datetime
    seconds: float = 0.0
    user: str
    dry_run: bool = False


class AuditEvent(DomainModel):
    """An append-only record of a write: who, when, what, before → after."""

    at: dt.datetime
    actor: NonEmptyText
    action: NonEmptyText
    entity: NonEmptyText
    entity_id: NonEmptyText
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None

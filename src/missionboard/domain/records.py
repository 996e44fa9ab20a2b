"""Records of what happened to the workspace: imports and audited writes."""

from __future__ import annotations

import datetime as dt
from typing import Literal, get_args

from pydantic import Field, JsonValue

from missionboard.domain.common import DomainModel, NonEmptyText

IngestFormat = Literal["csv", "xlsx", "iati", "360giving", "cordis"]
"""A portfolio file format that ``ingest`` reads (docs/ingest.md)."""
INGEST_FORMATS: tuple[IngestFormat, ...] = get_args(IngestFormat)
"""The formats in the order the command line and the web list them."""
FILE_ENDINGS: dict[str, tuple[str, ...]] = {
    "csv": (".csv", ".tsv", ".txt"),
    "xlsx": (".xlsx", ".xlsm"),
    "iati": (".xml",),
    "360giving": (".json", ".csv", ".xlsx"),
    "cordis": (".csv", ".xlsx"),
}
"""The file endings each format reads from a folder (a file named on its own is read whatever its ending)."""


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
    errors: list[dict[str, object]] = Field(default_factory=list)
    """The first rejections, each ``Problem.as_dict()``: file, line, field and message (plain JSON values)."""
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
    before: dict[str, JsonValue] | None = None
    after: dict[str, JsonValue] | None = None

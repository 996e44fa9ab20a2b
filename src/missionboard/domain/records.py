"""Records of what happened to the workspace: imports and audited writes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
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


def run_report(run: ImportRun, run_id: int | None = None) -> dict[str, JsonValue]:
    """The JSON document ``ingest --format json`` prints: the run, and ``id`` where it is stored."""
    report: dict[str, JsonValue] = {
        "format": run.format,
        "source": run.source,
        "files": [f.model_dump() for f in run.files],
        "read": run.read,
        "inserted": run.inserted,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "rejected": run.rejected,
        "errors": run.model_dump(mode="json", include={"errors"})["errors"],
        "seconds": run.seconds,
        "user": run.user,
        "started_at": run.started_at.isoformat(),
        "dry_run": run.dry_run,
    }
    if run_id is not None:
        report["id"] = run_id
    return report


@dataclass(frozen=True)
class Rate:
    """An imported exchange rate: units of ``reporting_currency`` per unit of ``currency`` in ``year``."""

    currency: str
    reporting_currency: str
    year: int
    rate: float
    source: str | None = None


class AuditEvent(DomainModel):
    """An append-only record of a write: who, when, what, before → after."""

    at: dt.datetime
    actor: NonEmptyText
    action: NonEmptyText
    entity: NonEmptyText
    entity_id: NonEmptyText
    before: dict[str, JsonValue] | None = None
    after: dict[str, JsonValue] | None = None

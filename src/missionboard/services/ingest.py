"""Use cases of portfolio ingest: import files, list past imports, import and use exchange rates."""

from __future__ import annotations

from pathlib import Path

from missionboard.domain.records import INGEST_FORMATS, ImportRun, Rate
from missionboard.domain.records import run_report as run_report  # re-exported: the CLI, the web
from missionboard.ingest.engine import run_import
from missionboard.ingest.rates import RateTable, read_rates
from missionboard.store import audit, portfolio
from missionboard.store.workspace import Workspace

FORMATS = INGEST_FORMATS


ingest_files = run_import
"""Import portfolio files of one format in one transaction (see :func:`~missionboard.ingest.engine.run_import`)."""


def list_runs(workspace: Workspace, *, limit: int = 50) -> list[tuple[int, ImportRun]]:
    """Past imports, newest first."""
    with workspace.reading() as session:
        return portfolio.list_runs(session, limit=limit)


def import_rates(
    workspace: Workspace, path: Path, *, user: str = "unknown", reporting_currency: str | None = None
) -> dict[str, int]:
    """Load a rates file (all rows or none) and upsert it; returns counts."""
    rates = read_rates(Path(path), reporting_currency=reporting_currency)
    with workspace.transaction() as session:
        inserted, updated, unchanged = portfolio.upsert_rates(session, rates)
        audit.record(
            session,
            actor=user,
            action="rates.import",
            entity="exchange_rates",
            entity_id=Path(path).name,
            after={"rows": len(rates), "inserted": inserted, "updated": updated},
        )
    return {"read": len(rates), "inserted": inserted, "updated": updated, "unchanged": unchanged}


def list_rates(workspace: Workspace, *, reporting_currency: str | None = None) -> list[Rate]:
    with workspace.reading() as session:
        return portfolio.list_rates(session, reporting_currency=reporting_currency)


def rate_table(workspace: Workspace) -> RateTable:
    """The workspace's imported rates, ready for ``convert(amount, currency, reporting, year)``."""
    return RateTable.of(list_rates(workspace))

"""The bulk write path of an import stores exactly what SQLAlchemy's own inserts store, and links each
participation to its own project whether the source is new, growing or shared with other imports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from ingest_helpers import PROJECT_HEADER, write_csv
from sqlalchemy import Text, cast, insert, select

from missionboard.services.ingest import ingest_files
from missionboard.store import tables as t
from missionboard.store.portfolio import bulk_insert


def _row(source: str, source_id: str, **changes: Any) -> dict[str, Any]:
    now = dt.datetime(2026, 11, 23, 14, 0, 0, 123456, tzinfo=dt.UTC)
    row: dict[str, Any] = {
        "source": source,
        "source_id": source_id,
        "title": "Hydrogen valleys",
        "abstract": "Green hydrogen för fossil-free steel ✓",
        "language": "sv",
        "titles": [{"text": "Vätgas", "lang": "sv"}, {"text": "Hydrogen", "lang": None}],
        "abstracts": [],
        "funder": "Energimyndigheten",
        "programme": None,
        "instrument": "rd_grant",
        "funding_scheme": None,
        "budget_amount": Decimal("1000000.50"),
        "budget_currency": "SEK",
        "public_amount": Decimal("12.345"),
        "public_currency": "SEK",
        "cofunding_amount": None,
        "cofunding_currency": None,
        "start": dt.date(2023, 1, 1),
        "end": dt.date(2099, 12, 31),
        "status": "active",
        "trl": 5,
        "stage": "development",
        "countries": ["SE", "FI"],
        "regions": [],
        "sectors": ["energy"],
        "topics": ['ß|"quoted"'],
        "source_labels": [{"vocabulary": "sdg-goal", "code": "7"}],
        "raw": {"note": "kept", "amount": "1 000", "nested": {"a": [1, 2.5, None, True]}},
        "content_hash": "0" * 64,
        "import_run_id": None,
        "created_at": now,
        "updated_at": now,
    }
    row.update(changes)
    return row


def _variants(source: str) -> list[dict[str, Any]]:
    return [
        _row(source, "A"),
        _row(source, "B", start=None, end=None, budget_amount=None, budget_currency=None, raw={}, titles=[]),
        _row(source, "C", start=dt.date(1900, 1, 1), trl=None, stage=None, countries=[], raw={"x": None}),
    ]


def test_bulk_insert_stores_exactly_what_a_core_insert_stores(workspace) -> None:  # type: ignore[no-untyped-def]
    """On SQLite through the driver's executemany, on PostgreSQL through COPY."""
    table = t.ProjectRow.__table__
    with workspace.transaction() as session:
        connection = session.connection()
        connection.execute(insert(table), _variants("core"))
        bulk_insert(connection, table, _variants("bulk"))
    stored = [cast(column, Text) for column in table.c if column.name not in ("id", "source")]
    with workspace.reading() as session:
        core = session.execute(
            select(*stored).where(table.c.source == "core").order_by(table.c.source_id)
        ).all()
        bulk = session.execute(
            select(*stored).where(table.c.source == "bulk").order_by(table.c.source_id)
        ).all()
    assert len(core) == 3
    assert [tuple(r) for r in bulk] == [tuple(r) for r in core]


def _projects(path: Path, ids: list[str]) -> Path:
    rows = []
    for project_id in ids:
        row = dict.fromkeys(PROJECT_HEADER, "")
        row.update(id=project_id, title=f"Project {project_id}", funder=f"Funder of {project_id}")
        rows.append([row[h] for h in PROJECT_HEADER])
    return write_csv(path, PROJECT_HEADER, rows)


def _funders_by_project(workspace) -> dict[tuple[str, str], list[str]]:  # type: ignore[no-untyped-def]
    with workspace.reading() as session:
        rows = session.execute(
            select(t.ProjectRow.source, t.ProjectRow.source_id, t.ActorRow.name)
            .join(t.ParticipationRow, t.ParticipationRow.project_id == t.ProjectRow.id)
            .join(t.ActorRow, t.ActorRow.id == t.ParticipationRow.actor_id)
        ).all()
    result: dict[tuple[str, str], list[str]] = {}
    for source, source_id, name in rows:
        result.setdefault((source, source_id), []).append(name)
    return result


def test_each_participation_belongs_to_its_own_project_as_sources_grow_and_interleave(
    workspace, tmp_path: Path
) -> None:
    first = _projects(tmp_path / "first.csv", ["P1", "P2"])
    other = _projects(tmp_path / "other.csv", ["P2", "Q1", "Q2"])
    grown = _projects(tmp_path / "grown.csv", ["P0", "P1", "P2", "P3"])
    assert ingest_files(workspace, "csv", [first], source="agency").inserted == 2
    assert ingest_files(workspace, "csv", [other], source="other").inserted == 3
    run = ingest_files(workspace, "csv", [grown], source="agency")
    assert (run.inserted, run.unchanged) == (2, 2)
    funders = _funders_by_project(workspace)
    expected = {
        ("agency", "P0"),
        ("agency", "P1"),
        ("agency", "P2"),
        ("agency", "P3"),
        ("other", "P2"),
        ("other", "Q1"),
        ("other", "Q2"),
    }
    assert set(funders) == expected
    for (_, source_id), names in funders.items():
        assert names == [f"Funder of {source_id}"]

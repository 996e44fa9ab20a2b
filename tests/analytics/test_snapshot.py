"""The columnar snapshot of the portfolio tables: same analysis, never stale, rebuilt when damaged."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from missionboard.analytics import analyze_portfolio, snapshot
from missionboard.analytics.loader import refresh_snapshot
from missionboard.services.ingest import ingest_files
from missionboard.store import analytics_tables
from missionboard.store.workspace import Workspace


@pytest.fixture(autouse=True)
def snapshots_of_small_portfolios(monkeypatch: pytest.MonkeyPatch) -> None:
    """These portfolios are tiny: keep a snapshot of them anyway, as of a large one."""
    monkeypatch.setattr("missionboard.analytics.loader.SNAPSHOT_FROM_PROJECTS", 0)


HEADER = [
    "id",
    "title",
    "abstract",
    "funder",
    "instrument",
    "budget",
    "currency",
    "start",
    "end",
    "trl",
    "country",
]
PROJECTS = [
    ["H2-1", "Hydrogen valleys", "Green hydrogen steel", "Energy Agency", "rd_grant", "1000000", "EUR",
     "2023-01-01", "2025-12-31", "5", "SE"],
    ["GRID-2", "Smart grids", "Demand response", "Energy Agency", "public_procurement", "500000", "EUR",
     "2022-03-01", "2024-02-28", "7", "FI"],
    ["PRIZE-3", "Zero waste", "", "Innovation Agency", "challenge_prize", "250000", "EUR", "2024-05-01", "",
     "", "DK"],
]  # fmt: skip
PARTNERS = [
    ["project_id", "organisation", "type", "role", "share"],
    ["H2-1", "KTH", "research", "coordinator", "0.5"],
    ["H2-1", "SSAB AB", "industry", "partner", "0.5"],
    ["GRID-2", "Vattenfall", "industry", "implementer", "1"],
    ["GRID-2", "KTH", "research", "partner", ""],
]


def _files(folder: Path, rows: list[list[str]]) -> tuple[Path, Path]:
    projects, partners = folder / "projects.csv", folder / "partners.csv"
    with projects.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    with partners.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(PARTNERS)
    return projects, partners


def _import(workspace: Workspace, folder: Path, rows: list[list[str]]) -> Any:
    projects, partners = _files(folder, rows)
    return ingest_files(workspace, "csv", [projects], partners=partners, source="agency")


def _without_meta(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != "meta"}


def _snapshots(workspace: Workspace) -> list[Path]:
    root = snapshot.folder(workspace)
    assert root is not None
    return sorted(root.glob(f"{snapshot.PREFIX}*")) if root.is_dir() else []


def _counter(workspace: Workspace) -> int:
    with workspace.reading() as session:
        return analytics_tables.version(session)


@pytest.mark.parametrize(
    "scope",
    [
        {"mission_id": "clean-air"},
        {"mission_id": "clean-air", "threshold": 0.2},
        {"mission_id": "clean-air", "since": 2022},
        {},
    ],
)
def test_the_analysis_is_the_same_with_and_without_the_snapshot(
    portfolio: Workspace, scope: dict[str, Any]
) -> None:
    with_snapshot = analyze_portfolio(portfolio, **scope).to_dict()
    again = analyze_portfolio(portfolio, **scope).to_dict()
    without = analyze_portfolio(portfolio, snapshot=False, **scope).to_dict()
    assert _without_meta(with_snapshot) == _without_meta(without)
    assert _without_meta(again) == _without_meta(without)
    if portfolio.is_sqlite:
        assert again["meta"]["load_method"] == "arrow-snapshot (fresh)"
        assert without["meta"]["load_method"] == "sqlite3-arrow"


def test_the_first_analysis_saves_the_snapshot_and_the_next_reads_it(sqlite_portfolio: Workspace) -> None:
    first = analyze_portfolio(sqlite_portfolio, "clean-air").to_dict()["meta"]
    second = analyze_portfolio(sqlite_portfolio, "clean-air").to_dict()["meta"]
    assert first["load_method"] == "arrow-snapshot (built)" and first["snapshot_build_seconds"] >= 0
    assert second["load_method"] == "arrow-snapshot (fresh)" and second["snapshot_build_seconds"] is None
    assert len(_snapshots(sqlite_portfolio)) == 1


def test_the_snapshot_holds_the_tables_the_database_gives(sqlite_portfolio: Workspace) -> None:
    built = refresh_snapshot(sqlite_portfolio)
    fresh = refresh_snapshot(sqlite_portfolio)
    assert built is not None and fresh is not None
    assert (built.status, fresh.status) == ("built", "fresh")
    assert set(fresh.tables) == {"projects", "actors", "participations"}
    for name, table in built.tables.items():
        assert fresh.tables[name].equals(table), name
    assert fresh.tables["projects"].num_rows == 5


def test_an_import_saves_a_fresh_snapshot(sqlite_workspace: Workspace, tmp_path: Path) -> None:
    _import(sqlite_workspace, tmp_path, PROJECTS)
    assert len(_snapshots(sqlite_workspace)) == 1
    data = analyze_portfolio(sqlite_workspace).to_dict()
    assert data["meta"]["load_method"] == "arrow-snapshot (fresh)"
    assert data["projects"]["projects"]["value"] == 3


def test_every_import_that_changes_the_portfolio_counts_a_new_data_version(
    workspace: Workspace, tmp_path: Path
) -> None:
    assert _counter(workspace) == 0
    _import(workspace, tmp_path, PROJECTS)
    assert _counter(workspace) == 1
    run = _import(workspace, tmp_path, PROJECTS)
    assert run.unchanged == 3 and _counter(workspace) == 1  # nothing written, nothing counted
    changed = [list(row) for row in PROJECTS]
    changed[1][HEADER.index("budget")] = "700000"
    run = _import(workspace, tmp_path, changed)
    assert run.updated == 1 and _counter(workspace) == 2
    projects, partners = _files(tmp_path, [*changed, ["NEW-4", "New", "", "Energy Agency", "rd_grant", "1", "EUR",
                                                      "2024-01-01", "", "", "SE"]])  # fmt: skip
    ingest_files(workspace, "csv", [projects], partners=partners, source="agency", dry_run=True)
    assert _counter(workspace) == 2  # a dry run is rolled back, its count with it
    ingest_files(workspace, "csv", [projects], partners=partners, source="agency")
    assert _counter(workspace) == 3


def test_a_changed_portfolio_is_never_analysed_from_a_stale_snapshot(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    _import(sqlite_workspace, tmp_path, PROJECTS)
    before = _snapshots(sqlite_workspace)
    changed = [list(row) for row in PROJECTS]
    changed[1][HEADER.index("budget")] = "700000"  # an update: no new project, same highest id
    _import(sqlite_workspace, tmp_path, changed)
    after = _snapshots(sqlite_workspace)
    assert len(after) == 1 and after != before  # the import saved a new one and removed the stale one
    data = analyze_portfolio(sqlite_workspace).to_dict()
    assert data["meta"]["load_method"] == "arrow-snapshot (fresh)"
    assert data["budget"]["total"]["value"] == pytest.approx(1_950_000)
    assert _without_meta(data) == _without_meta(analyze_portfolio(sqlite_workspace, snapshot=False).to_dict())


def test_rows_added_without_counting_still_make_the_snapshot_stale(sqlite_portfolio: Workspace) -> None:
    from missionboard.store.tables import ProjectRow

    analyze_portfolio(sqlite_portfolio)
    with sqlite_portfolio.transaction() as session:  # a writer that does not bump the counter
        session.add(ProjectRow(source="other", source_id="X", title="Added", content_hash="x"))
    data = analyze_portfolio(sqlite_portfolio).to_dict()
    assert data["meta"]["load_method"] == "arrow-snapshot (built)"
    assert data["projects"]["projects"]["value"] == 6


@pytest.mark.parametrize("damage", ["truncate", "garbage", "missing file", "no manifest", "wrong rows"])
def test_a_damaged_snapshot_is_ignored_and_made_again(sqlite_portfolio: Workspace, damage: str) -> None:
    expected = _without_meta(analyze_portfolio(sqlite_portfolio, "clean-air").to_dict())
    (path,) = _snapshots(sqlite_portfolio)
    arrow = path / "participations.arrow"
    if damage == "truncate":
        arrow.write_bytes(arrow.read_bytes()[: arrow.stat().st_size // 2])
    elif damage == "garbage":
        arrow.write_bytes(b"not arrow at all" * 64)
    elif damage == "missing file":
        arrow.unlink()
    elif damage == "no manifest":
        (path / snapshot.MANIFEST).unlink()
    else:
        manifest = json.loads((path / snapshot.MANIFEST).read_text())
        manifest["tables"]["participations"]["rows"] += 1
        (path / snapshot.MANIFEST).write_text(json.dumps(manifest))
    data = analyze_portfolio(sqlite_portfolio, "clean-air").to_dict()
    assert data["meta"]["load_method"] == "arrow-snapshot (built)"
    assert _without_meta(data) == expected
    (rebuilt,) = _snapshots(sqlite_portfolio)
    with pa.memory_map(str(rebuilt / "participations.arrow")) as source:
        assert pa.ipc.open_file(source).read_all().num_rows > 0


def test_a_portfolio_written_while_it_is_read_is_not_saved(sqlite_portfolio: Workspace) -> None:
    def read_while_writing() -> dict[str, pa.Table]:
        with sqlite_portfolio.transaction() as session:
            analytics_tables.bump(session)
        return {"projects": pa.table({"id": [1]})}

    database = str(sqlite_portfolio.engine.url.database)
    saved = snapshot.save_consistent(
        database, lambda: snapshot.fingerprint(sqlite_portfolio, "signature"), read_while_writing
    )
    assert saved is None and _snapshots(sqlite_portfolio) == []
    saved = snapshot.save_consistent(
        database,
        lambda: snapshot.fingerprint(sqlite_portfolio, "signature"),
        lambda: {"p": pa.table({"id": [1]})},
    )
    assert saved is not None and len(_snapshots(sqlite_portfolio)) == 1


def test_a_temporary_folder_left_by_a_crash_is_never_read(sqlite_portfolio: Workspace) -> None:
    root = snapshot.folder(sqlite_portfolio)
    assert root is not None
    (root / f"{snapshot.TEMPORARY}crashed").mkdir(parents=True)
    data = analyze_portfolio(sqlite_portfolio).to_dict()
    assert data["meta"]["load_method"] == "arrow-snapshot (built)"


def test_postgresql_has_no_snapshot_and_reads_its_tables(workspace: Workspace) -> None:
    if workspace.is_sqlite:
        assert snapshot.folder(workspace) is not None
    else:
        assert snapshot.folder(workspace) is None
        assert refresh_snapshot(workspace) is None
        assert analyze_portfolio(workspace).to_dict()["meta"]["load_method"] == "sqlalchemy"


def test_reading_without_the_snapshot_never_loses_a_later_write_of_the_same_process(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    import sqlite3

    _import(sqlite_workspace, tmp_path, PROJECTS)
    analyze_portfolio(sqlite_workspace, snapshot=False)  # read through the workspace's own connection
    changed = [list(row) for row in PROJECTS]
    changed[1][HEADER.index("budget")] = "700000"
    _import(sqlite_workspace, tmp_path, changed)
    other = sqlite3.connect(str(sqlite_workspace.engine.url.database))
    try:
        budgets = dict(other.execute("SELECT source_id, budget_amount FROM projects").fetchall())
    finally:
        other.close()
    assert budgets["GRID-2"] == 700000
    data = analyze_portfolio(sqlite_workspace, snapshot=False).to_dict()
    assert data["budget"]["total"]["value"] == pytest.approx(1_950_000)


def test_a_small_portfolio_keeps_no_snapshot(
    sqlite_workspace: Workspace, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("missionboard.analytics.loader.SNAPSHOT_FROM_PROJECTS", 50_000)
    _import(sqlite_workspace, tmp_path, PROJECTS)
    analyze_portfolio(sqlite_workspace)
    assert _snapshots(sqlite_workspace) == []

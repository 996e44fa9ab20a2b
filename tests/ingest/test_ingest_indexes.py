"""The tables an import writes carry no index that a longer one already answers for: each index costs
every import its upkeep (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, select, text

from missionboard.services.ingest import ingest_files
from missionboard.store.tables import ProjectRow
from missionboard.store.workspace import MIGRATIONS, Workspace

LOADED = ("projects", "participations", "actors", "actor_identifiers", "actor_aliases")
"""The tables a CSV import writes a row to for (nearly) every record."""
PERF = "perf_0001"
DROPPED = {
    "projects": "ix_projects_funder",
    "participations": "ix_participations_project_id",
    "actor_aliases": "ix_actor_aliases_actor_id",
}


def _indexes(engine: Engine, table: str) -> dict[str, tuple[str, ...]]:
    """Index name → its columns, unique constraints included."""
    inspector = inspect(engine)
    found = {str(i["name"]): tuple(str(c) for c in i["column_names"]) for i in inspector.get_indexes(table)}
    for unique in inspector.get_unique_constraints(table):
        found[str(unique["name"])] = tuple(unique["column_names"])
    return found


@pytest.mark.parametrize("table", LOADED)
def test_no_index_of_a_loaded_table_is_the_prefix_of_another(workspace: Workspace, table: str) -> None:
    indexes = _indexes(workspace.engine, table)
    prefixes = [
        (short, long)
        for short, columns in indexes.items()
        for long, longer in indexes.items()
        if len(columns) < len(longer) and longer[: len(columns)] == columns
    ]
    assert prefixes == []


@pytest.mark.parametrize(
    ("table", "columns"),
    [
        ("projects", ("funder", "programme")),
        ("projects", ("source", "source_id")),
        ("participations", ("project_id", "actor_id", "role")),
        ("participations", ("actor_id",)),
        ("actor_aliases", ("actor_id", "source", "name")),
    ],
)
def test_the_lookups_of_a_dropped_index_keep_an_index_that_leads_with_its_column(
    workspace: Workspace, table: str, columns: tuple[str, ...]
) -> None:
    assert columns in _indexes(workspace.engine, table).values()


def _config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def test_the_perf_migration_keeps_projects_and_comes_back_down_cleanly(
    database_url: str, tmp_path: Path
) -> None:
    engine = create_engine(database_url)
    config = _config(engine)
    for head in sorted(set(ScriptDirectory.from_config(config).get_heads()) - {PERF}):
        command.upgrade(config, head)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO projects (source, source_id, title, abstract, titles, abstracts, status, countries, "
                "regions, sectors, topics, source_labels, raw, content_hash, created_at, updated_at) VALUES "
                "('a', 'P1', 'T', '', '[]', '[]', 'active', '[]', '[]', '[]', '[]', '[]', '{}', :h, :now, :now)"
            ),
            {"h": "0" * 64, "now": "2026-01-01 00:00:00"},
        )
    command.upgrade(config, PERF)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT source_id, row_hash FROM projects")).all() == [("P1", None)]
    for table, name in DROPPED.items():
        assert name not in _indexes(engine, table)
    command.downgrade(config, "perf@-1")
    for table, name in DROPPED.items():
        assert name in _indexes(engine, table)
    assert "row_hash" not in {c["name"] for c in inspect(engine).get_columns("projects")}
    with engine.connect() as connection:
        assert connection.execute(text("SELECT source_id FROM projects")).all() == [("P1",)]
    engine.dispose()


def test_a_workspace_from_before_the_perf_migration_is_upgraded_when_opened_and_reimports_unchanged(
    database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "projects.csv"
    path.write_text("id,title,funder\nP-1,Heat pumps,Energy Agency\nP-2,Grid storage,\n", encoding="utf-8")
    workspace = Workspace.open(database_url, create=True)
    ingest_files(workspace, "csv", [path], source="agency")
    workspace.close()
    engine = create_engine(database_url)
    command.downgrade(_config(engine), "perf@-1")  # the schema, and the projects, of an older workspace
    engine.dispose()

    upgraded = Workspace.open(database_url)
    try:
        assert PERF in upgraded.revision()
        first = ingest_files(upgraded, "csv", [path], source="agency")
        assert (first.inserted, first.updated, first.unchanged) == (0, 0, 2)
        with upgraded.reading() as session:
            digests = session.execute(select(ProjectRow.row_hash).order_by(ProjectRow.source_id)).scalars()
            assert [d is not None for d in digests] == [True, True]
        second = ingest_files(upgraded, "csv", [path], source="agency")
        assert (second.inserted, second.updated, second.unchanged) == (0, 0, 2)
        for table, name in DROPPED.items():
            assert name not in _indexes(upgraded.engine, table)
    finally:
        upgraded.close()

"""The migrations build exactly the schema the table classes describe, on SQLite and PostgreSQL."""

import datetime as dt
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, func, inspect, select, text

# the area modules register their tables with Base when imported
import missionboard.store.analytics_tables
import missionboard.store.consult_tables
import missionboard.store.mapping_tables
import missionboard.store.monitoring_tables
import missionboard.store.web_tables  # noqa: F401
from missionboard.services.ingest import ingest_files
from missionboard.store.tables import Base, ProjectCoFundingRow, ProjectRow
from missionboard.store.workspace import MIGRATIONS, Workspace


def test_the_migrated_schema_matches_the_table_definitions(workspace: Workspace) -> None:
    with workspace.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


# --- 0002_funding_detail: co-funding, conditions, disciplines and gender on an existing workspace -----

FUNDING_DETAIL = "0002_funding_detail"
DETAIL_TABLES = ("project_cofunding", "project_conditions", "project_disciplines")


def _config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def _project_columns(engine: Engine) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns("projects")}


def test_the_funding_detail_migration_upgrades_an_existing_workspace_and_downgrades_cleanly(
    database_url: str, tmp_path: Path
) -> None:
    engine = create_engine(database_url)
    config = _config(engine)
    for head in sorted(set(ScriptDirectory.from_config(config).get_heads()) - {FUNDING_DETAIL}):
        command.upgrade(config, head)
    assert "discipline" not in _project_columns(engine)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO projects (source, source_id, title, abstract, titles, abstracts, status, "
                "countries, regions, sectors, topics, source_labels, raw, content_hash, created_at, updated_at) "
                "VALUES ('old', 'P-1', 'Before the detail', '', '[]', '[]', 'active', '[]', '[]', '[]', "
                "'[]', '[]', '{}', 'x', :now, :now)"
            ),
            {"now": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)},
        )
    engine.dispose()

    workspace = Workspace.open(database_url)  # an existing workspace is upgraded when opened
    try:
        assert FUNDING_DETAIL in workspace.revision()
        path = tmp_path / "projects.csv"
        path.write_text(
            "id,title,currency,cofunding_private,discipline,lead_gender\nN-1,After,EUR,1000,5.2,female\n",
            encoding="utf-8",
        )
        ingest_files(workspace, "csv", [path], source="new")
        with workspace.reading() as session:
            old = session.execute(select(ProjectRow).where(ProjectRow.source_id == "P-1")).scalar_one()
            assert (old.title, old.discipline, old.lead_gender) == ("Before the detail", None, None)
            new = session.execute(select(ProjectRow).where(ProjectRow.source_id == "N-1")).scalar_one()
            assert (new.discipline, new.lead_gender) == ("5.2 Economics and business", "female")
            assert session.scalar(select(func.count()).select_from(ProjectCoFundingRow)) == 1
        engine = workspace.engine
        command.downgrade(_config(engine), f"{FUNDING_DETAIL}@-1")
        assert FUNDING_DETAIL not in workspace.revision()
        assert not set(DETAIL_TABLES) & set(inspect(engine).get_table_names())
        assert not {"discipline", "gender_marker", "lead_gender"} & _project_columns(engine)
        with engine.connect() as connection:
            titles = connection.execute(text("SELECT title FROM projects ORDER BY title")).scalars().all()
        assert titles == ["After", "Before the detail"]  # no project lost with the dropped columns
    finally:
        workspace.close()
    reopened = Workspace.open(database_url)  # and upgraded again
    try:
        assert FUNDING_DETAIL in reopened.revision()
        with reopened.engine.connect() as connection:
            differences = compare_metadata(
                MigrationContext.configure(connection, opts={"compare_type": False}), Base.metadata
            )
        assert differences == []
    finally:
        reopened.close()


def test_the_heads_a_workspace_is_checked_against_are_alembics_own() -> None:
    """Opening a workspace compares its applied heads with ``SCHEMA_HEADS`` without loading Alembic;
    a migration added without updating them would upgrade (a no-op) at every open."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from missionboard.store.workspace import MIGRATIONS, SCHEMA_HEADS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert set(ScriptDirectory.from_config(config).get_heads()) == SCHEMA_HEADS

"""web_0004 widens the links' rank index to cover the link id and its project, on an existing workspace,
and its downgrade gives the old index back, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text

# the area modules register their tables with Base when imported
import missionboard.store.analytics_tables
import missionboard.store.consult_tables
import missionboard.store.mapping_tables
import missionboard.store.monitoring_tables
import missionboard.store.web_tables  # noqa: F401
from missionboard.store.tables import Base
from missionboard.store.workspace import MIGRATIONS, Workspace

WIDER = "web_0004"
OLD = ("ix_web_links_rank", ["taxonomy", "goal", "status", "score"])
NEW = ("ix_web_links_rank_project", ["taxonomy", "goal", "status", "score", "id", "project_id"])


def _config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def _rank_indexes(engine: Engine) -> list[tuple[str, list[str]]]:
    return sorted(
        (index["name"], [str(column) for column in index["column_names"]])
        for index in inspect(engine).get_indexes("links")
        if index["name"] and index["name"].startswith("ix_web_links_rank")
    )


def test_the_rank_index_is_widened_on_an_existing_workspace_and_narrowed_again(database_url: str) -> None:
    engine = create_engine(database_url)
    config = _config(engine)
    for head in sorted(set(ScriptDirectory.from_config(config).get_heads()) - {WIDER}):
        command.upgrade(config, head)
    command.upgrade(config, "web_0003")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO projects (source, source_id, title, abstract, titles, abstracts, status, "
                "countries, regions, sectors, topics, source_labels, raw, content_hash, created_at, updated_at) "
                "VALUES ('old', 'P-1', 'Linked before', '', '[]', '[]', 'active', '[]', '[]', '[]', "
                "'[]', '[]', '{}', 'x', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO links (project_id, taxonomy, goal, score, method, status, evidence, created_at, "
                "updated_at) SELECT id, 'mission:fjords', 'runoff', 0.9, 'query', 'accepted', '{}', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM projects"
            )
        )
    assert _rank_indexes(engine) == [OLD]
    engine.dispose()

    workspace = Workspace.open(database_url)  # an existing workspace is upgraded when opened
    try:
        assert WIDER in workspace.revision()
        assert _rank_indexes(workspace.engine) == [NEW]
        with workspace.engine.connect() as connection:
            differences = compare_metadata(
                MigrationContext.configure(connection, opts={"compare_type": False}), Base.metadata
            )
        assert differences == []
        command.downgrade(_config(workspace.engine), f"{WIDER}@-1")
        assert WIDER not in workspace.revision()
        assert _rank_indexes(workspace.engine) == [OLD]
        with workspace.engine.connect() as connection:
            linked = connection.execute(text("SELECT goal, status FROM links")).all()
        assert [tuple(row) for row in linked] == [("runoff", "accepted")]
    finally:
        workspace.close()
